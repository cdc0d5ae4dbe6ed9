/**
 * A locked spool (issue 17, defect 2: `SqliteError: database is locked` from Spool.applyAck inside
 * Uplink.#onAck was uncaught and crashed an agent). Another real SQLite connection holds a write
 * transaction on spool.db: the spool's calls fail with the typed EDGE_SPOOL_BUSY and apply
 * nothing; the uplink keeps the BAL's acks, counts the failure and applies them once the lock is
 * gone — no crash, no reading deleted before its ack is applied, none lost.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isLightNodeError } from '@lightnode/shared/errors';
import { Spool } from '../../src/spool/spool.js';
import { readingSigner } from '../../src/identity/reading-signer.js';
import { Uplink } from '../../src/uplink/uplink.js';
import { draft } from '../helpers/drafts.js';
import { randomPod, startBrokerWithBal, waitFor } from '../helpers/broker.js';
import { mqttConfig, signedSpool } from '../helpers/setup.js';

const cleanups: (() => Promise<void> | void)[] = [];
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c(); });

/** Another process's connection holding the write lock of `path` until released. */
function holdWriteLock(path: string): { release(): void } {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  other.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES ('lock-holder', 1)").run();
  return { release: () => { if (other.inTransaction) other.exec('ROLLBACK'); other.close(); } };
}

test('a locked spool: applyAck, append and bounds throw EDGE_SPOOL_BUSY and change nothing; reads go on (WAL)', () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const spool = Spool.open({ path: join(s.dir, 'spool.db'), pod, sign: readingSigner(s.domain, s.key), busyTimeoutMs: 50 });
  cleanups.push(() => spool.close());
  spool.appendMany([draft('m1', 1_700_000_000_000, 1), draft('m1', 1_700_000_000_001, 2)]);
  const lock = holdWriteLock(join(s.dir, 'spool.db'));
  try {
    const codeOf = (fn: () => unknown): string | null => { try { fn(); return null; } catch (err) { return isLightNodeError(err) ? err.code : String(err); } };
    assert.is(codeOf(() => spool.applyAck({ stored: [0, 1], duplicate: [], rejected: [] })), 'EDGE_SPOOL_BUSY');
    assert.is(codeOf(() => spool.append(draft('m1', 1_700_000_000_002, 3))), 'EDGE_SPOOL_BUSY');
    assert.is(codeOf(() => spool.enforceBounds()), 'EDGE_SPOOL_BUSY');
    assert.equal(spool.pending(-1, 10).map((r) => r.seq), [0, 1], 'nothing deleted, readable');
    assert.is(spool.status().depth, 2);
  } finally {
    lock.release();
  }
  assert.equal(spool.applyAck({ stored: [0, 1], duplicate: [], rejected: [] }), { deleted: 2, quarantined: 0, unknown: 0 });
  assert.is(spool.status().depth, 0);
  assert.is(spool.append(draft('m1', 1_700_000_000_003, 4)).seq, 2, 'no seq burnt by the refused append');
});

test('the uplink survives an ack it cannot apply: counted, kept, applied after the lock; nothing deleted before', async () => {
  const pod = randomPod();
  const s = signedSpool(pod);
  cleanups.push(s.cleanup);
  const spool = Spool.open({ path: join(s.dir, 'busy.db'), pod, sign: readingSigner(s.domain, s.key), busyTimeoutMs: 50, metrics: s.metrics });
  cleanups.push(() => spool.close());
  const { broker, bal } = await startBrokerWithBal(pod, s.domain, s.key.address, cleanups);
  const uplink = new Uplink({ config: mqttConfig(broker.url), pod, device: s.key.address, agentVersion: 't', spool, metrics: s.metrics });
  cleanups.push(() => uplink.stop());
  uplink.start();
  await waitFor(() => uplink.connected, 5000, 'connect');
  for (let i = 0; i < 30; i++) spool.append(draft('m1', 1_700_000_000_000 + i, i));
  const lock = holdWriteLock(join(s.dir, 'busy.db'));
  let released = false;
  cleanups.push(() => { if (!released) lock.release(); });
  uplink.notify();
  await waitFor(() => bal.stored.size === 30, 10_000, 'the BAL storing and acking all 30');
  await waitFor(() => s.metrics.value('uplink_spool_errors_total', { op: 'applyAck', code: 'EDGE_SPOOL_BUSY' }) >= 2, 10_000, 'the failed apply counted and retried');
  assert.is(spool.status().depth, 30, 'nothing deleted before its ack is applied');
  assert.ok(s.metrics.value('uplink_acks_unapplied') >= 1, 'the acks are kept');
  lock.release();
  released = true;
  await waitFor(() => spool.status().depth === 0, 10_000, 'the kept acks applied once the lock is gone');
  assert.is(s.metrics.value('uplink_acks_unapplied'), 0);
  assert.is(spool.status().lastAckSeq, 29);
  assert.ok(uplink.connected, 'the uplink kept running');
  // And it goes on: new readings flow and are acked at once.
  for (let i = 30; i < 35; i++) spool.append(draft('m1', 1_700_000_000_000 + i, i));
  uplink.notify();
  await waitFor(() => spool.status().depth === 0 && bal.stored.size === 35, 10_000, 'later readings acked');
});

test.run();
