// A minimal BAL process for the kill-and-restart test: store + mirror + pool + ingest,
// configured from the BAL_CHILD env (JSON). Prints "ready" once subscribed.
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { makeDomain } from '@lightnode/shared/eip712';
import mqtt from 'mqtt';
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { createLogger } from '../../src/log.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { createVerifyPool } from '../../src/verify/pool.js';
import { startRegistryMirror } from '../../src/registry/mirror.js';
import { startIngest } from '../../src/ingest/ingest.js';

const cfg = JSON.parse(process.env.BAL_CHILD ?? '{}') as { brokerUrl: string; rpcUrl: string; chainId: number; podRegistry: `0x${string}`; deployBlock: number; dbPath: string };
const log = createLogger({ level: 'warn' });
const metrics = new MetricsRegistry();
const store = openSqliteStore({ path: cfg.dbPath });
const pool = await createVerifyPool({ domain: makeDomain(cfg.chainId, cfg.podRegistry), threads: 1 });
const mirror = await startRegistryMirror({ provider: jsonRpcProvider(cfg.rpcUrl, cfg.chainId), podRegistry: cfg.podRegistry, fromBlock: cfg.deployBlock, log, metrics });
const client = await mqtt.connectAsync(cfg.brokerUrl, { clientId: 'bal-child' });
await startIngest({ mqtt: client, store, mirror, pool, metrics, log });
process.stdout.write('ready\n');
