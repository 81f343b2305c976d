import { runMatrix } from './matrix';
import { ROWS } from './rows/token-mode';

runMatrix(ROWS);
