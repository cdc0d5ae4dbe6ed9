// Bench publisher (child process, so its CPU is not counted as the BAL's): K MQTT connections
// replay pre-serialized readings batches (JSON lines file: {topic, payload}) at full speed
// with QoS 1 and count acked readings. Talks to the parent over IPC:
//   → {kind:'ready'} once subscribed to the acks;
//   ← 'warmup' (optional): publish the warm-up file (6th argument), wait for all of its acks
//     (7th argument: its readings) → {kind:'warm'};
//   ← 'go': publish the jobs, wait for `total` readings acked → {kind:'done', ms, acked, …};
//   ← 'replay' (optional, after 'done'): publish the jobs again and count nothing (the parent's
//     ack-less consumer measures) → {kind:'sent', cpuUs} once every publish is PUBACKed.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

const [url, jobsPath, connectionsArg, totalArg, rateArg, warmPath, warmTotalArg] = process.argv.slice(2) as [string, string, string, string, string | undefined, string | undefined, string | undefined];
/** Messages per second (0 or absent: as fast as possible). */
const rate = Number(rateArg ?? 0);
const connections = Number(connectionsArg);
const total = Number(totalArg);
type Job = { topic: string; payload: string };
const readJobs = (p: string): Job[] => readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Job);
const jobs = readJobs(jobsPath);
const warmJobs = warmPath ? readJobs(warmPath) : [];
const clients = await Promise.all(Array.from({ length: connections }, (_, i) => mqtt.connectAsync(url, { clientId: `bench-pub-${i}`, reconnectPeriod: 0 })));
let acked = 0;
let rejected = 0;
let ackMessages = 0;
let t0 = 0;
let cpu0 = process.cpuUsage();
let target = Infinity;
let reached: ((ms: number) => void) | null = null;
clients[0]!.on('message', (_topic, payload) => {
  const a = JSON.parse(payload.toString()) as { v: 1 | 2; stored: number[]; duplicate: number[]; settled: [number, number][]; rejected: unknown[] };
  if (a.v === 2) for (const [from, to] of a.settled) acked += to - from + 1;
  else acked += a.stored.length + a.duplicate.length;
  acked += a.rejected.length;
  ackMessages++;
  rejected += a.rejected.length;
  if (acked >= target && reached) { const r = reached; reached = null; r(performance.now() - t0); }
});
await clients[0]!.subscribeAsync('ln/v1/+/ack', { qos: 0 });

/** Publish `list` (paced at `rate` when > 0); resolves once every publish is PUBACKed. */
async function publishAll(list: Job[]): Promise<void> {
  const sent: Promise<unknown>[] = [];
  const one = (j: Job, i: number) => { sent.push(clients[i % connections]!.publishAsync(j.topic, j.payload, { qos: 1 })); };
  if (rate > 0) {
    // Paced: message i goes at t0 + i / rate (steady device-cadence load beside another bench).
    let i = 0;
    const start = performance.now();
    await new Promise<void>((done) => {
      const tick = (): void => {
        const due = Math.min(list.length, Math.floor(((performance.now() - start) * rate) / 1000));
        for (; i < due; i++) one(list[i]!, i);
        if (i >= list.length) done(); else setTimeout(tick, 1);
      };
      tick();
    });
  } else list.forEach(one);
  await Promise.all(sent);
}

/** Start a phase: reset the counters, publish `list`, resolve with ms once `want` readings are acked. */
function phase(list: Job[], want: number): Promise<number> {
  acked = 0; rejected = 0; ackMessages = 0; target = want;
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  const done = new Promise<number>((r) => { reached = r; });
  void publishAll(list);
  return done;
}

const timer = setTimeout(() => { process.send!({ kind: 'timeout', acked, rejected }); }, 600_000);
process.on('message', (cmd: string) => {
  if (cmd === 'warmup') void phase(warmJobs, Number(warmTotalArg ?? 0)).then(() => process.send!({ kind: 'warm', acked }));
  else if (cmd === 'go') {
    void phase(jobs, total).then((ms) => {
      const cpu = process.cpuUsage(cpu0);
      process.send!({ kind: 'done', ms, acked, rejected, ackMessages, cpuUs: cpu.user + cpu.system });
    });
  } else if (cmd === 'replay') {
    target = Infinity;
    const c0 = process.cpuUsage();
    void publishAll(jobs).then(() => { const cpu = process.cpuUsage(c0); process.send!({ kind: 'sent', cpuUs: cpu.user + cpu.system }); });
  } else if (cmd === 'end') {
    clearTimeout(timer);
    void Promise.all(clients.map((c) => c.endAsync(true))).then(() => process.disconnect());
  }
});
process.on('disconnect', () => process.exit(0));
process.send!({ kind: 'ready' });
