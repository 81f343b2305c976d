import { runMatrix } from './matrix';
import { ROWS } from './rows/bugs';

runMatrix(ROWS);
