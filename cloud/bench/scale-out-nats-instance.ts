// One ingest instance of bench/scale-out-nats.ts (child process, so its CPU is its own): the
// BAL's ingest pipeline (verify pool, registry mirror, PostgreSQL store) on the JetStream source,
// acks published through NATS's MQTT listener. Talks to the parent over IPC: `ready`, then stops
// on any message and reports `stopped`.
import mqtt from 'mqtt';
import { makeDomain } from '@lightnode/shared/eip712';
import type { Hex } from '@lightnode/shared/hex';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { openPostgresStore } from '../src/store/postgres-store.js';
import { createLogger } from '../src/log.js';
import { MetricsRegistry } from '../src/metrics.js';
import { createVerifyPool } from '../src/verify/pool.js';
import { startRegistryMirror } from '../src/registry/mirror.js';
import { startIngest } from '../src/ingest/ingest.js';
import { jetStreamReadingsSource } from '../src/ingest/jetstream-source.js';

const a = JSON.parse(process.argv[2]!) as {
  id: string; rpcUrl: string; chainId: number; podRegistry: Hex; deployBlock: number; pgUrl: string; schema: string;
  natsUrl: string; mqttUrl: string; threads: number;
};
const log = createLogger({ level: 'warn' });
const metrics = new MetricsRegistry();
const store = await openPostgresStore({ url: a.pgUrl, schema: a.schema, poolSize: 4 });
const pool = await createVerifyPool({ domain: makeDomain(a.chainId, a.podRegistry), threads: a.threads });
const mirror = await startRegistryMirror({ provider: jsonRpcProvider(a.rpcUrl, a.chainId), podRegistry: a.podRegistry, fromBlock: a.deployBlock, log, metrics });
const client = await mqtt.connectAsync(a.mqttUrl, { clientId: `bal@${a.id}`, protocolVersion: 4 });
const source = jetStreamReadingsSource({ servers: [a.natsUrl], metrics, log, ackWaitMs: 30_000, maxAckPending: 10_000, name: a.id });
const ingest = await startIngest({ mqtt: client, source, store, mirror, pool, metrics, log });
process.send!({ kind: 'ready' });
process.once('message', () => {
  void (async () => {
    await ingest.stop();
    await client.endAsync(true);
    await mirror.stop();
    await pool.close();
    await store.close();
    process.send!({ kind: 'stopped' });
    process.disconnect();
  })();
});
