// The ingest suite on the SQLite store (the embedded default).
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { ingestSuite } from './ingest-suite.js';

ingestSuite('sqlite', async (dir) => openSqliteStore({ path: join(dir, 'bal.db') }));
