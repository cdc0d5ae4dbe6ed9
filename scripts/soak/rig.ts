/**
 * The system the soak faults (issue 17 "Figures"), every part its own process so each can be
 * killed or stopped alone: anvil (state kept in a file across restarts), a private Mosquitto
 * (per-device accounts and ACL from the BAL's own config writer, persistence on), the BAL
 * (`bal run`, SQLite), one Light Node agent per PoD (the production bundle,
 * edge/dist/bundle/lightnode.cjs, with the unit's V8 flags), each reading one simulated SDM630
 * over Modbus TCP from an in-process lab. What the soak counts is read back through the parts'
 * own interfaces: the BAL's REST API, the agent's `status` and `spool export` commands.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { Wallet } from 'ethers';
import { startAnvil, freePort, ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { buildArtifacts } from '@lightnode/contracts/build';
import { deployAll, writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { jsonRpcProvider, podRegistryAt } from '@lightnode/contracts/connect';
import { hashPassword, newSecret, writeMosquittoConfig, type BrokerAccount } from '@lightnode/cloud/operator';
import { AGENT_NODE_FLAGS } from '@lightnode/edge/agent-bundle';
import { DeviceKey, encryptKeystore, writeKeystoreFile } from '@lightnode/edge/provisioning';
import { startLab, type Lab } from '@lightnode/hardware-sim/lab';
import { dynsecPluginPath } from '../src/demo/broker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AGENT_BUNDLE = join(ROOT, 'edge/dist/bundle/lightnode.cjs');
const BAL_CLI = join(ROOT, 'cloud/src/cli-bin.mjs');

export interface RigOptions {
  dir: string;
  /** PoDs, one SDM630 each; default 4. */
  pods?: number;
  /** Meter poll period, ms; default 1000 (1 Hz). */
  pollMs?: number;
  /** BAL anchor window, ms; default 2000. */
  anchorWindowMs?: number;
  log?: (line: string) => void;
}

export interface RigNode { pod: string; dir: string; configPath: string; address: string }

/** One PoD's figures after a run (see `collect`). */
export interface PodFigures {
  pod: string;
  signed: number;
  stored: number;
  duplicated: number;
  lost: number;
  /** Readings still in the agent's spool and not stored (the BAL never saw them). */
  stillSpooled: number;
  rejected: number;
  anchored: number;
  orderKept: boolean;
}

