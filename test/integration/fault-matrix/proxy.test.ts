import { runMatrix } from './matrix';
import { ROWS } from './rows/proxy';

runMatrix(ROWS);
