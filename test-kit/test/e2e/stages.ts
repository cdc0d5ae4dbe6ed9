/**
 * End-to-end tests as stages over one running flow: a failing stage (or a failing start) marks
 * the run, and the data folder — logs, stores, spools, broker config — is kept for the post-mortem
 * instead of being removed.
 */
import { rmSync } from 'node:fs';
import { test } from 'uvu';

export function stagedRun(dir: string) {
  let failed = false;
  const track = async <T>(fn: () => Promise<T> | T): Promise<T> => {
    try { return await fn(); } catch (err) { failed = true; throw err; }
  };
  return {
    /** Runs `fn`, marking the run failed when it throws (use it for the start in `test.before`). */
    track,
    /** A test that marks the run failed. */
    stage(name: string, fn: () => Promise<void> | void): void { test(name, () => track(fn)); },
    /** Removes the data folder after a clean run; otherwise says where it was kept. */
    cleanUp(): void {
      if (!failed) rmSync(dir, { recursive: true, force: true });
      else process.stderr.write(`e2e: data folder kept for inspection: ${dir}\n`);
    },
  };
}
