/**
 * `pnpm --filter @lightnode/scripts <script> …` runs the script in scripts/, so a relative path
 * the user typed (`--deployment .data/deployment.json`, `pods.csv`, `--out bundles/`) would be
 * looked up there. pnpm passes the folder the command was typed in as INIT_CWD; when the CLI was
 * started by its own package script, relative paths resolve against that folder instead.
 */
export function useInvocationDir(script: string, env: NodeJS.ProcessEnv = process.env): void {
  const dir = env.INIT_CWD;
  if (env.npm_lifecycle_event === script && dir && dir !== process.cwd()) process.chdir(dir);
}
