/** Spawn the `bal` CLI (TypeScript sources through tsx) and collect its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const children = new Set<ChildProcess>();
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => { children.delete(child); resolve({ code, stdout, stderr }); });
  });
}

/** Start a long-running CLI (e.g. `bal run`); lines of stdout are parsed as JSON events. */
export function startCli(args: string[], env: Record<string, string> = {}): { child: ChildProcess; events: Record<string, unknown>[]; stderr: () => string; waitEvent(name: string, timeoutMs?: number): Promise<Record<string, unknown>>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const events: Record<string, unknown>[] = [];
  let err = '';
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try { events.push(JSON.parse(line)); } catch { /* not an event */ }
    }
  });
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => { children.delete(child); r(code); }));
  return {
    child, events, stderr: () => err, exited,
    async waitEvent(name, timeoutMs = 60_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const e = events.find((x) => x.event === name);
        if (e) return e;
        if (child.exitCode !== null || Date.now() > end) throw new Error(`no '${name}' event (exit ${child.exitCode}); stderr:\n${err.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
