/**
 * Simulated Light Nodes for the scale-out tests and bench (issue 16). Each device is the edge's
 * own spool (edge/src/spool: SQLite, a reading signed and kept until its ack) and uplink
 * (edge/src/uplink: QoS 1 batches, at most `inFlightBatches` unacked, resend from the oldest
 * unacked reading after an ack timeout or a reconnect) — the code a Light Node runs — fed with
 * synthetic drafts every `intervalMs` instead of a meter. So a reading lost between broker and
 * BAL is resent exactly as a real device would resend it.
 *
 * Many devices run in one process: `startSimDevices` in this process, or `forkSimDevices` in a
 * child process (IPC), so the devices' signing and MQTT work is not counted in the caller.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeviceKey } from '@lightnode/edge/provisioning';
import { validateConfig } from '@lightnode/edge/config';
import { Spool } from '@lightnode/edge/spool';
import { Uplink } from '@lightnode/edge/uplink';
import { readingSigner } from '@lightnode/edge/reading-signer';
import { Metrics } from '@lightnode/edge/metrics';
import { hexToBytes, type Hex } from '@lightnode/shared/hex';
import { makeDomain } from '@lightnode/shared/eip712';

export interface SimDeviceSpec {
  pod: string;
  /** The device key, 0x hex (its address must be registered for `pod`). */
  secret: Hex;
  /** MQTT password of the device's broker account (username = client id = pod). */
  password: string;
}

export interface SimDevicesOptions {
  /** The broker URL devices connect to; several: device i connects to `url[i % url.length]` (the nodes of a cluster). */
  url: string | readonly string[];
  /** Folder of the spools (one SQLite file per device). */
  dir: string;
  /** The EIP-712 domain: chain id and PodRegistry. */
  chainId: number;
  podRegistry: Hex;
  devices: SimDeviceSpec[];
  /** A reading per device this often, ms; the devices are spread over the period. 0: only `produceNow`. */
  intervalMs: number;
  /** The uplink's ack timeout, s (edge `mqtt.ackTimeoutSec`). */
  ackTimeoutSec: number;
  /** MQTT protocol version (5, or 4 for 3.1.1); default 5. */
  protocolVersion?: 4 | 5;
  batchSize?: number;
}

/** What the devices did, per device. */
export interface SimDeviceState { pod: string; address: Hex; lastSeq: number; depth: number; connected: boolean }
export interface SimDevicesStats { devices: SimDeviceState[]; resends: number; published: number; acks: number }

export interface SimDevices {
  /** (Re)start making a reading per device every `intervalMs` (started at once unless `intervalMs` is 0). */
  startProducing(): Promise<void>;
  /** Stop making readings (the uplinks keep sending and resending what is spooled). */
  stopProducing(): Promise<void>;
  /** One reading now on each device (or on `pods`). */
  produceNow(pods?: string[]): Promise<void>;
  stats(): Promise<SimDevicesStats>;
  /** Stop the uplinks (offline status) and close the spools. */
  stop(): Promise<void>;
}

