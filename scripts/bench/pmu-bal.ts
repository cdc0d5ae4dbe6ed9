/**
 * Issue 14's first "done when", as a soak script (not a test): a Light Node reads the PMU
 * simulator at 50 fps through its `kind: "pmu"` source for BENCH_PMU_SEC seconds (default 600),
 * signs and spools every frame and sends it to the **real BAL** (anvil with the contracts,
 * embedded broker, SQLite, the registry mirror, anchoring every 5 s). Then the stream is frozen
 * and the script waits until the BAL has stored and anchored (confirmed) everything the PMU sent,
 * and prints one JSON line: frames sent, readings stored, missing, doubled (two readings of one
 * frame time), duplicates acked, anchors, and the process's CPU and RSS.
 *
 *   node --import tsx scripts/bench/pmu-bal.ts            # 10 minutes at 50 fps
 *   BENCH_PMU_SEC=30 BENCH_PMU_FPS=50 node --import tsx scripts/bench/pmu-bal.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, registerPod } from '@lightnode/test-kit/chain';
import { parseConfig } from '@lightnode/cloud/config';
import { startBal } from '@lightnode/cloud/bal';
import { createLogger as createBalLogger } from '@lightnode/cloud/log';
import { hashPassword } from '@lightnode/cloud/operator';
import { startAgent } from '@lightnode/edge/agent';
import { validateConfig } from '@lightnode/edge/config';
import { DeviceKey } from '@lightnode/edge/provisioning';
import { createLogger as createEdgeLogger } from '@lightnode/edge/logger';
import { PmuServer } from '@lightnode/hardware-sim/pmu/pmu-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';

const seconds = Number(process.env.BENCH_PMU_SEC ?? 600);
const fps = Number(process.env.BENCH_PMU_FPS ?? 50);
const POD = 'IT001E00000050';
const say = (s: string): void => { process.stderr.write(`[pmu-bal] ${s}\n`); };

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pmu-bal-'));
  const chain = await startChain();
  const key = DeviceKey.generate();
  await registerPod(chain, POD, key.address);
  const password = randomBytes(12).toString('base64url');
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts: [{ username: POD, role: 'device', passwordHash: await hashPassword(password) }] }));
  const config = parseConfig({
    chain: { deploymentPath: chain.deploymentPath }, broker: { kind: 'embedded', port: 0, credentialsPath: 'credentials.json' },
    store: { kind: 'sqlite', path: 'bal.db' }, anchoring: { enabled: true, windowMs: 5000, pollIntervalMs: 250, confirmations: 1 },
    ingest: { verifyThreads: 1 }, registry: { pollIntervalMs: 500 }, api: { port: 0 }, log: { level: 'warn' },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0]! });
  const bal = await startBal(config, { log: createBalLogger({ level: 'warn' }) });
  const sim = new PmuServer({ sim: { idcode: 50, stn: 'SOAK_PMU', rateFps: fps }, clock: new SimClock({}), port: 0 });
  const { port } = await sim.start();
  mkdirSync(join(dir, 'node'), { recursive: true });
  const agentCfg = validateConfig({
    pod: POD, dataDir: join(dir, 'node'), chain: { chainId: chain.deployment.chainId, podRegistry: chain.deployment.podRegistry },
    mqtt: { url: bal.endpoints.mqtt!, username: POD, password, protocolVersion: 4, batchSize: 100 },
    meters: [{ id: 'pmu1', kind: 'pmu', host: '127.0.0.1', port, idcode: 50, stallTimeoutMs: 60_000, frameLog: 'pmu1.c37' }],
    http: { enabled: false },
  }, dir);
  const agent = await startAgent(agentCfg, { key, logger: createEdgeLogger({ level: 'warn', write: () => {} }) });
  say(`BAL ${bal.endpoints.api}, PMU tcp:${port} at ${fps} fps for ${seconds} s (data in ${dir})`);

  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  let rssMaxMb = 0;
  const sampler = setInterval(() => { rssMaxMb = Math.max(rssMaxMb, process.memoryUsage().rss / 2 ** 20); }, 1000);
  for (let left = seconds * 1000; left > 0; left = seconds * 1000 - (Date.now() - t0)) {
    await new Promise((r) => setTimeout(r, Math.min(30_000, left)));
    const c = await bal.store.counts();
    say(`${Math.round((Date.now() - t0) / 1000)} s: PMU sent ${sim.counters.data}, BAL stored ${c.readings} (${c.pending} not yet anchored)`);
  }
  sim.setFaults({ stalled: true }); // freeze: what was sent is the set to account for
  const sent = sim.counters.data;
  const elapsedSec = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await until(`${sent} readings stored`, async () => (await bal.store.counts()).readings >= sent, 120_000);
  await until('every reading anchored and confirmed', async () => (await bal.store.listReadings({ pod: POD, status: 'pending', limit: 1 })).items.length === 0
    && (await bal.store.listReadings({ pod: POD, status: 'anchored', limit: 1 })).items.length === 0, 120_000);

  const times = new Set<number>();
  let stored = 0;
  let doubled = 0;
  for (let afterId: number | undefined; ;) {
    const page = await bal.store.listReadings({ pod: POD, limit: 1000, ...(afterId !== undefined ? { afterId } : {}) });
    for (const r of page.items) { stored++; if (times.has(r.reading.timestamp)) doubled++; times.add(r.reading.timestamp); }
    if (page.nextAfterId === null) break;
    afterId = page.nextAfterId;
  }
  const node = await bal.store.nodeByPod(POD);
  const latest = await bal.store.latestAnchor();
  clearInterval(sampler);
  const result = {
    bench: 'pmu-bal', fps, seconds: Math.round(elapsedSec), framesSent: sent, readingsStored: stored, missing: sent - times.size, doubled,
    duplicatesAcked: node?.duplicates ?? 0, rejected: node?.rejected ?? 0, anchors: latest ? latest.index + 1 : 0, allConfirmed: true,
    processCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedSec) * 1000) / 10, rssMaxMb: Math.round(rssMaxMb),
    note: 'one process: BAL, agent, PMU simulator and anvil client; anvil is a child process',
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  await agent.stop();
  await sim.stop();
  await bal.stop();
  await chain.stop();
  rmSync(dir, { recursive: true, force: true });
  if (result.missing !== 0 || result.doubled !== 0) process.exitCode = 1;
}

main().catch((err: unknown) => { process.stderr.write(`pmu-bal failed: ${(err as Error).stack ?? String(err)}\n`); process.exit(1); });
