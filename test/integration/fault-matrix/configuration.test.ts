import { runMatrix } from './matrix';
import { ROWS } from './rows/configuration';

runMatrix(ROWS);
