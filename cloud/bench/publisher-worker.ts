// Bench publisher (worker thread): K MQTT connections replay pre-serialized readings batches
// at full speed (QoS 1) and count acked readings; reports the wall time first publish → last ack.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { url, connections, jobs, total } = workerData as { url: string; connections: number; jobs: { topic: string; payload: string }[]; total: number };
const clients = await Promise.all(Array.from({ length: connections }, (_, i) => mqtt.connectAsync(url, { clientId: `bench-pub-${i}`, reconnectPeriod: 0 })));
let acked = 0;
let rejected = 0;
let t0 = 0;
const done = new Promise<number>((resolve) => {
  const listener = await_ack(resolve);
  clients[0]!.on('message', listener);
});
function await_ack(resolve: (ms: number) => void) {
  return (_topic: string, payload: Buffer) => {
    const a = JSON.parse(payload.toString()) as { stored: number[]; duplicate: number[]; rejected: unknown[] };
    acked += a.stored.length + a.duplicate.length + a.rejected.length;
    rejected += a.rejected.length;
    if (acked >= total) resolve(performance.now() - t0);
  };
}
await clients[0]!.subscribeAsync('ln/v1/+/ack', { qos: 0 });
parentPort!.postMessage({ kind: 'ready' });
await new Promise<void>((r) => parentPort!.once('message', () => r()));
t0 = performance.now();
jobs.forEach((j, i) => clients[i % connections]!.publish(j.topic, j.payload, { qos: 1 }));
const timeout = setTimeout(() => parentPort!.postMessage({ kind: 'timeout', acked, rejected }), 300_000);
const ms = await done;
clearTimeout(timeout);
parentPort!.postMessage({ kind: 'done', ms, acked, rejected });
await Promise.all(clients.map((c) => c.endAsync(true)));