async function until(what: string, fn: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 250): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try { ok = await fn(); } catch { ok = false; }
    if (ok) return;
    if (Date.now() > end) throw new Error(`soak: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

export class Rig {
  readonly nodes: RigNode[] = [];
  anvil!: AnvilHandle;
  deployment!: Deployment;
  lab!: Lab;
  bal: ChildProcess | null = null;
  mosquitto: ChildProcess | null = null;
  readonly agents = new Map<string, ChildProcess>();
  apiUrl = '';
  apiKey = '';
  #anvilPort = 0;
  #mqttPort = 0;
  #mosquittoConf = '';
  #balEnv: Record<string, string> = {};
  readonly #log: (line: string) => void;

  private constructor(readonly o: Required<Omit<RigOptions, 'log'>>, log: (line: string) => void) { this.#log = log; }

  static async start(opts: RigOptions): Promise<Rig> {
    const rig = new Rig({ dir: opts.dir, pods: opts.pods ?? 4, pollMs: opts.pollMs ?? 1000, anchorWindowMs: opts.anchorWindowMs ?? 2000 }, opts.log ?? (() => {}));
    try {
      await rig.#setUp();
    } catch (err) {
      await rig.stop();
      throw err;
    }
    return rig;
  }

  get stateFile(): string { return join(this.o.dir, 'anvil-state.json'); }

  async #setUp(): Promise<void> {
    const { dir } = this.o;
    mkdirSync(dir, { recursive: true });
    if (!existsSync(AGENT_BUNDLE)) throw new Error(`soak: ${AGENT_BUNDLE} is missing; run \`pnpm -r run build\` first`);
    buildArtifacts({ quiet: true });
    this.#anvilPort = await freePort();
    await this.startChain();
    const provider = jsonRpcProvider(this.anvil.rpcUrl, this.anvil.chainId);
    const dso = new Wallet(ANVIL_PRIVATE_KEYS[0]!, provider);
    // Account 1 anchors, account 2 relays data-access decisions (their nonces never race).
    this.deployment = await deployAll(dso, { bal: [new Wallet(ANVIL_PRIVATE_KEYS[1]!).address], topicAdmins: [new Wallet(ANVIL_PRIVATE_KEYS[2]!).address], rpcUrl: this.anvil.rpcUrl });
    const deploymentPath = join(dir, 'deployment.json');
    writeDeployment(deploymentPath, this.deployment);

    this.lab = await startLab({
      timeAcceleration: 1,
      tcp: [{ name: 'tcp0', port: 0 }],
      devices: Array.from({ length: this.o.pods }, (_, i) => ({ id: `m${i + 1}`, type: 'sdm630', slaveId: i + 1, tcp: 'tcp0' })),
    });
    const tcp = this.lab.endpoints.tcp.tcp0!;

    // PoDs: keys, keystores, broker accounts, agent configs; registered in one go by the DSO.
    const registry = podRegistryAt(this.deployment.podRegistry, dso);
    const accounts: BrokerAccount[] = [];
    const mqttPasswords = new Map<string, string>();
    for (let i = 0; i < this.o.pods; i++) {
      const pod = `IT001E${String(91000 + i).padStart(8, '0')}`;
      const nodeDir = join(dir, 'nodes', pod);
      mkdirSync(nodeDir, { recursive: true, mode: 0o700 });
      const key = DeviceKey.generate();
      const password = randomBytes(12).toString('hex');
      writeFileSync(join(nodeDir, 'keystore.password'), `${password}\n`, { mode: 0o600 });
      writeKeystoreFile(join(nodeDir, 'keystore.json'), await encryptKeystore(key, password, { n: 1 << 12, r: 8, p: 1 }), { overwrite: true });
      const mqttPassword = randomBytes(12).toString('base64url');
      mqttPasswords.set(pod, mqttPassword);
      accounts.push({ username: pod, role: 'device', passwordHash: await hashPassword(mqttPassword) });
      await (await registry.getFunction('register')(pod, key.address)).wait();
      this.nodes.push({ pod, dir: nodeDir, configPath: join(nodeDir, 'config.json'), address: key.address.toLowerCase() });
    }
    const balLogin = { username: 'bal', password: randomBytes(12).toString('base64url') };
    accounts.push({ username: balLogin.username, role: 'bal', passwordHash: await hashPassword(balLogin.password) });
    // Data access on, as in production: the BAL follows subscription decisions through the
    // dynamic-security plugin with its own admin account.
    const plugin = dynsecPluginPath();
    if (!plugin) throw new Error('soak: Mosquitto\'s dynamic-security plugin is not installed (Debian: package mosquitto)');
    const dynsec = { username: 'bal-dynsec', password: randomBytes(12).toString('base64url') };

    this.#mqttPort = await freePort();
    const files = writeMosquittoConfig({
      outDir: join(dir, 'mosquitto'), accounts, listener: { port: this.#mqttPort, host: '127.0.0.1' },
      runAsUser: userInfo().username, persistenceDir: join(dir, 'mosquitto', 'data'),
      dynsecPluginPath: plugin, dynsecAdmin: { username: dynsec.username, passwordHash: await hashPassword(dynsec.password) },
    });
    mkdirSync(join(dir, 'mosquitto', 'data'), { recursive: true });
    this.#mosquittoConf = files.configPath;
    await this.startBroker();
    const mqttUrl = `mqtt://127.0.0.1:${this.#mqttPort}`;

    for (const n of this.nodes) {
      const i = this.nodes.indexOf(n);
      writeFileSync(n.configPath, `${JSON.stringify({
        pod: n.pod, dataDir: '.',
        keystore: { path: 'keystore.json', passwordFile: 'keystore.password', scryptN: 1 << 12 },
        chain: { deploymentFile: deploymentPath, rpcUrl: this.anvil.rpcUrl, rpcTimeoutMs: 5000 },
        spool: { path: 'spool.db', synchronous: 'normal' },
        mqtt: {
          url: mqttUrl, protocolVersion: 5, clientId: n.pod, username: n.pod, password: mqttPasswords.get(n.pod),
          batchSize: 100, ackTimeoutSec: 5, reconnectMinMs: 200, reconnectMaxMs: 2000, statusIntervalSec: 5,
        },
        meters: [{ id: 'sdm630', kind: 'modbus', template: 'sdm630', link: { kind: 'tcp', host: tcp.host, port: tcp.port }, device: { unitId: i + 1 }, intervalMs: this.o.pollMs }],
        ems: { enabled: false },
        http: { host: '127.0.0.1', port: 0 },
        log: { level: process.env.SOAK_LOG_LEVEL ?? 'info' },
      }, null, 2)}\n`, { mode: 0o600 });
    }

    // The BAL: external broker, SQLite, fixed API port (it runs as a child), short anchor windows.
    const api = newSecret();
    this.apiKey = api.secret;
    const apiPort = await freePort();
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    writeFileSync(join(dir, 'bal.json'), `${JSON.stringify({
      chain: { deploymentPath },
      broker: { kind: 'external', url: mqttUrl, username: balLogin.username, clientId: 'bal@soak', dynsecUsername: dynsec.username },
      store: { kind: 'sqlite', path: 'bal/bal.db' },
      anchoring: { enabled: true, windowMs: this.o.anchorWindowMs, maxLeaves: 10_000, pollIntervalMs: 250, confirmations: 1 },
      ingest: { verifyThreads: 1 },
      registry: { pollIntervalMs: 500 },
      api: { host: '127.0.0.1', port: apiPort, clients: [{ name: 'soak', role: 'dso', apiKeyHash: api.hash }] },
      dataAccess: { enabled: true, walletKeyPath: 'bal/wallet-master.key' },
      log: { level: process.env.SOAK_LOG_LEVEL ?? 'warn' },
    }, null, 2)}\n`);
    mkdirSync(join(dir, 'bal'), { recursive: true, mode: 0o700 });
    this.#balEnv = {
      BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[1]!, BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[2]!,
      BAL_BROKER_PASSWORD: balLogin.password, BAL_BROKER_DYNSEC_PASSWORD: dynsec.password,
    };
    provider.destroy();
    await this.startBal();
    for (const n of this.nodes) this.startAgent(n);
  }

  // ---- parts ------------------------------------------------------------------------------

  async startChain(): Promise<void> {
    this.anvil = await startAnvil({ port: this.#anvilPort, args: ['--state', this.stateFile] });
  }

  /** Stop anvil gracefully: it writes its state file, which `startChain` loads. */
  async stopChain(): Promise<void> { await this.anvil.stop(); }

  async startBroker(): Promise<void> {
    const child = spawn('mosquitto', ['-c', this.#mosquittoConf, ...(process.env.SOAK_MOSQUITTO_VERBOSE ? ['-v'] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    const toLog = (d: Buffer): void => {
      if (err.length < 4096) err += d.toString();
      try { writeFileSync(join(this.o.dir, 'mosquitto.log'), d, { flag: 'a' }); } catch { /* log only */ }
    };
    child.stdout!.on('data', toLog);
    child.stderr!.on('data', toLog);
    this.mosquitto = child;
    await until(`mosquitto on port ${this.#mqttPort}`, async () => {
      if (child.exitCode !== null) throw new Error(`mosquitto exited: ${err}`);
      const net = await import('node:net');
      return await new Promise<boolean>((r) => {
        const s = net.connect(this.#mqttPort, '127.0.0.1', () => { s.destroy(); r(true); });
        s.on('error', () => r(false));
      });
    }, 10_000, 100);
  }

  async stopBroker(): Promise<void> {
    const m = this.mosquitto;
    this.mosquitto = null;
    if (!m) return;
    m.kill('SIGTERM');
    await exited(m);
  }

  async startBal(): Promise<void> {
    const out = join(this.o.dir, 'bal.log');
    const child = spawn(process.execPath, [BAL_CLI, 'run', '--config', join(this.o.dir, 'bal.json')], {
      cwd: this.o.dir, env: { ...process.env, ...this.#balEnv }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const toLog = (d: Buffer): void => { try { writeFileSync(out, d, { flag: 'a' }); } catch { /* log only */ } };
    child.stdout!.on('data', toLog);
    child.stderr!.on('data', toLog);
    this.bal = child;
    await until('the BAL API', async () => {
      if (child.exitCode !== null) throw new Error(`bal exited with ${child.exitCode}; see ${out}`);
      return (await fetch(`${this.apiUrl}/healthz`, { signal: AbortSignal.timeout(2000) })).status > 0;
    }, 180_000); // a cold tsx start on a loaded 2-core machine has taken over a minute
  }

  async killBal(): Promise<void> {
    const b = this.bal;
    this.bal = null;
    if (!b) return;
    b.kill('SIGKILL');
    await exited(b);
  }

  async stopBal(): Promise<void> {
    const b = this.bal;
    this.bal = null;
    if (!b) return;
    b.kill('SIGTERM');
    const t = setTimeout(() => b.kill('SIGKILL'), 15_000);
    await exited(b);
    clearTimeout(t);
  }

  /**
   * Start `n`'s agent. The agents log at info level so the soak sees their first signed
   * reading of each run (`firstSigned` resolves then, or with false after `timeoutMs`).
   */
  startAgent(n: RigNode): { child: ChildProcess; firstSigned: (timeoutMs: number) => Promise<boolean> } {
    const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, AGENT_BUNDLE, 'run', '--config', n.configPath], { cwd: n.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let signed = false;
    const waiters: (() => void)[] = [];
    const toLog = (d: Buffer): void => {
      if (!signed && d.includes('first signed reading')) { signed = true; for (const w of waiters.splice(0)) w(); }
      try { writeFileSync(join(n.dir, 'agent.log'), d, { flag: 'a' }); } catch { /* log only */ }
    };
    child.stdout!.on('data', toLog);
    child.stderr!.on('data', toLog);
    child.once('exit', () => { for (const w of waiters.splice(0)) w(); });
    this.agents.set(n.pod, child);
    const firstSigned = (timeoutMs: number): Promise<boolean> => new Promise((resolve) => {
      if (signed) return resolve(true);
      const t = setTimeout(() => resolve(signed), timeoutMs);
      waiters.push(() => { clearTimeout(t); resolve(signed); });
    });
    return { child, firstSigned };
  }

  async killAgent(n: RigNode): Promise<void> {
    const c = this.agents.get(n.pod);
    this.agents.delete(n.pod);
    if (!c) return;
    c.kill('SIGKILL');
    await exited(c);
  }

  async stopAgents(): Promise<void> {
    await Promise.all([...this.agents.entries()].map(async ([pod, c]) => {
      this.agents.delete(pod);
      c.kill('SIGTERM');
      const t = setTimeout(() => c.kill('SIGKILL'), 15_000);
      await exited(c);
      clearTimeout(t);
    }));
  }

  // ---- reading back -----------------------------------------------------------------------

  /** An agent's spool: high-water seq, quarantined count, and the seqs still waiting (agent stopped). */
  agentSpool(n: RigNode): { lastSeq: number; quarantined: number; evicted: number; waiting: number[]; quarantinedSeqs: number[] } {
    const run = (args: string[]): string => {
      // A spool after a long outage holds megabytes: room for it (spawnSync's default is 1 MiB).
      const r = spawnSync(process.execPath, [AGENT_BUNDLE, ...args, '--config', n.configPath], { cwd: n.dir, encoding: 'utf8', maxBuffer: 1 << 30 });
      if (r.status !== 0) throw new Error(`lightnode ${args.join(' ')} failed: ${r.error?.message ?? ''} ${r.stderr}`);
      return r.stdout;
    };
    const st = JSON.parse(run(['status'])) as { spool: { lastSeq: number | null; quarantined: number; evictedReadings: number } };
    const seqs = (text: string): number[] => text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { reading: { seq: number } }).reading.seq);
    return {
      lastSeq: st.spool.lastSeq ?? -1, quarantined: st.spool.quarantined, evicted: st.spool.evictedReadings,
      waiting: seqs(run(['spool', 'export'])), quarantinedSeqs: seqs(run(['spool', 'export', '--quarantine'])),
    };
  }

  async api<T>(path: string): Promise<T> {
    const r = await fetch(`${this.apiUrl}${path}`, { headers: { 'x-api-key': this.apiKey }, signal: AbortSignal.timeout(10_000) });
    if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  }

  /** Every reading the BAL holds for `pod`: seq, timestamp, meter, status. */
  async storedReadings(pod: string): Promise<{ seq: number; timestamp: number; meter: string; status: string }[]> {
    const out: { seq: number; timestamp: number; meter: string; status: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { seq: number; timestamp: number; status: string; reading: { meter: string } }[]; next: string | null } =
        await this.api(`/api/readings?pod=${pod}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of page.items) out.push({ seq: r.seq, timestamp: r.timestamp, meter: r.reading.meter, status: r.status });
      cursor = page.next;
    } while (cursor);
    return out;
  }

  /**
   * After a scenario: stop the agents, let any that still spool readings deliver them (restarted
   * until the BAL holds what was waiting, then stopped again), wait until the BAL has anchored
   * and confirmed everything it stored, and count per PoD. Lost = a seq up to the agent's
   * high-water mark that is neither stored nor still in its spool (evictions included).
   */
  async collect(timeoutMs = 180_000): Promise<PodFigures[]> {
    await this.stopAgents();
    const spools = new Map(this.nodes.map((n) => [n.pod, this.agentSpool(n)]));
    // Agents stopped: what is still in a spool is restarted once more to deliver, then stopped.
    if ([...spools.values()].some((s) => s.waiting.length > 0)) {
      for (const n of this.nodes) if (spools.get(n.pod)!.waiting.length > 0) this.startAgent(n);
      await until('spools to empty', async () => {
        for (const n of this.nodes) {
          if (!this.agents.has(n.pod)) continue;
          const stored = new Set((await this.storedReadings(n.pod)).map((r) => r.seq));
          if (spools.get(n.pod)!.waiting.some((s) => !stored.has(s))) return false;
        }
        return true;
      }, timeoutMs, 1000);
      await this.stopAgents();
      for (const n of this.nodes) spools.set(n.pod, this.agentSpool(n));
    }
    await until('every stored reading to be confirmed on chain', async () => {
      for (const n of this.nodes) if ((await this.storedReadings(n.pod)).some((r) => r.status !== 'confirmed')) return false;
      return true;
    }, timeoutMs, 1000);
    const out: PodFigures[] = [];
    for (const n of this.nodes) {
      const sp = spools.get(n.pod)!;
      const rows = await this.storedReadings(n.pod);
      const seqs = new Set(rows.map((r) => r.seq));
      const spooled = new Set([...sp.waiting, ...sp.quarantinedSeqs]);
      let lost = 0;
      for (let s = 0; s <= sp.lastSeq; s++) if (!seqs.has(s) && !spooled.has(s)) lost += 1;
      const bySeq = [...rows].sort((a, b) => a.seq - b.seq);
      let orderKept = true;
      for (let i = 1; i < bySeq.length; i++) if (bySeq[i]!.timestamp < bySeq[i - 1]!.timestamp) orderKept = false;
      out.push({
        pod: n.pod, signed: sp.lastSeq + 1, stored: seqs.size, duplicated: rows.length - seqs.size, lost,
        stillSpooled: sp.waiting.filter((q) => !seqs.has(q)).length, rejected: sp.quarantined, anchored: rows.filter((r) => r.status === 'confirmed').length, orderKept,
      });
    }
    return out;
  }

  log(line: string): void { this.#log(line); }

  async stop(): Promise<void> {
    await this.stopAgents().catch(() => {});
    await this.stopBal().catch(() => {});
    await this.stopBroker().catch(() => {});
    await this.lab?.stop().catch(() => {});
    await this.anvil?.stop().catch(() => {});
  }
}

/** True when a `mosquitto` binary can be run (the soak needs its own broker process). */
export function hasMosquitto(): boolean {
  return spawnSync('mosquitto', ['-h'], { stdio: 'ignore' }).error === undefined;
}

export function readJson<T>(path: string): T { return JSON.parse(readFileSync(path, 'utf8')) as T; }
