/** A real Mosquitto started on a free port with the files writeMosquittoConfig generates (killed on exit). */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import { writeMosquittoConfig, type MosquittoConfigFiles } from '../../src/broker/mosquitto-config.js';
import type { BrokerUnderTest } from './broker-contract.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { connect } from './helpers.js';

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

/** Generate the config for `accounts` (`check` sees the files first), start mosquitto, wait until the BAL account connects. */
export async function startMosquitto(accounts: BrokerAccount[], opts: { dynsecPluginPath?: string; check?: (files: MosquittoConfigFiles) => void } = {}): Promise<BrokerUnderTest & { log(): string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bal-mosq-'));
  const port = await freePort();
  const files = writeMosquittoConfig({ outDir: dir, accounts, listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username, dynsecPluginPath: opts.dynsecPluginPath ?? null });
  opts.check?.(files);
  const child = spawn('mosquitto', ['-c', files.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try { const c = await connect(url, 'bal'); await c.endAsync(true); break; } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) { child.kill('SIGKILL'); children.delete(child); rmSync(dir, { recursive: true, force: true }); throw new Error(`mosquitto did not start: ${log} ${(err as Error).message}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    log: () => log,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      children.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
