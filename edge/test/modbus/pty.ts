/**
 * A pair of connected ptys from socat (a virtual null-modem cable) for serial tests. The socat
 * child is killed on close() and on process exit, also when a test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** The end the agent opens. */
  a: string;
  /** The end the slave opens. */
  b: string;
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `socat pty,raw,echo=0,link=a pty,raw,echo=0,link=b` and waits for both links. */
export async function startPtyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'ln-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  children.add(child);
  const deadline = Date.now() + 5000;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('socat did not create the pty pair');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a,
    b,
    close: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      children.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
