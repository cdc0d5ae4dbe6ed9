/**
 * The scale-out rig (issue 16): one anvil with the contracts, one PostgreSQL schema, a broker
 * (the transport, a parameter), any number of BAL instances with roles — as real `bal run`
 * processes, or in this process — and simulated devices running the edge's own spool and uplink
 * (@lightnode/test-kit/sim-devices). It also checks what every scenario must keep:
 * every (device, seq) stored exactly once and without a gap up to the device's last seq, and
 * contiguous anchors (indices 0..n-1 chained in the store and on chain, every reading in
 * exactly one).
 *
 * A transport is what differs between Mosquitto `$share` and NATS JetStream: how its broker
 * starts for these device accounts, the `broker` + `ingest` sections (and secrets) of each BAL
 * instance's config, and the URL devices connect to. `mosquittoShared` is the first
 * (./mosquitto-transport.ts), a 3-node NATS JetStream cluster the second (./nats-transport.ts).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { jsonRpcProvider, readingAnchorAt } from '@lightnode/contracts/connect';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { forkSimDevices, startSimDevices, type SimDeviceSpec, type SimDevices, type SimDevicesStats } from '@lightnode/test-kit/sim-devices';
import type { Hex } from '@lightnode/shared/hex';
import { openPostgresStore } from '../../src/store/postgres-store.js';
import type { BalStore } from '../../src/store/types.js';
import { computeAnchorHash } from '../../src/anchor/window.js';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { silentLogger } from '../../src/log.js';
import { startCli } from '../cli/run-cli.js';

export const PG_URL = process.env.BAL_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A broker the devices and the BAL instances meet on. */
export interface Transport {
  readonly name: string;
  /**
   * Start the broker for these device accounts. `open`: anyone may connect and publish anywhere
   * (benches, whose publishers replay many devices' readings over a few connections).
   */
  start(o: { dir: string; devices: readonly { pod: string; password: string }[]; open?: boolean }): Promise<RunningTransport>;
}

export interface RunningTransport {
  /** The URL devices connect to (MQTT); several: device i connects to `deviceUrl[i % n]` (cluster nodes). */
  deviceUrl: string | readonly string[];
  /** Device MQTT protocol level (NATS 2.9 speaks 3.1.1 only). */
  deviceProtocol: 4 | 5;
  /** The `broker` and `ingest` config sections of instance `id`, and the env it needs (secrets). */
  balConfig(instanceId: string): { broker: Record<string, unknown>; ingest: Record<string, unknown>; env: Record<string, string> };
  /**
   * A broker fault the scenario injects mid-stream (NATS: SIGKILL one cluster node) and heals
   * later (restart it); absent when the transport has no such fault to survive (one Mosquitto).
   */
  fault?: { name: string; inject(): Promise<void>; heal(): Promise<void> };
  /** CPU µs the broker process(es) used so far (/proc). */
  cpuUs(): number;
  stop(): Promise<void>;
}

export type Role = 'ingest' | 'api' | 'anchor';

export interface RigOptions {
  transport: Transport;
  /** Devices to register (one PoD each); default 200. */
  devices?: number;
  /** An open broker (Transport.start `open`), for benches. */
  open?: boolean;
  /** Extra BAL config (merged into each instance's `anchoring`, `ingest` and `log` sections). */
  anchoring?: Record<string, unknown>;
  ingest?: Record<string, unknown>;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  log?: (line: string) => void;
}

/** A `bal run` process. */
export interface BalProcess { id: string; roles: readonly Role[]; api: string; proc: ReturnType<typeof startCli> }

