/**
 * The live event stream (GET /api/events, issue 12) over HTTP with the API fixture's config
 * clients: tickets are single use and need credentials, a consumer sees only its PoDs' readings
 * and nodes, everyone sees anchors, and the bus loses its listener when the client goes.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createApiApp } from '../../src/api/app.js';
import { listenApi, type ApiServer } from '../../src/api/server.js';
import { createEventBus } from '../../src/events/event-bus.js';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { MetricsRegistry } from '../../src/metrics.js';
import type { BalStore } from '../../src/store/types.js';
import { CLIENTS, DEPLOYMENT, KEYS, POD_A, POD_B } from '../api/api-fixture.js';
import { prepareAccess, type PreparedAccess } from '../access/consumer-session.js';

const bus = createEventBus();
let store: BalStore;
let api: ApiServer;
let prepared: PreparedAccess | null = null;
let consumerToken = '';

test.before(async () => {
  store = openSqliteStore({ path: ':memory:' });
  const metrics = new MetricsRegistry();
  // A consumer is a data user: a real login session whose PoDs follow its accepted subscription (POD_A).
  prepared = await prepareAccess();
  const access = prepared.service(store, metrics);
  const app = createApiApp({ store, deployment: DEPLOYMENT, clients: CLIENTS, metrics, access, events: bus, dashboard: { offlineAfterMs: 5000, explorerBaseUrl: null, eventHeartbeatMs: 200 } });
  api = await listenApi(app, { host: '127.0.0.1', port: 0 });
  consumerToken = await prepared.consumerOf(POD_A);
});
test.after(async () => { await api?.close(); await prepared?.stop(); await store?.close(); });

async function ticket(key: string | { bearer: string }): Promise<string> {
  const auth: Record<string, string> = typeof key === 'string' ? { 'x-api-key': key } : { authorization: `Bearer ${key.bearer}` };
  const r = await fetch(`${api.url}/api/events/ticket`, { method: 'POST', headers: auth });
  assert.is(r.status, 201);
  const b = await r.json() as { ticket: string; expiresAt: number };
  assert.match(b.ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.ok(b.expiresAt > Date.now());
  return b.ticket;
}

/** Open a stream and collect its events until `stop()`. */
async function open(t: string): Promise<{ events: { type: string; data: any }[]; stop(): void; status: number }> {
  const ctl = new AbortController();
  const res = await fetch(`${api.url}/api/events?ticket=${t}`, { signal: ctl.signal });
  const events: { type: string; data: any }[] = [];
  if (res.status === 200) {
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    void (async () => {
      let buf = '';
      const dec = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buf += dec.decode(chunk, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i); buf = buf.slice(i + 2);
            const type = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (type && data) events.push({ type, data: JSON.parse(data) });
          }
        }
      } catch { /* aborted */ }
    })();
  } else await res.text();
  return { events, status: res.status, stop: () => ctl.abort() };
}

const until = async (fn: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!fn()) { if (Date.now() > end) assert.unreachable('timed out'); await new Promise((r) => setTimeout(r, 10)); }
};

test('a ticket needs credentials; a ticket opens one stream only', async () => {
  const none = await fetch(`${api.url}/api/events/ticket`, { method: 'POST' });
  assert.is(none.status, 401);
  const bad = await open('x'.repeat(43));
  assert.is(bad.status, 401);
  const t = await ticket(KEYS.dso);
  const s = await open(t);
  assert.is(s.status, 200);
  const again = await open(t);
  assert.is(again.status, 401, 'second use refused');
  await until(() => s.events.some((e) => e.type === 'hello'));
  assert.equal(s.events[0], { type: 'hello', data: { user: 'dso', role: 'dso', pods: null } });
  s.stop();
  await until(() => bus.size === 0);
});

test('a consumer sees only its PoDs; anchors go to everyone; the listener leaves with the client', async () => {
  const dso = await open(await ticket(KEYS.dso));
  const consumer = await open(await ticket({ bearer: consumerToken }));
  await until(() => dso.events.length > 0 && consumer.events.length > 0 && bus.size === 2);
  const reading = (id: number) => ({ id, seq: id, timestampMs: 1, digest: `0x${'ab'.repeat(32)}` as const, signer: `0x${'cd'.repeat(20)}` as const, values: [{ quantity: '1-0:1.8.0', value: 5, scale: 0, unit: 'Wh' }] });
  bus.publish({ type: 'readings', pod: POD_B, readings: [reading(1)] });
  bus.publish({ type: 'readings', pod: POD_A, readings: [reading(2)] });
  await store.recordNodeStatus({ pod: POD_B, device: `0x${'cd'.repeat(20)}`, state: 'online', ts: Date.now(), lastSeq: 1, spoolDepth: 0, quarantined: 0, agentVersion: 't' }, Date.now());
  bus.publish({ type: 'node', pod: POD_B });
  bus.publish({ type: 'anchor', index: 0, root: `0x${'11'.repeat(32)}`, leafCount: 2, transaction: `0x${'22'.repeat(32)}`, blockNumber: 9 });
  await until(() => dso.events.some((e) => e.type === 'anchor') && consumer.events.some((e) => e.type === 'anchor'));
  await until(() => dso.events.some((e) => e.type === 'node'));
  assert.equal(dso.events.filter((e) => e.type === 'readings').map((e) => e.data.pod), [POD_B, POD_A]);
  assert.equal(consumer.events.filter((e) => e.type === 'readings').map((e) => e.data.pod), [POD_A]);
  assert.is(consumer.events.some((e) => e.type === 'node'), false, 'no other PoD\'s node');
  assert.is(dso.events.find((e) => e.type === 'node')!.data.state, 'online');
  dso.stop(); consumer.stop();
  await until(() => bus.size === 0);
});

test.run();
