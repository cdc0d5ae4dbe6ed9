import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLoop } from '../helpers/kill-loop.js';

const ITERATIONS = Number(process.env.EDGE_KILL_ITERATIONS ?? 200);
const dir = mkdtempSync(join(tmpdir(), 'ln-kill-'));

test(`SIGKILL during spooling, ${ITERATIONS} times: spool opens, nothing committed lost, no seq reused`, async () => {
  const res = await killLoop({ dir, iterations: ITERATIONS });
  assert.equal(res.failures, []);
  assert.ok(res.committed > ITERATIONS, `the child committed readings (${res.committed})`);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
