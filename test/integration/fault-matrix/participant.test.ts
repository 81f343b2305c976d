import { runMatrix } from './matrix';
import { ROWS } from './rows/participant';

runMatrix(ROWS);
