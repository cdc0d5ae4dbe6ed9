// A retention pass in its own process, for retention-suite.ts to SIGKILL at a chosen point:
//   retention-child.ts sqlite <db> | postgres <url> <schema>, then <archiveDir> <deployment JSON> <dayMs> archive|batch
// It prints KILL-ME when it reaches the point (after the day's archive is committed, or after
// the first delete batch) and then waits for the signal.
import { openSqliteStore } from '../../src/store/sqlite-store.js';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import { createRetention } from '../../src/retention/retention.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';

const args = process.argv.slice(2);
const kind = args.shift();
const store = kind === 'sqlite' ? openSqliteStore({ path: args.shift()! }) : await openPostgresStore({ url: args.shift()!, schema: args.shift()! });
const [archiveDir, deployment, dayMs, point] = args as [string, string, string, 'archive' | 'batch'];
const die = async (): Promise<void> => { process.stdout.write('KILL-ME\n'); await new Promise(() => {}); };
const retention = createRetention({ days: 5, archiveDir, deleteBatchSize: 2 }, {
  store, deployment: JSON.parse(deployment), metrics: new MetricsRegistry(), log: silentLogger,
  hooks: point === 'archive' ? { afterArchive: die } : { onDeleteBatch: die },
});
const res = await retention.archiveDays([Number(dayMs)]);
process.stdout.write(`${JSON.stringify(res)}\n`);
await store.close();
