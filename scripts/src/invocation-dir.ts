/**
 * Entry-point plumbing shared by the `fleet` and `verify-receipt` CLIs.
 *
 * `pnpm --filter @lightnode/scripts <script> …` runs the script in scripts/, so a relative path
 * the user typed (`--deployment .data/deployment.json`, `pods.csv`, `--out bundles/`) would be
 * looked up there. pnpm passes the folder the command was typed in as INIT_CWD; when the CLI was
 * started by its own package script, relative paths resolve against that folder instead.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function useInvocationDir(script: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = env.INIT_CWD;
  if (env.npm_lifecycle_event === script && dir && dir !== process.cwd()) process.chdir(dir);
}

/**
 * Runs `main(argv)` when the module at `moduleUrl` is the process's entry script (not when a test
 * or a bin wrapper imports it), in the folder the user typed the command in; its result is the exit code.
 */
export function runIfMain(moduleUrl: string, script: string, main: (argv: string[]) => Promise<number>): void {
  let isMain = false;
  try { isMain = realpathSync(process.argv[1] ?? '') === fileURLToPath(moduleUrl); } catch { /* no entry script */ }
  if (!isMain) return;
  useInvocationDir(script);
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
