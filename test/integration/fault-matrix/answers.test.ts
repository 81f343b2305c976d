import { runMatrix } from './matrix';
import { ROWS } from './rows/answers';

runMatrix(ROWS);
