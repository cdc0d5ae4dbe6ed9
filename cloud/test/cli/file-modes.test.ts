/**
 * The BAL's files are its user's only (issue 17 #7: bal.db was 0644 in a 0755 folder). The real
 * BAL — anvil, SQLite store, embedded broker, data access with its custodial-wallet master key,
 * anchoring — runs on a fresh data folder under umask 022 (so only the BAL's own modes can make
 * the files private); every file and folder it created is then stat'ed: files 0600 (bal.db,
 * -wal, -shm, the master key), folders 0700.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { createLogger } from '../../src/log.js';

const root = mkdtempSync(join(tmpdir(), 'bal-modes-'));
chmodSync(root, 0o755);
let chain: ChainFixture;
let bal: RunningBal | null = null;
const savedUmask = process.umask(0o022);

test.after(async () => {
  await bal?.stop();
  await chain?.stop();
  process.umask(savedUmask);
  rmSync(root, { recursive: true, force: true });
});

function walk(dir: string): { path: string; dir: boolean; mode: number }[] {
  const out: { path: string; dir: boolean; mode: number }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = lstatSync(p);
    out.push({ path: relative(root, p), dir: st.isDirectory(), mode: st.mode & 0o777 });
    if (st.isDirectory()) out.push(...walk(p));
  }
  return out;
}

test('bal.db, its -wal/-shm and the wallet master key are 0600 in folders created 0700', async () => {
  chain = await startChain();
  const config = parseConfig({
    chain: { deploymentPath: chain.deploymentPath },
    store: { kind: 'sqlite', path: 'var/lib/bal/store/bal.db' },
    broker: { port: 0 },
    api: { port: 0 },
    anchoring: { enabled: true, windowMs: 200, pollIntervalMs: 100, confirmations: 0 },
    dataAccess: { enabled: true, walletKeyPath: 'var/lib/bal/keys/wallet-master.key' },
    dashboard: { enabled: false },
    log: { level: 'error' },
  }, root, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[1], BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[0] });
  bal = await startBal(config, { log: createLogger({ level: 'error', write: () => {} }) });
  const names = walk(root).map((e) => e.path);
  for (const f of ['var/lib/bal/store/bal.db', 'var/lib/bal/store/bal.db-wal', 'var/lib/bal/store/bal.db-shm', 'var/lib/bal/keys/wallet-master.key']) assert.ok(names.includes(f), `${f} exists (${names.join(', ')})`);
  const wrong = walk(root).filter((e) => e.mode !== (e.dir ? 0o700 : 0o600)).map((e) => `${e.path} ${e.mode.toString(8)}`);
  assert.equal(wrong, [], 'every folder 0700, every file 0600');
});

test.run();
