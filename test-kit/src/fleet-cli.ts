/** Runs the fleet CLI in-process with captured output and a given environment. */
import { main } from '@lightnode/scripts/fleet';

export interface CliRun { code: number; out: string; err: string }

/** `fleet <args>` with `env` (FLEET_PRIVATE_KEY etc.); never touches process.env. */
export async function fleet(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s), env: { PATH: process.env.PATH ?? '', ...env } });
  return { code, out, err };
}