async function until<T>(what: string, cond: () => Promise<T | null | false | undefined> | T | null | false | undefined, timeoutMs: number, stepMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let v: T | null | false | undefined = null;
    try { v = await cond(); } catch { v = null; }
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`scale-out rig: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
export { until };

export class ScaleOutRig {
  readonly dir = mkdtempSync(join(tmpdir(), 'bal-scale-out-'));
  readonly schema = `bal_test_scale_${randomBytes(5).toString('hex')}`;
  chain!: ChainFixture;
  broker!: RunningTransport;
  /** The store, opened by the rig for its checks (one more PostgreSQL client). */
  store!: BalStore;
  readonly devices: (SimDeviceSpec & { address: Hex })[] = [];
  readonly procs = new Map<string, BalProcess>();
  readonly inProcess = new Map<string, RunningBal>();
  sim: SimDevices | null = null;
  readonly log: (line: string) => void;

  private constructor(readonly o: RigOptions) { this.log = o.log ?? (() => {}); }

  static async start(o: RigOptions): Promise<ScaleOutRig> {
    const rig = new ScaleOutRig(o);
    try { await rig.#setUp(); } catch (err) { await rig.stop(); throw err; }
    return rig;
  }

  async #setUp(): Promise<void> {
    const t0 = Date.now();
    this.chain = await startChain();
    const n = this.o.devices ?? 200;
    for (let i = 0; i < n; i++) {
      const w = Wallet.createRandom();
      this.devices.push({ pod: `IT001E${String(70_000_000 + i).padStart(8, '0')}`, secret: w.privateKey as Hex, password: randomBytes(9).toString('base64url'), address: w.address.toLowerCase() as Hex });
    }
    let nonce = await this.chain.dso.getNonce('pending');
    const txs = [];
    for (let i = 0; i < n; i += 100) {
      const chunk = this.devices.slice(i, i + 100);
      txs.push(await this.chain.registry.getFunction('registerBatch')(chunk.map((d) => d.pod), chunk.map((d) => d.address), { nonce: nonce++ }));
    }
    await Promise.all(txs.map((t) => t.wait()));
    this.broker = await this.o.transport.start({ dir: join(this.dir, 'broker'), devices: this.devices, ...(this.o.open ? { open: true } : {}) });
    this.store = await openPostgresStore({ url: PG_URL, schema: this.schema, poolSize: 2 });
    this.log(`rig: chain, ${n} devices registered, ${this.o.transport.name} up in ${Date.now() - t0} ms`);
  }

  /** The raw config of instance `id` with `roles` (and the env it needs). */
  instanceConfig(id: string, roles: readonly Role[]): { config: Record<string, unknown>; env: Record<string, string> } {
    const b = this.broker.balConfig(id);
    return {
      config: {
        instanceId: id, roles, chain: { deploymentPath: this.chain.deploymentPath },
        broker: b.broker,
        store: { kind: 'postgres', url: PG_URL, schema: this.schema, poolSize: 2 },
        ingest: { verifyThreads: 0, ...b.ingest, ...this.o.ingest },
        anchoring: { windowMs: 1000, pollIntervalMs: 200, maxLeaves: 5000, ...this.o.anchoring },
        registry: { pollIntervalMs: 500 },
        api: { port: 0 }, dashboard: { enabled: false }, log: { level: this.o.logLevel ?? 'warn' },
      },
      env: { ...b.env, ...(roles.includes('anchor') ? { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0]! } : {}) },
    };
  }

  /** Start instance `id` as a `bal run --roles …` process; resolves once it says `started`. */
  async spawn(id: string, roles: readonly Role[]): Promise<BalProcess> {
    const { config, env } = this.instanceConfig(id, roles);
    const file = join(this.dir, `${id}.json`);
    writeFileSync(file, JSON.stringify(config));
    const proc = startCli(['run', '--config', file, '--roles', roles.join(',')], env);
    const started = await proc.waitEvent('started', 180_000);
    const p: BalProcess = { id, roles, api: (started.endpoints as { api: string }).api, proc };
    this.procs.set(id, p);
    return p;
  }

  /** Start instance `id` in this process (startBal). */
  async startInProcess(id: string, roles: readonly Role[]): Promise<RunningBal> {
    const { config, env } = this.instanceConfig(id, roles);
    const bal = await startBal(parseConfig(config, this.dir, env), { log: silentLogger });
    this.inProcess.set(id, bal);
    return bal;
  }

  /** SIGKILL instance `id` (no goodbye: its in-flight messages and lease stay behind). */
  async kill(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (!p) throw new Error(`no instance ${id}`);
    this.procs.delete(id);
    p.proc.child.kill('SIGKILL');
    await p.proc.exited;
  }

  /** SIGTERM instance `id` and wait for its exit (a graceful stop). */
  async terminate(id: string): Promise<void> {
    const p = this.procs.get(id);
    if (!p) throw new Error(`no instance ${id}`);
    this.procs.delete(id);
    p.proc.child.kill('SIGTERM');
    const t = setTimeout(() => p.proc.child.kill('SIGKILL'), 20_000);
    await p.proc.exited;
    clearTimeout(t);
  }

  /** SIGTERM instance `id` and start it again with the same roles. */
  async restart(id: string): Promise<BalProcess> {
    const p = this.procs.get(id);
    if (!p) throw new Error(`no instance ${id}`);
    await this.terminate(id);
    return this.spawn(id, p.roles);
  }

  /** Start the devices (in a child process): a reading each `intervalMs`, resent after `ackTimeoutSec` without an ack. */
  startDevices(o: { intervalMs: number; ackTimeoutSec: number; inProcess?: boolean }): SimDevices {
    this.sim = (o.inProcess ? startSimDevices : forkSimDevices)({
      url: this.broker.deviceUrl, protocolVersion: this.broker.deviceProtocol, dir: join(this.dir, 'devices'),
      chainId: this.chain.deployment.chainId, podRegistry: this.chain.deployment.podRegistry as Hex,
      devices: this.devices.map(({ pod, secret, password }) => ({ pod, secret, password })), intervalMs: o.intervalMs, ackTimeoutSec: o.ackTimeoutSec,
    });
    return this.sim;
  }

  /** The anchor lease holder and epoch (null before the first leader). */
  async leader(): Promise<{ holder: string; epoch: number; expiresAtMs: number } | null> {
    const l = await this.store.readLease('anchor');
    return l && l.expiresAtMs > 0 ? { holder: l.holder, epoch: l.epoch, expiresAtMs: l.expiresAtMs } : null;
  }

  /** An instance's metric samples `name{…}` summed where the labels contain `match` (its /metrics, or its registry in this process). */
  async metric(id: string, name: string, match = ''): Promise<number> {
    const p = this.procs.get(id);
    const b = this.inProcess.get(id);
    if (!p && !b) throw new Error(`no instance ${id}`);
    const text = b ? b.metrics.render() : await (await fetch(`${p!.api}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
    return sumSamples(text, name, match);
  }

  /**
   * Stop producing, wait until every device's spool is empty (all acked), then until everything
   * stored is anchored and confirmed. Returns the devices' final state.
   */
  async drain(timeoutMs = 90_000, o: { anchored?: boolean } = {}): Promise<SimDevicesStats> {
    const sim = this.sim;
    if (!sim) throw new Error('no devices');
    await sim.stopProducing();
    const stats = await until('every device spool to empty (all acked)', async () => {
      const s = await sim.stats();
      return s.devices.every((d) => d.depth === 0) ? s : null;
    }, timeoutMs, 250).catch(async (err: Error) => {
      // Which devices still hold readings (and on which broker URL, for a cluster), for the report.
      const s = await sim.stats();
      const urls = [this.broker.deviceUrl].flat();
      const left = s.devices.map((d, i) => ({ ...d, url: i % urls.length })).filter((d) => d.depth > 0);
      const byUrl = urls.map((_, u) => left.filter((d) => d.url === u).length);
      throw new Error(`${err.message}: ${left.length} devices hold ${left.reduce((n, d) => n + d.depth, 0)} readings (${left.filter((d) => d.connected).length} connected; per broker URL ${byUrl.join('/')}; e.g. ${left.slice(0, 3).map((d) => `${d.pod} depth ${d.depth} last ${d.lastSeq}`).join(', ')})`);
    });
    if (o.anchored !== false) await until('everything anchored and confirmed', async () => (await this.store.counts()).pending === 0 && (await this.store.unconfirmedAnchors()).length === 0, timeoutMs, 250);
    return stats;
  }

  /** Per device: readings stored, distinct seqs, smallest and largest seq (straight from PostgreSQL). */
  async storedByDevice(): Promise<Map<string, { rows: number; distinct: number; min: number; max: number }>> {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const r = await c.query(`SELECT device, count(*)::int AS rows, count(DISTINCT seq)::int AS distinct, min(seq)::int AS min, max(seq)::int AS max FROM ${this.schema}.readings GROUP BY device`);
      return new Map(r.rows.map((x: { device: string; rows: number; distinct: number; min: number; max: number }) => [x.device, { rows: x.rows, distinct: x.distinct, min: x.min, max: x.max }]));
    } finally { await c.end(); }
  }

  /**
   * The guarantees, after `drain`: each device's seqs 0..lastSeq stored exactly once (no gap, no
   * duplicate row), and anchors contiguous. Returns the problems found (empty = all kept) and counts.
   */
  async check(stats: SimDevicesStats, o: { anchors?: boolean } = {}): Promise<{ problems: string[]; readings: number; anchors: number }> {
    const problems: string[] = [];
    const stored = await this.storedByDevice();
    let total = 0;
    for (const d of stats.devices) {
      const s = stored.get(d.address);
      const want = d.lastSeq + 1;
      total += want;
      if (!s) { if (want > 0) problems.push(`${d.pod}: nothing stored of ${want}`); continue; }
      if (s.rows !== s.distinct) problems.push(`${d.pod}: ${s.rows - s.distinct} seq(s) stored twice`);
      if (s.distinct !== want || s.min !== 0 || s.max !== d.lastSeq) problems.push(`${d.pod}: ${s.distinct} distinct seqs in ${s.min}..${s.max}, want 0..${d.lastSeq}`);
    }
    const counts = await this.store.counts();
    if (counts.readings !== total) problems.push(`store holds ${counts.readings} readings, the devices made ${total}`);
    const anchors = o.anchors === false ? 0 : await this.checkAnchors(problems);
    return { problems, readings: counts.readings, anchors };
  }

  /** Anchors 0..n-1 in the store and on chain, each chained onto the previous, every reading in exactly one. */
  async checkAnchors(problems: string[]): Promise<number> {
    const provider = jsonRpcProvider(this.chain.anvil.rpcUrl, this.chain.anvil.chainId);
    try {
      const ra = readingAnchorAt(this.chain.deployment.readingAnchor, provider);
      const count = Number(await ra.getFunction('anchorCount')());
      const latest = await this.store.latestAnchor();
      if ((latest?.index ?? -1) !== count - 1) problems.push(`store's latest anchor ${latest?.index} but ${count} on chain`);
      const seen = new Map<number, number>();
      let prev = `0x${'0'.repeat(64)}`;
      for (let i = 0; i < count; i++) {
        const rec = await this.store.anchorByIndex(i);
        if (!rec) { problems.push(`anchor ${i} missing in the store`); continue; }
        if (rec.status !== 'confirmed') problems.push(`anchor ${i} ${rec.status}`);
        if (rec.prevHash !== prev) problems.push(`anchor ${i} does not chain onto ${i - 1}`);
        prev = computeAnchorHash(rec.prevHash, rec.root, rec.leafCount, rec.fromMs, rec.toMs);
        if (((await ra.getFunction('getAnchor')(i)).anchorHash as string).toLowerCase() !== prev) problems.push(`anchor ${i} differs on chain`);
        const leaves = await this.store.readingsOfAnchor(i);
        if (leaves.length !== rec.leafCount) problems.push(`anchor ${i}: ${leaves.length} readings for ${rec.leafCount} leaves`);
        for (const r of leaves) seen.set(r.id, (seen.get(r.id) ?? 0) + 1);
      }
      const readings = (await this.store.counts()).readings;
      if (seen.size !== readings) problems.push(`${seen.size} readings in anchors of ${readings} stored`);
      const twice = [...seen.values()].filter((k) => k > 1).length;
      if (twice > 0) problems.push(`${twice} readings in two anchors`);
      return count;
    } finally { provider.destroy(); }
  }

  async stop(): Promise<void> {
    await this.sim?.stop().catch(() => {});
    for (const b of [...this.inProcess.values()].reverse()) await b.stop().catch(() => {});
    for (const p of this.procs.values()) { if (p.proc.child.exitCode === null) p.proc.child.kill('SIGKILL'); await p.proc.exited; }
    this.procs.clear();
    await this.store?.close().catch(() => {});
    await this.broker?.stop().catch(() => {});
    await this.chain?.stop().catch(() => {});
    const c = new pg.Client({ connectionString: PG_URL });
    try {
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
    } catch { /* best effort */ } finally { await c.end().catch(() => {}); }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Sum of the samples `name{…}` whose labels contain `match`, in a Prometheus text rendering. */
export function sumSamples(text: string, name: string, match = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) if (line.startsWith(`${name}{`) && line.includes(match)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}
