/**
 * A real Mosquitto process for tests, started from a config file the test wrote (its listener,
 * TLS, accounts and ACL are what the test is about). start resolves once the listener accepts
 * TCP connections; the process is killed on stop() and on process exit, also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface MosquittoProcess {
  /** The process id (e.g. for its CPU time in /proc/<pid>/stat). */
  pid: number;
  /** Everything mosquitto wrote to stdout and stderr so far (for failure messages). */
  log(): string;
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

/** Runs `mosquitto -c configPath` and waits (up to `timeoutMs`) until 127.0.0.1:`port` accepts connections. */
export async function startMosquitto(configPath: string, port: number, timeoutMs = 10_000): Promise<MosquittoProcess> {
  const child = spawn('mosquitto', ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  child.on('error', (err) => (log += `\n${err.message}`)); // e.g. mosquitto not installed
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    children.delete(child);
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined || Date.now() > deadline) {
      child.kill('SIGKILL');
      children.delete(child);
      throw new Error(`mosquitto did not start listening on port ${port}: ${log.trim() || 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid!, log: () => log, stop };
}
