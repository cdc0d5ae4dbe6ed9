/**
 * Diagnostic loop for the JetStream source after a NATS node dies (cloud/README "JetStream
 * transport", "The consumer leader's node dies"): a 3-node cluster (R3 stream), two sources `a`
 * and `b` in this process on the one durable consumer, a publisher at ~200 messages/s; each round
 * SIGKILLs the node `a` is connected to, prints how long until `a` handled 20 more messages (and
 * the consumer leader before the kill, and both sources' pull metrics), then restarts the node.
 * `node --import tsx bench/jetstream-kill-loop.ts [rounds]` (from cloud/).
 */
import { connect } from 'nats';
import { MetricsRegistry } from '../src/metrics.js';
import { createLogger } from '../src/log.js';
import { jetStreamReadingsSource } from '../src/ingest/jetstream-source.js';
import { startNatsCluster, testAccount } from '../test/nats/cluster.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = createLogger({ level: 'info', write: (l) => console.log(l.slice(0, 300)) });
const cluster = await startNatsCluster({ accounts: [await testAccount('bal', 'bal', 'balpw')], size: 3, unrestricted: { username: 'tester', password: 'testpw' } });
const raw = await connect({ servers: cluster.servers, user: 'tester', pass: 'testpw', maxReconnectAttempts: -1, reconnectTimeWait: 200 });
const counts = { a: 0, b: 0 };
const regs = { a: new MetricsRegistry(), b: new MetricsRegistry() };
const mk = (name: 'a' | 'b'): ReturnType<typeof jetStreamReadingsSource> =>
  jetStreamReadingsSource({ servers: cluster.servers, username: 'bal', password: 'balpw', replicas: 3, ackWaitMs: 3000, metrics: regs[name], log, name });
const A = mk('a');
const B = mk('b');
await A.start(async () => { counts.a++; return true; }, { maxInFlight: 64 });
await B.start(async () => { counts.b++; return true; }, { maxInFlight: 64 });
const jsm = await raw.jetstreamManager();
let stop = false;
void (async () => { let i = 0; while (!stop) { raw.publish('ln.v1.IT001E00000001.readings', new TextEncoder().encode(`x${i++}`)); await sleep(5); } })();
const serverOf = (s: typeof A): string => (s.connection() as unknown as { protocol?: { server?: { listen?: string } } })?.protocol?.server?.listen ?? '?';
for (let round = 0; round < Number(process.argv[2] ?? 6); round++) {
  await sleep(2000);
  const ci = await jsm.consumers.info('LN_READINGS', 'bal-ingest');
  const aSrv = serverOf(A);
  const victim = cluster.nodes.find((n) => aSrv.endsWith(`:${n.url.split(':').pop()}`));
  if (!victim) { console.log(`round ${round}: a's server ${aSrv} unknown`); continue; }
  const a0 = counts.a;
  await victim.kill('SIGKILL');
  const t0 = Date.now();
  while (counts.a < a0 + 20 && Date.now() - t0 < 60_000) await sleep(100);
  const pulls = (r: MetricsRegistry): string => r.render().split('\n').filter((l) => l.startsWith('bal_jetstream_pull')).map((l) => l.replace('bal_jetstream_', '')).join(' ');
  console.log(`round ${round}: killed ${victim.name} (a's server; consumer leader ${ci.cluster?.leader}); a resumed after ${Date.now() - t0} ms; handled ${JSON.stringify(counts)}; a: ${pulls(regs.a)}; b: ${pulls(regs.b)}`);
  await victim.restart();
}
stop = true;
await A.stop();
await B.stop();
await raw.close();
await cluster.stop();
process.exit(0);
