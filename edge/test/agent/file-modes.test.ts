/**
 * The agent's files are its user's only (issue 17 #7: spool.db and setpoint-signers.json were
 * 0644 in 0755 folders). The real agent — lab simulators (SDM630 and EMS over Modbus TCP), a real
 * broker, anvil for the setpoint-signer list — runs on a fresh data folder under umask 022 (so
 * only the agent's own modes can make the files private), then every file and folder it created
 * is stat'ed: files 0600 (spool.db, -wal, -shm, the signer cache), folders 0700.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import { startAedes, type TestBroker } from '@lightnode/test-kit/aedes-broker';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { validateConfig } from '../../src/config.js';
import { startAgent, type Agent } from '../../src/agent.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { createLogger } from '../../src/ops/logger.js';
import { randomPod, waitFor } from '../helpers/broker.js';

const root = mkdtempSync(join(tmpdir(), 'ln-modes-'));
chmodSync(root, 0o755);
let lab: Lab;
let broker: TestBroker;
let chain: ChainFixture;
let agent: Agent | null = null;
const savedUmask = process.umask(0o022);

test.after(async () => {
  await agent?.stop();
  await lab?.stop();
  await broker?.close();
  await chain?.stop();
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

/** Every path under `dir` with its permission bits. */
function walk(dir: string): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    out.push({ path: relative(root, p), dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) out.push(...walk(p));
  }
  return out;
}

test('spool, its -wal/-shm and the signer cache are 0600 in folders created 0700', async () => {
  chain = await startChain();
  lab = await startLab({
    control: { host: '127.0.0.1', port: 0 },
    tcp: [{ name: 't1', host: '127.0.0.1', port: 0 }, { name: 'ems', host: '127.0.0.1', port: 0 }],
    devices: [
      { id: 'sdm', type: 'sdm630', slaveId: 1, tcp: 't1', initialImportWh: 1_000_000 },
      { id: 'ems', type: 'ems', slaveId: 1, tcp: 'ems' },
    ],
  });
  broker = await startAedes();
  const t1 = lab.endpoints.tcp.t1!;
  const ems = lab.endpoints.tcp.ems!;
  const dataDir = join(root, 'var', 'lib', 'lightnode'); // does not exist yet: the agent makes it
  const cfg = validateConfig({
    pod: randomPod(), dataDir,
    chain: { chainId: chain.deployment.chainId, podRegistry: chain.deployment.podRegistry, rpcUrl: chain.anvil.rpcUrl },
    spool: { path: 'spool/spool.db' },
    mqtt: { url: broker.url, protocolVersion: 4 },
    meters: [{ id: 'sdm', kind: 'modbus', template: 'sdm630', link: { kind: 'tcp', host: t1.host, port: t1.port }, device: { unitId: 1 }, intervalMs: 200 }],
    ems: { enabled: true, transport: 'modbus', fallback: 'release', signersCacheFile: 'ems/setpoint-signers.json', modbus: { host: ems.host, port: ems.port, unitId: 1 } },
    http: { port: 0 },
  }, root);
  agent = await startAgent(cfg, { key: DeviceKey.generate(), logger: createLogger({ level: 'error', write: () => {} }) });
  const a = agent;
  await waitFor(() => a.spool.status().lastSeq !== null && a.spool.status().lastSeq! >= 2, 30_000, 'three readings spooled');
  await waitFor(() => walk(root).some((e) => e.path.endsWith('setpoint-signers.json')), 30_000, 'the signer list cached');

  const created = walk(root); // everything under the (0755) root was made by the agent
  const names = created.map((e) => e.path);
  for (const f of ['var/lib/lightnode/spool/spool.db', 'var/lib/lightnode/spool/spool.db-wal', 'var/lib/lightnode/spool/spool.db-shm', 'var/lib/lightnode/ems/setpoint-signers.json']) assert.ok(names.includes(f), `${f} exists (${names.join(', ')})`);
  const wrong = created.filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
  assert.equal(wrong, [], 'every folder 0700, every file 0600');
});

test.run();
