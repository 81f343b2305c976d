import { runMatrix } from './matrix';
import { ROWS } from './rows/server-errors';

runMatrix(ROWS);
