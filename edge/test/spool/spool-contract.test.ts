import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from '../../src/spool/spool.js';
import { MemorySpool } from '../../src/spool/memory-spool.js';
import { spoolContract } from './spool-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-spool-contract-'));
let n = 0;
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

spoolContract('SQLite Spool', {
  open: (o) => Spool.open({ path: join(dir, `s${n++}.db`), ...o }),
  close: (s) => (s as Spool).close(),
});

spoolContract('MemorySpool', {
  open: (o) => new MemorySpool(o),
  close: () => undefined,
});
