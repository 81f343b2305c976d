import { runMatrix } from './matrix';
import { ROWS } from './rows/budget';

runMatrix(ROWS);
