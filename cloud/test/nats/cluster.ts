/**
 * Real nats-server processes for tests (issue 16): one node or a 3-node cluster on free loopback
 * ports, each with JetStream and an MQTT listener, configured by the BAL's own generator
 * (src/broker/nats-config.ts) from broker accounts. Nodes can be SIGKILLed and restarted on the
 * same ports and store. Killed on process exit. Also: broker accounts with both hashes.
 * Kept apart from any test so a multi-instance rig can start NATS through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import bcrypt from 'bcryptjs';
import { freePort } from '@lightnode/test-kit/free-port';
import { writeNatsConfig } from '../../src/broker/nats-config.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import type { Role } from '../../src/broker/acl.js';

export const NATS_SERVER = process.env.NATS_SERVER_BIN ?? 'nats-server';

export interface NatsNode {
  name: string;
  /** `nats://127.0.0.1:<port>` */
  url: string;
  /** `mqtt://127.0.0.1:<port>` */
  mqttUrl: string;
  mqttPort: number;
  monitorPort: number;
  configPath: string;
  running(): boolean;
  pid(): number | undefined;
  log(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Start again on the same ports and store (after kill). */
  restart(): Promise<void>;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** Every node's client URL (the BAL's `ingest.jetstream.servers`). */
  servers: string[];
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/** An account with the mosquitto hash and a bcrypt hash for NATS (cost 4: tests only). */
export async function testAccount(username: string, role: Role, password: string): Promise<BrokerAccount> {
  return { username, role, passwordHash: await hashPassword(password, { iterations: 1 }), natsPasswordHash: bcrypt.hashSync(password, 4) };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** JetStream on this node answers (`/healthz` 200: meta leader known, streams current). */
async function healthy(monitorPort: number, jsEnabledOnly = false): Promise<boolean> {
  try { return (await fetch(`http://127.0.0.1:${monitorPort}/healthz${jsEnabledOnly ? '?js-enabled-only=true' : ''}`)).ok; } catch { return false; }
}

/** Start `size` nodes (1, or 3 for a cluster) with these accounts; resolves when all are healthy. */
export async function startNatsCluster(opts: {
  accounts: readonly BrokerAccount[]; size?: number; mqttAckWaitMs?: number; timeoutMs?: number;
  /** A NATS user without permissions (tests publish bad subjects with it): username + password. */
  unrestricted?: { username: string; password: string };
}): Promise<NatsCluster> {
  const size = opts.size ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'bal-nats-'));
  const ports = await Promise.all(Array.from({ length: size }, async () => ({ client: await freePort(), mqtt: await freePort(), route: await freePort(), monitor: await freePort() })));
  const nodes: NatsNode[] = ports.map((p, i) => {
    const name = `n${i + 1}`;
    const { configPath } = writeNatsConfig(join(dir, name), {
      serverName: name, storeDir: join(dir, name, 'js'), listen: { host: '127.0.0.1', port: p.client }, mqtt: { host: '127.0.0.1', port: p.mqtt },
      monitorPort: p.monitor, accounts: opts.accounts, ...(opts.mqttAckWaitMs ? { mqttAckWaitMs: opts.mqttAckWaitMs } : {}),
      cluster: size > 1 ? { name: 'ln', listen: { host: '127.0.0.1', port: p.route }, routes: ports.filter((_, j) => j !== i).map((q) => `nats-route://127.0.0.1:${q.route}`) } : null,
    });
    if (opts.unrestricted) {
      const u = opts.unrestricted;
      const text = readFileSync(configPath, 'utf8').replace('  users: [\n', `  users: [\n    { user: ${JSON.stringify(u.username)}, password: ${JSON.stringify(bcrypt.hashSync(u.password, 4))} }\n`);
      writeFileSync(configPath, text);
    }
    return natsNode(name, configPath, { client: p.client, mqtt: p.mqtt, monitor: p.monitor }, opts.timeoutMs ?? 30_000);
  });
  const cluster: NatsCluster = {
    nodes, servers: nodes.map((n) => n.url),
    async stop() { for (const n of nodes) await n.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); },
  };
  try {
    await Promise.all(nodes.map((n) => waitNatsReady(n, opts.timeoutMs ?? 30_000)));
  } catch (err) { await cluster.stop(); throw err; }
  return cluster;
}

/** A nats-server process on a config already written (ports as in the config); not started yet ready: call `waitNatsReady`. */
export function natsNode(name: string, configPath: string, ports: { client: number; mqtt: number; monitor: number }, timeoutMs = 30_000): NatsNode {
  let child: ChildProcess | null = null;
  let log = '';
  const start = (): void => {
    const c = spawn(NATS_SERVER, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(c);
    c.stdout!.on('data', (d: Buffer) => { log += d.toString(); });
    c.stderr!.on('data', (d: Buffer) => { log = (log + d.toString()).slice(-200_000); });
    c.on('error', (err) => { log += `\n${err.message}`; });
    c.on('exit', () => children.delete(c));
    child = c;
  };
  start();
  return {
    name, url: `nats://127.0.0.1:${ports.client}`, mqttUrl: `mqtt://127.0.0.1:${ports.mqtt}`, mqttPort: ports.mqtt, monitorPort: ports.monitor, configPath,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    pid: () => child?.pid,
    log: () => log,
    async kill(signal = 'SIGTERM') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await exited;
    },
    // A restarted node catches up in the background (its MQTT consumers are "not current" for a while).
    async restart() { start(); await waitNatsReady(this, timeoutMs, true); },
  };
}

/** Resolves when the node's MQTT port accepts and its JetStream is healthy. */
export async function waitNatsReady(n: NatsNode, timeoutMs: number, jsEnabledOnly = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!((await accepts(n.mqttPort)) && (await healthy(n.monitorPort, jsEnabledOnly)))) {
    if (!n.running() || Date.now() > deadline) throw new Error(`nats-server ${n.name} not ready: ${n.log().slice(-3000) || 'no output'}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