/** Run the devices in this process. */
export function startSimDevices(o: SimDevicesOptions): SimDevices {
  mkdirSync(o.dir, { recursive: true });
  const metrics = new Metrics();
  const urls = typeof o.url === 'string' ? [o.url] : o.url;
  if (urls.length === 0) throw new Error('sim devices: no broker URL');
  const devs = o.devices.map((d, i) => {
    const key = DeviceKey.fromSecret(hexToBytes(d.secret));
    const cfg = validateConfig({
      pod: d.pod, dataDir: o.dir, keystore: { path: 'unused.json' }, chain: { chainId: o.chainId, podRegistry: o.podRegistry },
      spool: { path: `${d.pod}.db`, synchronous: 'normal' },
      mqtt: {
        url: urls[i % urls.length]!, protocolVersion: o.protocolVersion ?? 5, username: d.pod, password: d.password, batchSize: o.batchSize ?? 50,
        ackTimeoutSec: o.ackTimeoutSec, reconnectMinMs: 200, reconnectMaxMs: 2000, statusIntervalSec: 60,
      },
      meters: [],
    }, o.dir);
    const spool = Spool.open({ path: join(o.dir, `${d.pod}.db`), pod: d.pod, sign: readingSigner(makeDomain(o.chainId, o.podRegistry), key), synchronous: 'normal' });
    const uplink = new Uplink({ config: cfg.mqtt, pod: d.pod, device: key.address, agentVersion: 'sim-0', spool, metrics });
    uplink.start();
    return { pod: d.pod, address: key.address.toLowerCase() as Hex, spool, uplink };
  });
  let n = 0;
  const produce = (i: number): void => {
    const d = devs[i]!;
    if (!d) return;
    const ts = Date.now();
    d.spool.append({ meter: 'sim', timestamp: ts, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: ts % 1_000_000, scale: 0, unit: 'Wh' }] });
    d.uplink.notify();
  };
  // One timer for all: every tick, the devices whose turn it is (spread over the period).
  const tickMs = 20;
  let timer: NodeJS.Timeout | undefined;
  const startProducing = (): void => {
    if (timer || o.intervalMs <= 0) return;
    let due = 0;
    let last = Date.now();
    timer = setInterval(() => {
      const t = Date.now();
      due += ((t - last) * devs.length) / o.intervalMs;
      last = t;
      for (; due >= 1; due--) { produce(n % devs.length); n++; }
    }, tickMs);
  };
  startProducing();
  return {
    async startProducing() { startProducing(); },
    async stopProducing() { clearInterval(timer); timer = undefined; },
    async produceNow(pods) { devs.forEach((d, i) => { if (!pods || pods.includes(d.pod)) produce(i); }); },
    async stats() {
      return {
        devices: devs.map((d) => { const s = d.spool.status(); return { pod: d.pod, address: d.address, lastSeq: s.lastSeq ?? -1, depth: s.depth, connected: d.uplink.connected }; }),
        resends: sumOf(metrics, 'uplink_resends_total'), published: sumOf(metrics, 'uplink_readings_published_total'), acks: sumOf(metrics, 'uplink_acks_total'),
      };
    },
    async stop() {
      clearInterval(timer);
      await Promise.all(devs.map((d) => d.uplink.stop().catch(() => {})));
      for (const d of devs) d.spool.close();
    },
  };
}

/** The sum of a counter over its labels (from the registry's text rendering). */
function sumOf(m: Metrics, name: string): number {
  let sum = 0;
  for (const line of m.render().split('\n')) if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

type Request = { id: number; op: 'startProducing' | 'stopProducing' | 'produceNow' | 'stats' | 'stop'; pods?: string[] };

/** Run the devices in a child process (tsx); the same interface, over IPC. */
export function forkSimDevices(o: SimDevicesOptions): SimDevices & { child: ChildProcess } {
  const child = fork(fileURLToPath(import.meta.url), ['--sim-devices-child'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let next = 0;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { id: number; ok: boolean; value?: unknown; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.ok) w.resolve(m.value); else w.reject(new Error(m.error));
  });
  child.on('exit', (code) => { for (const w of waiting.values()) w.reject(new Error(`sim devices exited (${code})`)); waiting.clear(); });
  const call = <T>(op: Request['op'], pods?: string[]): Promise<T> => new Promise((resolve, reject) => {
    if (child.exitCode !== null) return reject(new Error('sim devices exited'));
    const id = next++;
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
    child.send({ id, op, ...(pods ? { pods } : {}) } satisfies Request);
  });
  child.send({ init: o });
  process.on('exit', () => child.kill('SIGKILL'));
  return {
    child,
    startProducing: () => call('startProducing'),
    stopProducing: () => call('stopProducing'),
    produceNow: (pods) => call('produceNow', pods),
    stats: () => call('stats'),
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      await call('stop').catch(() => {});
      await exited;
    },
  };
}

if (process.argv.includes('--sim-devices-child') && process.send) {
  let devices: SimDevices | null = null;
  process.on('message', async (m: { init?: SimDevicesOptions } & Partial<Request>) => {
    if (m.init) { devices = startSimDevices(m.init); return; }
    const reply = (v: { ok: boolean; value?: unknown; error?: string }): void => { process.send!({ id: m.id, ...v }); };
    try {
      if (!devices) throw new Error('not started');
      if (m.op === 'startProducing') reply({ ok: true, value: await devices.startProducing() });
      else if (m.op === 'stopProducing') reply({ ok: true, value: await devices.stopProducing() });
      else if (m.op === 'produceNow') reply({ ok: true, value: await devices.produceNow(m.pods) });
      else if (m.op === 'stats') reply({ ok: true, value: await devices.stats() });
      else if (m.op === 'stop') { await devices.stop(); reply({ ok: true }); process.disconnect(); process.exit(0); }
    } catch (err) { reply({ ok: false, error: (err as Error).message }); }
  });
}
