import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDomain } from '@lightnode/shared/eip712';
import { Spool } from '../../src/spool/spool.js';
import { readKeystoreFile } from '../../src/identity/keystore.js';
import { readingSigner } from '../../src/identity/reading-signer.js';
import { draft } from '../helpers/drafts.js';

const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ln-cli-'));
const config = join(dir, 'lightnode.json');
const env = { ...process.env, LIGHTNODE_KEYSTORE_PASSWORD: 'cli-test-password', LIGHTNODE_CONFIG: config };

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('init → keygen → address → status → spool export, and the secret never printed', async () => {
  let r = run('init', '--pod', 'IT001E00000042');
  assert.is(r.code, 0, r.stderr);
  const cfg = JSON.parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
  cfg.keystore = { path: 'keystore.json', scryptN: 1024 };
  cfg.chain = { chainId: 31337, podRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3' };
  writeFileSync(config, JSON.stringify(cfg));
  assert.is(run('init', '--pod', 'IT001E00000042').code, 1, 'init refuses to overwrite');

  r = run('keygen');
  assert.is(r.code, 0, r.stderr);
  const { address } = JSON.parse(r.stdout) as { address: string };
  assert.match(address, /^0x[0-9a-f]{40}$/);
  const ks = join(dir, 'keystore.json');
  assert.is(statSync(ks).mode & 0o777, 0o600);
  const key = await readKeystoreFile(ks, 'cli-test-password');
  assert.is(key.address, address);
  const secretHex = key.withSecret((s) => Buffer.from(s).toString('hex'));
  assert.not.ok((r.stdout + r.stderr).includes(secretHex));
  assert.is(run('keygen').code, 1, 'keygen refuses to replace an identity');
  assert.is(run('address').stdout.trim(), address);

  // import a known key through a file
  const keyFile = join(dir, 'import.hex');
  writeFileSync(keyFile, '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318\n', { mode: 0o600 });
  r = run('keygen', '--import', keyFile, '--force');
  assert.is(r.code, 0, r.stderr);
  assert.is((JSON.parse(r.stdout) as { address: string }).address, '0x2c7536e3605d9c16a7a3d7b1898e529396a65c23');
  assert.not.ok((r.stdout + r.stderr).includes('4c0883a69102937d'));

  const spool = Spool.open({ path: join(dir, 'spool.db'), pod: 'IT001E00000042', sign: readingSigner(makeDomain(31337, '0x5fbdb2315678afecb367f032d93f642f64180aa3'), key) });
  spool.appendMany([draft(), draft(), draft()]);
  spool.applyAck({ stored: [0], duplicate: [], rejected: [{ seq: 1, code: 'BAL_EQUIVOCATION', reason: 'x' }] });
  spool.close();

  r = run('status');
  assert.is(r.code, 0, r.stderr);
  const st = JSON.parse(r.stdout) as { spool: { depth: number; quarantined: number; lastSeq: number; lastAckSeq: number } };
  assert.equal([st.spool.depth, st.spool.quarantined, st.spool.lastSeq, st.spool.lastAckSeq], [1, 1, 2, 1]);

  r = run('spool', 'export', '--format', 'csv', '--quarantine');
  assert.is(r.code, 0, r.stderr);
  assert.ok(r.stdout.split('\n')[1]!.includes('BAL_EQUIVOCATION'));
  r = run('spool', 'inspect');
  assert.is((JSON.parse(r.stdout.trim()) as { reading: { seq: number } }).reading.seq, 2);

  r = run('bogus');
  assert.is(r.code, 2);
});

test('bad config fails with the field named', () => {
  writeFileSync(config, JSON.stringify({ pod: 'IT001E00000042', chain: { chainId: 1, podRegistry: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }, mqtt: { batchSize: 5000 } }));
  const r = run('status');
  assert.is(r.code, 1);
  const e = JSON.parse(r.stderr.trim().split('\n').pop()!) as { code: string; message: string };
  assert.is(e.code, 'CONFIG_INVALID');
  assert.ok(e.message.includes('mqtt.batchSize'), e.message);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
