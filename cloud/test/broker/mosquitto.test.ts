import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { brokerSecurityContract } from './broker-contract.js';
import { writeMosquittoConfig } from '../../src/broker/mosquitto-config.js';
import { connect, freePort } from './helpers.js';

// A real Mosquitto (the production broker) started on a free port with the generated config.
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

brokerSecurityContract('mosquitto (generated acl_file + password_file)', async (accounts) => {
  const dir = mkdtempSync(join(tmpdir(), 'bal-mosq-'));
  const port = await freePort();
  const files = writeMosquittoConfig({ outDir: dir, accounts, listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username });
  if (!readFileSync(files.aclPath, 'utf8').includes('pattern write ln/v1/%u/readings')) throw new Error('acl lacks device pattern');
  const child = spawn('mosquitto', ['-c', files.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `mqtt://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try { const c = await connect(url, 'bal'); await c.endAsync(true); break; } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`mosquitto did not start: ${log} ${(err as Error).message}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    stop: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      children.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}, { refusesSubscribe: false });
