// End to end, all real parts: a bundle built by `fleet bundle` (CLI-made key, registered on
// anvil) is flashed into a scratch rootfs; the installed agent runs from there (node only)
// against the SDM630 simulator over Modbus TCP and a BAL (embedded broker on TLS only, with the
// bundle's CA and broker credentials; SQLite; anchoring). Its signed readings are stored and anchored, a
// receipt from the BAL verifies with verify-receipt, `fleet status` sees the node, and
// `fleet rotate` / `fleet revoke` change what the BAL accepts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Contract, Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { freePort } from '../../src/free-port.js';
import { makeTestCa } from '../../src/tls-ca.js';
import { loadArtifact } from '@lightnode/contracts/artifacts';
import { parseConfig } from '@lightnode/cloud/config';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { secretHash } from '@lightnode/cloud/operator';
import { loadTemplate as loadSimTemplate } from '@lightnode/hardware-sim/devices/template';
import { SimMeter } from '@lightnode/hardware-sim/devices/sim-meter';
import { ModbusTcpServer } from '@lightnode/hardware-sim/modbus/tcp-server';
import { SimClock } from '@lightnode/hardware-sim/physics/clock';
import type { BundleManifest } from '@lightnode/scripts/fleet/bundle-manifest';
import { verifyReceipt } from '@lightnode/scripts/verify-receipt';
import { main as verifyCli } from '@lightnode/scripts/verify-receipt/cli';
import { startChain, type ChainFixture } from '../../src/chain.js';
import { fleet } from '../../src/fleet-cli.js';

const EDGE = fileURLToPath(new URL('../../../edge/', import.meta.url));
const POD = 'IT001E88000001';
const API_KEY = 'fleet-e2e-api-key-0123456789';
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };

let f: ChainFixture;
let g: string[];
let sim: ModbusTcpServer;
let bal: RunningBal | null = null;
let agent: ChildProcess | null = null;
let agentLog = '';
let root = '';
let manifest: BundleManifest;

async function api<T>(path: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${bal!.endpoints.api}${path}`, { headers: { 'x-api-key': API_KEY } });
  return { status: res.status, body: (await res.json()) as T };
}
interface NodeView { pod: string; readings: number; rejected: number; lastStoredSeq: number | null }
interface ReadingView { id: number; seq: number; status: string; timestamp: number }
async function node(): Promise<NodeView | null> {
  const r = await api<{ items: NodeView[] }>('/api/nodes');
  return r.body.items.find((n) => n.pod === POD) ?? null;
}
async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- agent log ---\n${agentLog.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test.before(async () => {
  f = await startChain();
  g = ['--deployment', f.deploymentPath];
  // the BAL anchors with its own account (account 1), so its nonces never race the DSO's
  const anchorAdmin = new Contract(f.deployment.readingAnchor, loadArtifact('ReadingAnchor').abi as never, f.dso);
  const balRole = await anchorAdmin.getFunction('BAL_ROLE')();
  await (await anchorAdmin.getFunction('grantRole')(balRole, new Wallet(ANVIL_PRIVATE_KEYS[1]).address)).wait();

  const clock = new SimClock({});
  const meter = new SimMeter({ id: 'm630', template: loadSimTemplate('sdm630'), clock, profile: { kind: 'constant', powerW: 2300 }, initialImportWh: 1_234_000 });
  sim = new ModbusTcpServer({ devices: new Map([[1, meter]]) });
  const { port: simPort } = await sim.start();
  const site = JSON.parse(readFileSync(fileURLToPath(new URL('../../../scripts/templates/lab-simulators.json', import.meta.url)), 'utf8'));
  site.meters[0].link.port = simPort;
  site.meters[0].intervalMs = 500;
  writeFileSync(join(f.dir, 'site.json'), JSON.stringify(site));

  // the broker speaks TLS only, with a certificate from a throw-away CA the bundle carries (--ca)
  const tlsDir = join(f.dir, 'tls');
  makeTestCa(tlsDir);
  const brokerPort = await freePort();
  const out = join(f.dir, 'bundle');
  const b = await fleet(['bundle', ...g, '--pod', POD, '--out', out, '--key-mode', 'cli', '--broker', `mqtts://localhost:${brokerPort}`, '--ca', join(tlsDir, 'ca.pem'), '--template', join(f.dir, 'site.json'), '--scrypt-n', '1024'], env);
  assert.is(b.code, 0, b.err + b.out);
  manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as BundleManifest;

  const config = parseConfig({
    chain: { deploymentPath: f.deploymentPath },
    broker: { port: null, tls: { certPath: join(tlsDir, 'server.pem'), keyPath: join(tlsDir, 'server.key'), port: brokerPort }, credentialsPath: join(out, 'broker/bal-credentials.json') },
    store: { kind: 'sqlite', path: ':memory:' },
    anchoring: { enabled: true, windowMs: 1000, pollIntervalMs: 200, confirmations: 0 },
    registry: { pollIntervalMs: 200 },
    api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: secretHash(API_KEY) }] },
    log: { level: 'warn' },
  }, f.dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[1] });
  bal = await startBal(config);

  root = join(f.dir, 'rootfs');
  mkdirSync(root);
  const fl = await fleet(['flash', '--bundle', out, '--target', root, '--node-modules-from', EDGE]);
  assert.is(fl.code, 0, fl.err);
  assert.is(readFileSync(join(root, 'etc/lightnode/ca.pem'), 'utf8'), readFileSync(join(tlsDir, 'ca.pem'), 'utf8'));
  agent = spawn(process.execPath, [join(root, 'opt/lightnode/lightnode.cjs'), 'run', '--config', join(root, 'etc/lightnode/config.json')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  agent.stdout!.on('data', (d) => (agentLog += d));
  agent.stderr!.on('data', (d) => (agentLog += d));
});

