import { runMatrix } from './matrix';
import { BATCH_ROWS } from './rows/queue';

runMatrix([], BATCH_ROWS);
