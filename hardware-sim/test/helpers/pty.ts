/** socat pty pairs for serial tests: `a` and `b` are linked; the child is killed on close (also on failure). */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PtyPair { a: string; b: string; close(): void }

const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

export async function ptyPair(): Promise<PtyPair> {
  const dir = mkdtempSync(join(tmpdir(), 'sim-pty-'));
  const a = join(dir, 'a'), b = join(dir, 'b');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  children.add(child);
  const close = () => { child.kill('SIGKILL'); children.delete(child); };
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++) await new Promise((r) => setTimeout(r, 20));
  if (!(existsSync(a) && existsSync(b))) { close(); throw new Error('socat did not create the pty links'); }
  return { a, b, close };
}
