// Cumulative acks on the SQLite store (see cumulative-acks-suite.ts).
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { cumulativeAckSuite } from './cumulative-acks-suite.js';

cumulativeAckSuite('sqlite', async (dir) => openSqliteStore({ path: join(dir, 'bal.db') }));
