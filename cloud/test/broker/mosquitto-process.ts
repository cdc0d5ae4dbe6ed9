/** A real Mosquitto (`@lightnode/test-kit/mosquitto`) started on a free port with the files writeMosquittoConfig generates. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import { writeMosquittoConfig, type MosquittoConfigFiles } from '../../src/broker/mosquitto-config.js';
import type { BrokerUnderTest } from './broker-contract.js';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto as startMosquittoProcess, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { connect } from './helpers.js';
import { hashPassword } from '../../src/broker/password-hash.js';

/**
 * Generate the config for `accounts` (`check` sees the files first), start mosquitto, wait until
 * the BAL account connects. `dynsecAdmin` (with `dynsecPluginPath`) adds the run-time admin account.
 */
export async function startMosquitto(accounts: BrokerAccount[], opts: { dynsecPluginPath?: string; dynsecAdmin?: { username: string; password: string }; check?: (files: MosquittoConfigFiles) => void } = {}): Promise<BrokerUnderTest & { log(): string }> {
  const dir = mkdtempSync(join(tmpdir(), 'bal-mosq-'));
  const port = await freePort();
  const files = writeMosquittoConfig({ outDir: dir, accounts, listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username, dynsecPluginPath: opts.dynsecPluginPath ?? null,
    dynsecAdmin: opts.dynsecAdmin ? { username: opts.dynsecAdmin.username, passwordHash: await hashPassword(opts.dynsecAdmin.password, { iterations: 101 }) } : null });
  opts.check?.(files);
  let proc: MosquittoProcess;
  try { proc = await startMosquittoProcess(files.configPath, port); } catch (err) { rmSync(dir, { recursive: true, force: true }); throw err; }
  const url = `mqtt://127.0.0.1:${port}`;
  // listening is not yet logged in: the BAL account proves the password file was read
  try { const c = await connect(url, 'bal'); await c.endAsync(true); } catch (err) {
    await proc.stop(); rmSync(dir, { recursive: true, force: true });
    throw new Error(`mosquitto refused the BAL account: ${proc.log()} ${(err as Error).message}`);
  }
  return {
    url,
    log: proc.log,
    stop: async () => {
      await proc.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
