/**
 * Broker accounts for the demo and, for the production-broker variant, a private Mosquitto 2
 * started on a free port with the config the BAL writes (`writeMosquittoConfig`: the dynamic-
 * security plugin with the accounts and per-device roles from the BAL's one rule table, and the
 * admin account the BAL changes it with at run time). The system Mosquitto on 1883 is never touched.
 */
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import mqtt from 'mqtt';
import { LightNodeError } from '@lightnode/shared/errors';
import { freePort } from '@lightnode/contracts/anvil';
import { hashPassword, writeMosquittoConfig, type BrokerAccount } from '@lightnode/cloud/operator';
import type { DemoNode } from './nodes.js';

export interface Login { username: string; password: string }

/** Plain-text logins the demo itself uses (BAL in external mode and its dynsec admin, the DSO operator). */
export interface DemoLogins { bal: Login; operator: Login; dynsecAdmin: Login }

/** Write `<data>/broker/credentials.json` (hashed) for the nodes, the BAL and the DSO operator. */
export async function writeBrokerAccounts(dataDir: string, nodes: DemoNode[]): Promise<{ path: string; accounts: BrokerAccount[]; logins: DemoLogins }> {
  const logins: DemoLogins = {
    bal: { username: 'bal', password: randomBytes(18).toString('base64url') },
    operator: { username: 'dso-operator', password: randomBytes(18).toString('base64url') },
    dynsecAdmin: { username: 'bal-dynsec', password: randomBytes(18).toString('base64url') },
  };
  const accounts: BrokerAccount[] = [];
  for (const n of nodes) accounts.push({ username: n.mqtt.username, role: 'device', passwordHash: await hashPassword(n.mqtt.password) });
  accounts.push({ username: logins.bal.username, role: 'bal', passwordHash: await hashPassword(logins.bal.password) });
  accounts.push({ username: logins.operator.username, role: 'operator', passwordHash: await hashPassword(logins.operator.password) });
  const dir = join(dataDir, 'broker');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'credentials.json');
  writeFileSync(path, `${JSON.stringify({ v: 1, accounts }, null, 2)}\n`, { mode: 0o600 });
  return { path, accounts, logins };
}

/** True when a `mosquitto` binary can be run. */
export function hasMosquitto(): boolean {
  const r = spawnSync('mosquitto', ['-h'], { stdio: 'ignore' });
  return r.error === undefined;
}

export interface RunningMosquitto { url: string; port: number; pid: number; configPath: string; stop(): Promise<void> }

/** Where Debian and others put Mosquitto 2's dynamic-security plugin. */
const DYNSEC_PLUGIN_PATHS = ['/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', '/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so',
  '/usr/lib/arm-linux-gnueabihf/mosquitto_dynamic_security.so', '/usr/lib/mosquitto_dynamic_security.so', '/usr/local/lib/mosquitto_dynamic_security.so'];

/** The dynamic-security plugin's path, or null when none is installed. */
export function dynsecPluginPath(): string | null {
  return DYNSEC_PLUGIN_PATHS.find((p) => existsSync(p)) ?? null;
}

/**
 * Start a private Mosquitto with the BAL-generated config and the dynamic-security plugin (the
 * BAL follows subscription decisions through it as `dynsecAdmin`); resolves once the BAL account can log in.
 */
export async function startMosquitto(dir: string, accounts: readonly BrokerAccount[], probe: Login, dynsecAdmin: Login): Promise<RunningMosquitto> {
  const plugin = dynsecPluginPath();
  if (!plugin) throw new LightNodeError('DEMO_BROKER_START_FAILED', `no mosquitto_dynamic_security.so in ${DYNSEC_PLUGIN_PATHS.join(', ')} (Debian: package mosquitto)`);
  const port = await freePort();
  const files = writeMosquittoConfig({
    outDir: dir, accounts, listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username, persistenceDir: null,
    dynsecPluginPath: plugin, dynsecAdmin: { username: dynsecAdmin.username, passwordHash: await hashPassword(dynsecAdmin.password) },
  });
  // Own process group: a terminal's Ctrl-C reaches the demo, which stops the broker after the BAL and nodes.
  const child = spawn('mosquitto', ['-c', files.configPath], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let log = '';
  child.stdout!.on('data', (d) => { if (log.length < 8192) log += d; });
  child.stderr!.on('data', (d) => { if (log.length < 8192) log += d; });
  const killOnExit = (): void => { child.kill('SIGKILL'); };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async (): Promise<void> => {
    process.off('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
  };
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const c = await mqtt.connectAsync(url, { username: probe.username, password: probe.password, clientId: `${probe.username}@probe-${process.pid}`, reconnectPeriod: 0, connectTimeout: 1000 });
      await c.endAsync(true);
      break;
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        throw new LightNodeError('DEMO_BROKER_START_FAILED', `mosquitto did not start on ${url}: ${(err as Error).message}\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, pid: child.pid ?? -1, configPath: files.configPath, stop };
}
