// Bench publisher (child process, so its CPU is not counted as the BAL's): K MQTT connections
// replay pre-serialized readings batches (JSON lines file: {topic, payload}) at full speed
// with QoS 1 and count acked readings. Talks to the parent over IPC.
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';

const [url, jobsPath, connectionsArg, totalArg, rateArg] = process.argv.slice(2) as [string, string, string, string, string | undefined];
/** Messages per second (0 or absent: as fast as possible). */
const rate = Number(rateArg ?? 0);
const connections = Number(connectionsArg);
const total = Number(totalArg);
const jobs = readFileSync(jobsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { topic: string; payload: string });
const clients = await Promise.all(Array.from({ length: connections }, (_, i) => mqtt.connectAsync(url, { clientId: `bench-pub-${i}`, reconnectPeriod: 0 })));
let acked = 0;
let rejected = 0;
let ackMessages = 0;
let t0 = 0;
let cpu0 = process.cpuUsage();
const done = new Promise<number>((resolve) => {
  clients[0]!.on('message', (_topic, payload) => {
    const a = JSON.parse(payload.toString()) as { v: 1 | 2; stored: number[]; duplicate: number[]; settled: [number, number][]; rejected: unknown[] };
    if (a.v === 2) for (const [from, to] of a.settled) acked += to - from + 1;
    else acked += a.stored.length + a.duplicate.length;
    acked += a.rejected.length;
    ackMessages++;
    rejected += a.rejected.length;
    if (acked >= total) resolve(performance.now() - t0);
  });
});
await clients[0]!.subscribeAsync('ln/v1/+/ack', { qos: 0 });
process.send!({ kind: 'ready' });
await new Promise<void>((r) => process.once('message', () => r()));
t0 = performance.now();
cpu0 = process.cpuUsage();
if (rate > 0) {
  // Paced: message i goes at t0 + i / rate (steady device-cadence load beside another bench).
  let i = 0;
  await new Promise<void>((done) => {
    const tick = (): void => {
      const due = Math.min(jobs.length, Math.floor(((performance.now() - t0) * rate) / 1000));
      for (; i < due; i++) clients[i % connections]!.publish(jobs[i]!.topic, jobs[i]!.payload, { qos: 1 });
      if (i >= jobs.length) done(); else setTimeout(tick, 1);
    };
    tick();
  });
} else jobs.forEach((j, i) => clients[i % connections]!.publish(j.topic, j.payload, { qos: 1 }));
const timer = setTimeout(() => { process.send!({ kind: 'timeout', acked, rejected }); }, 600_000);
const ms = await done;
clearTimeout(timer);
const cpu = process.cpuUsage(cpu0);
process.send!({ kind: 'done', ms, acked, rejected, ackMessages, cpuUs: cpu.user + cpu.system });
await Promise.all(clients.map((c) => c.endAsync(true)));
process.disconnect();
