import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-store-'));
storeContract('sqlite', {
  open: async () => openSqliteStore({ path: join(dir, 'sub', 'bal.db') }),
  destroy: async () => rmSync(dir, { recursive: true, force: true }),
});

// A database made before node_rejections existed gains the table when the store opens it.
const old = suite('sqlite: a database older than node_rejections');
old('opening it creates the table; per-code counts then work', async () => {
  const oldDir = mkdtempSync(join(tmpdir(), 'bal-store-old-'));
  const path = join(oldDir, 'bal.db');
  const first = openSqliteStore({ path });
  await first.addNodeCounters('IT001E00000042', { rejected: 2 });
  await first.close();
  const raw = new Database(path);
  raw.exec('DROP TABLE node_rejections');
  raw.close();
  const store = openSqliteStore({ path });
  try {
    assert.equal((await store.nodeByPod('IT001E00000042'))!.rejectedByCode, {});
    await store.addNodeCounters('IT001E00000042', { rejectedByCode: { BAL_SIGNATURE_INVALID: 1 } });
    const n = (await store.nodeByPod('IT001E00000042'))!;
    assert.is(n.rejected, 3);
    assert.equal(n.rejectedByCode, { BAL_SIGNATURE_INVALID: 1 });
  } finally {
    await store.close();
    rmSync(oldDir, { recursive: true, force: true });
  }
});
old.run();
