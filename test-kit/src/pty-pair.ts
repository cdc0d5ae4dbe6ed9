/**
 * A pair of connected ptys from socat (a virtual null-modem cable) for serial tests: what is
 * written on `a` is read on `b` and back. The socat child is killed on close() and on process
 * exit, also when a test fails before its `after` hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair {
  /** One end (by convention the end the client or agent opens). */
  a: string;
  /** The other end (by convention the end the server or slave opens). */
  b: string;
  /** Stops socat (waits for its exit) and removes the link folder. */
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Starts `socat pty,raw,echo=0,link=a pty,raw,echo=0,link=b` and waits (up to `timeoutMs`) for both links. */
export async function startPtyPair(timeoutMs = 5000): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'ln-pty-'));
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  const child = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  children.add(child);
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(a) && existsSync(b))) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      children.delete(child);
      rmSync(dir, { recursive: true, force: true });
      throw new Error('socat did not create the pty pair (is socat installed?)');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    a,
    b,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      children.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
