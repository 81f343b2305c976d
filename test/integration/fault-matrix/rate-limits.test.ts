import { runMatrix } from './matrix';
import { ROWS } from './rows/rate-limits';

runMatrix(ROWS);
