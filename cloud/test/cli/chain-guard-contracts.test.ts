// The chain guard checks every contract the BAL is configured with, the DataServerRegistry too:
// a BAL whose deployment names a DataServerRegistry with code is `chain: ok`; the same BAL told
// (chain.dataServerRegistry) an address without code reports `chain: mismatch` on /healthz, the
// problem naming the DataServerRegistry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeDeployment } from '@lightnode/contracts/deploy';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { parseConfig } from '../../src/config.js';
import { expectedChain, resolveChain, startBal, type RunningBal } from '../../src/bal.js';
import { createLogger, silentLogger } from '../../src/log.js';

const dir = mkdtempSync(join(tmpdir(), 'bal-guard-ds-'));
let chain: ChainFixture;
const bals: RunningBal[] = [];
test.before(async () => { chain = await startChain(); });
test.after(async () => {
  for (const b of bals) await b.stop().catch(() => {});
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function config(dataServerRegistry?: string) {
  const deploymentPath = join(dir, 'deployment.json');
  writeDeployment(deploymentPath, chain.deployment);
  return parseConfig({
    roles: ['api'], chain: { deploymentPath, ...(dataServerRegistry ? { dataServerRegistry } : {}) },
    broker: { kind: 'embedded', port: 0 }, store: { kind: 'sqlite', path: ':memory:' },
    anchoring: { enabled: false }, ingest: { verifyThreads: 0 }, api: { port: 0 }, dashboard: { enabled: false },
  }, dir, {});
}

test('expectedChain lists the DataServerRegistry when configured', () => {
  assert.ok(chain.deployment.dataServerRegistry, 'the fixture deploys one');
  const e = expectedChain(resolveChain(config()));
  assert.equal(Object.keys(e.contracts).sort(), ['DataServerRegistry', 'PodRegistry', 'ReadingAnchor', 'SubscriptionRegistry'].filter((n) => n !== 'SubscriptionRegistry' || chain.deployment.subscriptionRegistry).sort());
  assert.is(e.contracts.DataServerRegistry, chain.deployment.dataServerRegistry);
});

test('/healthz: ok with the deployed DataServerRegistry, mismatch when it names an address without code', async () => {
  const good = await startBal(config(), { log: silentLogger });
  bals.push(good);
  const h1 = await (await fetch(`${good.endpoints.api}/healthz`)).json() as { checks: Record<string, string> };
  assert.is(h1.checks.chain, 'ok');
  const lines: string[] = [];
  const bad = await startBal(config(`0x${'de'.repeat(20)}`), { log: createLogger({ level: 'warn', write: (l) => lines.push(l) }) });
  bals.push(bad);
  const r = await fetch(`${bad.endpoints.api}/healthz`);
  const h2 = await r.json() as { checks: Record<string, string> };
  assert.is(h2.checks.chain, 'mismatch');
  assert.ok(lines.some((l) => /BAL_CHAIN_MISMATCH/.test(l) && /DataServerRegistry/.test(l)), `the problem names the DataServerRegistry: ${lines.join('\n')}`);
});

test.run();
