// Two `bal run` instances with `retention.enabled` on one store (a SQLite file on one host): only
// one holds the `retention` lease and runs passes; /healthz and the metrics say which. When the
// leader stops, the other takes the lease over.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '@lightnode/contracts/deploy';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { silentLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-retention-lease-'));
let chain: ChainFixture;
const bals: RunningBal[] = [];
test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const b of bals) await b.stop().catch(() => {});
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function bal(instanceId: string): Promise<RunningBal> {
  const deploymentPath = join(dir, 'deployment.json');
  writeDeployment(deploymentPath, chain.deployment);
  const config = parseConfig({
    roles: ['api'], instanceId, chain: { deploymentPath },
    broker: { kind: 'embedded', port: 0 }, store: { kind: 'sqlite', path: join(dir, 'bal.db') },
    anchoring: { enabled: false, leaseTtlMs: 1000, leaseRenewMs: 200, leaseRenewDeadlineMs: 700 },
    retention: { enabled: true, archiveDir: join(dir, 'archive') },
    ingest: { verifyThreads: 0 }, api: { port: 0 }, dashboard: { enabled: false },
  }, dir, {});
  const b = await startBal(config, { log: silentLogger, retentionFirstDelayMs: 3_600_000 });
  bals.push(b);
  return b;
}

async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.unreachable(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
type Health = { instance: { id: string; retention?: { role: string; epoch: number | null } } };
const health = async (b: RunningBal): Promise<Health> => await (await fetch(`${b.endpoints.api}/healthz`)).json() as Health;

test('one retention leader among two instances; the other takes over when it stops', async () => {
  const a = await bal('bal-ret-a');
  await until('a leads retention', () => a.retentionLease!.isLeader());
  const b = await bal('bal-ret-b');
  await b.retentionLease!.renew();
  assert.equal((await health(a)).instance.retention, { role: 'leader', epoch: 1 });
  assert.equal((await health(b)).instance.retention, { role: 'follower', epoch: null });
  assert.match(a.metrics.render(), /bal_lease_leader\{instance_id="bal-ret-a",roles="api",lease="retention"\} 1/);
  assert.match(b.metrics.render(), /bal_lease_leader\{instance_id="bal-ret-b",roles="api",lease="retention"\} 0/);
  assert.is(a.lease, null, 'no anchor lease without anchoring');

  await a.stop(); // releases the lease
  await until('b leads retention', () => b.retentionLease!.isLeader());
  assert.equal((await health(b)).instance.retention, { role: 'leader', epoch: 2 });
});

test.run();
