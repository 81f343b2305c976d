import { runMatrix } from './matrix';
import { ROWS } from './rows/tokens';

runMatrix(ROWS);
