// The live-view feed from the store (events/store-feed.ts), on a real SQLite store: it starts
// after what is stored (nothing replayed), publishes new readings grouped by PoD with a node
// event, each once; a reading id committed late (below one already published, as with two ingest
// instances) is still published; a gap that never fills is given up after `lateMs`; anchors are
// published once confirmed, in index order; status and counter changes become node events;
// subscription decisions are published once each, in order.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import type { BalStore, ReadingPage, ReadingQuery } from '../../src/store/types.js';
import { createEventBus, type BalEvent } from '../../src/events/event-bus.js';
import { startStoreFeed } from '../../src/events/store-feed.js';
import { silentLogger } from '../../src/log.js';
import { mkInput } from '../store/store-contract.js';
import type { Hex } from '@lightnode/shared/hex';

const dev = Wallet.createRandom().address.toLowerCase() as Hex;

test('readings once each, late commits shown, gaps given up, anchors when confirmed, node changes', async () => {
  const real = openSqliteStore({ path: ':memory:' });
  const hidden = new Set<number>(); // ids "not yet committed"
  const store: BalStore = new Proxy(real, {
    get(t, p, r) {
      if (p === 'listReadings') return async (q: ReadingQuery): Promise<ReadingPage> => { const page = await t.listReadings(q); return { ...page, items: page.items.filter((i) => !hidden.has(i.id)) }; };
      return Reflect.get(t, p, r) as unknown;
    },
  });
  await real.storeBatch([mkInput('IT001E00000001', dev, 1)]);
  const bus = createEventBus();
  const seen: BalEvent[] = [];
  bus.subscribe((e) => seen.push(e));
  let clock = 1_000_000;
  const feed = startStoreFeed({ store, bus, log: silentLogger, pollMs: 3_600_000, lateMs: 5000, now: () => clock });
  await feed.poll();
  assert.equal(seen, [], 'nothing stored before the feed is replayed');

  const a = await real.storeBatch([mkInput('IT001E00000002', dev, 2), mkInput('IT001E00000002', dev, 3), mkInput('IT001E00000003', dev, 4)]);
  hidden.add(a.ids[1]!); // the middle one commits late
  await feed.poll();
  assert.equal(seen.map((e) => e.type === 'readings' ? `${e.pod}:${e.readings.map((r) => r.id).join(',')}` : `${e.type}:${'pod' in e ? e.pod : ''}`),
    [`IT001E00000002:${a.ids[0]}`, 'node:IT001E00000002', `IT001E00000003:${a.ids[2]}`, 'node:IT001E00000003']);
  seen.length = 0;
  await feed.poll();
  assert.equal(seen, [], 'published ids are not published again');
  hidden.delete(a.ids[1]!);
  await feed.poll();
  assert.equal(seen.filter((e) => e.type === 'readings').map((e) => e.type === 'readings' && e.readings.map((r) => r.id)), [[a.ids[1]]], 'the late commit is shown');

  // A gap that never fills (a rolled-back id): given up after lateMs; later readings still flow.
  const b = await real.storeBatch([mkInput('IT001E00000004', dev, 5), mkInput('IT001E00000004', dev, 6)]);
  hidden.add(b.ids[0]!);
  seen.length = 0;
  await feed.poll();
  clock += 5000;
  await feed.poll();
  hidden.delete(b.ids[0]!); // "appears" after being given up: not published (past the watermark)
  const c = await real.storeBatch([mkInput('IT001E00000005', dev, 7)]);
  await feed.poll();
  assert.equal(seen.filter((e) => e.type === 'readings').map((e) => e.type === 'readings' && e.readings[0]!.id), [b.ids[1], c.ids[0]]);

  // Anchors: recorded (sent) is not shown; confirmed is, once.
  seen.length = 0;
  const pend = await real.pendingForAnchoring(100);
  const tx = `0x${'aa'.repeat(32)}` as Hex;
  await real.recordAnchor({ index: 0, root: `0x${'bb'.repeat(32)}`, leafCount: pend.length, fromMs: 1, toMs: 2, prevHash: `0x${'00'.repeat(32)}` }, pend.map((p) => p.id), { transaction: tx, blockNumber: null });
  await feed.poll();
  assert.equal(seen.filter((e) => e.type === 'anchor'), []);
  await real.confirmAnchor(tx, { blockNumber: 7 });
  await feed.poll();
  await feed.poll();
  assert.equal(seen.filter((e) => e.type === 'anchor'), [{ type: 'anchor', index: 0, root: `0x${'bb'.repeat(32)}`, leafCount: pend.length, transaction: tx, blockNumber: 7 }]);

  // Status and counters.
  seen.length = 0;
  await real.recordNodeStatus({ pod: 'IT001E00000009', device: dev, state: 'online', ts: 5, lastSeq: 1, spoolDepth: 0, quarantined: 0, agentVersion: 'x' }, 6);
  await feed.poll();
  await new Promise((r) => setTimeout(r, 3));
  await real.addNodeCounters('IT001E00000009', { duplicates: 1 });
  await feed.poll();
  await feed.poll();
  assert.equal(seen, [{ type: 'node', pod: 'IT001E00000009' }, { type: 'node', pod: 'IT001E00000009' }], 'each change once');

  // Subscription decisions (certified by another instance): each once, in order.
  seen.length = 0;
  const prod = await real.createUser({ username: 'prod', role: 'producer', passwordHash: 'h', wallet: `0x${'01'.repeat(20)}`, custody: 'external', encryptedKey: null }, 1);
  const cons = await real.createUser({ username: 'cons', role: 'consumer', passwordHash: 'h', wallet: `0x${'02'.repeat(20)}`, custody: 'external', encryptedKey: null }, 1);
  const topic = 'certified/v1/IT001E00000009/readings';
  await real.createStream({ topic, pod: 'IT001E00000009', producerId: prod.id }, 1);
  const txh = (n: number) => `0x${n.toString(16).padStart(64, '0')}` as Hex;
  const sub = await real.applyTransition({ consumerId: cons.id, topic, event: { action: 'request', from: null, to: 'requested', actorId: cons.id, atMs: 2, transaction: txh(1), block: 1 } });
  await real.applyTransition({ consumerId: cons.id, topic, event: { action: 'accept', from: 'requested', to: 'accepted', actorId: prod.id, atMs: 3, transaction: txh(2), block: 2 } });
  await feed.poll();
  await feed.poll();
  assert.equal(seen, [
    { type: 'subscription', id: sub.id, topic, pod: 'IT001E00000009', consumer: 'cons', producer: 'prod', status: 'requested' },
    { type: 'subscription', id: sub.id, topic, pod: 'IT001E00000009', consumer: 'cons', producer: 'prod', status: 'accepted' },
  ]);
  await feed.stop();
  await real.close();
});

test.run();
