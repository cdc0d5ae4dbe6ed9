/**
 * The custodial wallets' master key file (`dataAccess.walletKeyPath`, docs/data-access.md
 * "Wallets"): 32 random bytes as hex, created 0600; refused when group or other may read it.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { LightNodeError } from '@lightnode/shared/errors';

/** Read the master key at `path`, creating it (0600) when absent and `create`. Throws BAL_ACCESS_WALLET_KEY. */
export function loadMasterKey(path: string, opts: { create?: boolean } = {}): Uint8Array {
  if (!existsSync(path)) {
    if (!opts.create) throw new LightNodeError('BAL_ACCESS_WALLET_KEY', `wallet master key ${path} does not exist`);
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new LightNodeError('BAL_ACCESS_WALLET_KEY', `wallet master key ${path} is readable by group or other (mode ${mode.toString(8)}); chmod 600 it`);
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(text)) throw new LightNodeError('BAL_ACCESS_WALLET_KEY', `wallet master key ${path}: expected 32 bytes as hex`);
  return Uint8Array.from(Buffer.from(text.replace(/^0x/, ''), 'hex'));
}