test.after(async () => {
  if (agent && agent.exitCode === null) {
    agent.kill('SIGTERM');
    await new Promise((r) => { const t = setTimeout(() => { agent!.kill('SIGKILL'); r(null); }, 5000); agent!.once('exit', () => { clearTimeout(t); r(null); }); });
  }
  await bal?.stop();
  await sim?.stop();
  await f?.stop();
});

test('the flashed agent\'s signed readings are accepted by the BAL and anchored; the receipt verifies', async () => {
  const n = await until('readings stored', async () => { const x = await node(); return x && x.readings >= 3 ? x : null; });
  assert.is(n.rejected, 0);
  const anchored = await until('an anchored reading', async () => {
    const r = await api<{ items: ReadingView[] }>(`/api/readings?pod=${POD}&status=anchored`);
    return r.body.items[0] ?? null;
  });
  const receipt = await until('its receipt', async () => { const r = await api<Record<string, unknown>>(`/api/readings/${anchored.id}/receipt`); return r.status === 200 ? r.body : null; });
  assert.is((receipt as { signer: string }).signer.toLowerCase(), manifest.address);
  const res = await verifyReceipt(receipt, { rpcUrl: f.anvil.rpcUrl });
  assert.ok(res.ok, JSON.stringify(res.checks, null, 1));
  const path = join(f.dir, 'receipt.json');
  writeFileSync(path, JSON.stringify(receipt));
  assert.is(await verifyCli([path, '--rpc', f.anvil.rpcUrl, '--deployment', f.deploymentPath], () => {}), 0);
  const tampered = JSON.parse(JSON.stringify(receipt));
  tampered.reading.values[0].value += 1;
  writeFileSync(path, JSON.stringify(tampered));
  assert.is(await verifyCli([path, '--rpc', f.anvil.rpcUrl], () => {}), 1);
});

test('fleet status joins the registry with the BAL: the node is seen, without gaps or rejects', async () => {
  const s = await fleet(['status', ...g, '--bal', bal!.endpoints.api, '--api-key', API_KEY, '--json']);
  assert.is(s.code, 0, s.err);
  const rows = JSON.parse(s.out) as { pod: string; flags: string[]; lastSeq: number | null }[];
  const row = rows.find((r) => r.pod === POD)!;
  assert.equal(row.flags, []);
  assert.ok(row.lastSeq !== null && row.lastSeq >= 0);
  const bad = await fleet(['status', ...g, '--bal', bal!.endpoints.api, '--api-key', 'wrong']);
  assert.match(bad.err, /^FLEET_BAL_UNREACHABLE: BAL answered 401/);
});

test('fleet rotate: the BAL stops accepting the old device; fleet revoke: nothing it signs is accepted', async () => {
  const before = (await node())!;
  const other = Wallet.createRandom().address;
  const r = await fleet(['rotate', ...g, '--pod', POD, '--address', other], env);
  assert.is(r.code, 0, r.err);
  const afterRotate = await until('rejections after rotation', async () => { const x = await node(); return x && x.rejected > before.rejected ? x : null; });
  // the agent quarantines what the BAL rejects (never drops it)
  const agentStatus = async () => JSON.parse(execFileSync(process.execPath, [join(root, 'opt/lightnode/lightnode.cjs'), 'status', '--config', join(root, 'etc/lightnode/config.json')], { cwd: root, encoding: 'utf8' })) as { spool: { quarantined: number } };
  const st = await until('the agent to quarantine the rejected readings', async () => { const x = await agentStatus(); return x.spool.quarantined > 0 ? x : null; }, 20_000);
  assert.ok(st.spool.quarantined > 0);
  const storedAtRotate = afterRotate.readings;
  const rv = await fleet(['revoke', ...g, '--pod', POD], env);
  assert.is(rv.code, 0, rv.err);
  const later = await until('more rejections after revocation', async () => { const x = await node(); return x && x.rejected > afterRotate.rejected + 1 ? x : null; });
  assert.ok(later.readings <= storedAtRotate + 1, `readings kept being stored: ${storedAtRotate} → ${later.readings}`);
  const s = await fleet(['status', ...g, '--bal', bal!.endpoints.api, '--api-key', API_KEY, '--json']);
  const row = (JSON.parse(s.out) as { pod: string; flags: string[] }[]).find((x) => x.pod === POD)!;
  assert.ok(row.flags.includes('revoked'));
  assert.ok(row.flags.includes('rejects'));
});

test.run();
