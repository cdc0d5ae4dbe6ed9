// fleet import on anvil: 1,000 PoDs from CSV in batched registerBatch transactions, then
// resumption (an interrupted import finishes without re-sending) and re-runs that skip all.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getAddress, keccak256, toUtf8Bytes } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { parsePodsCsv } from '../../src/fleet/csv.js';
import type { ImportSummary } from '../../src/fleet/import-pods.js';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { fleet } from '@lightnode/test-kit/fleet-cli';

const N = 1000;
let f: ChainFixture;
let g: string[];
const env = { FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] };
const pod = (i: number) => `IT001E${String(50_000_000 + i).padStart(8, '0')}`;
const addr = (i: number) => getAddress(keccak256(toUtf8Bytes(`device-${i}`)).slice(0, 42));
const rows = Array.from({ length: N }, (_, i) => `${pod(i)},${addr(i)},site-${i % 7}`);

test.before(async () => { f = await startChain(); g = ['--deployment', f.deploymentPath]; });
test.after(async () => { await f?.stop(); });

test('CSV parsing: header, comments, every bad line reported with its number', () => {
  const ok = parsePodsCsv(`pod,address,site\n# comment\n\n${rows[0]}\n${pod(1)},${addr(1)}\n`);
  assert.is(ok.length, 2);
  assert.equal(ok[1], { pod: pod(1), address: addr(1).toLowerCase() as `0x${string}`, site: null, line: 5 });
  try {
    parsePodsCsv(`${rows[0]}\nXX1,${addr(1)}\n${pod(2)},0x12\n${rows[0]}\n`);
    assert.unreachable();
  } catch (err) {
    const e = err as { code: string; message: string };
    assert.is(e.code, 'FLEET_CSV_INVALID');
    assert.match(e.message, /3 bad line/);
    assert.match(e.message, /:2 pod/);
    assert.match(e.message, /:3 address/);
    assert.match(e.message, /:4: PoD IT001E50000000 already listed on line 1/);
  }
});

test('an interrupted import (first 250 PoDs) resumes: the full file registers only the rest', async () => {
  const partial = join(f.dir, 'partial.csv');
  writeFileSync(partial, `pod,address,site\n${rows.slice(0, 250).join('\n')}\n`);
  const tFirst = Date.now();
  const first = await fleet(['import', partial, ...g, '--batch-size', '100', '--json'], env);
  assert.is(first.code, 0, first.err);
  const firstMs = Date.now() - tFirst;
  const s1 = JSON.parse(first.out) as ImportSummary;
  assert.is(s1.registered, 250);
  assert.is(s1.transactions.length, 3);

  const full = join(f.dir, 'pods.csv');
  writeFileSync(full, `pod,address,site\n${rows.join('\n')}\n`);
  const dry = await fleet(['import', full, ...g, '--batch-size', '100', '--dry-run', '--json'], env);
  const sd = JSON.parse(dry.out) as ImportSummary;
  assert.equal([sd.registered, sd.alreadyRegistered, sd.transactions.length, sd.dryRun], [750, 250, 8, true]);
  assert.is(String(await f.registry.getFunction('deviceOf')(pod(999))), '0x0000000000000000000000000000000000000000');

  const t0 = Date.now();
  const second = await fleet(['import', full, ...g, '--batch-size', '100'], env);
  const ms = Date.now() - t0;
  assert.is(second.code, 0, second.err);
  assert.match(second.out, /registered 750 PoD\(s\) in 8 transaction\(s\), 250 already registered \(skipped\)/);
  assert.match(second.err, /import 750\/750 \(100%\)/); // plain progress lines (not a TTY)
  console.log(`\n[import] ${N} PoDs: 250 then 750 in batches of 100 = ${s1.transactions.length} + 8 registerBatch txs; first run ${firstMs} ms, second run ${ms} ms (each includes reading deviceOf for every row)`);
  console.log(second.out.split('\n').filter((l) => l.includes('tx 0x')).join('\n'));
  for (const i of [0, 249, 250, 517, 999]) {
    assert.is(String(await f.registry.getFunction('deviceOf')(pod(i))).toLowerCase(), addr(i).toLowerCase());
  }
  assert.is(Number(await f.registry.getFunction('podCount')()), N);
});

test('a re-run skips all 1,000 and sends nothing; a conflicting row is reported, not touched', async () => {
  const full = join(f.dir, 'pods.csv');
  const nonceBefore = await f.provider.getTransactionCount(f.dso.address);
  const again = await fleet(['import', full, ...g, '--json'], env);
  assert.is(again.code, 0, again.err);
  const s = JSON.parse(again.out) as ImportSummary;
  assert.equal([s.registered, s.alreadyRegistered, s.transactions.length, s.conflicts.length], [0, N, 0, 0]);
  assert.is(await f.provider.getTransactionCount(f.dso.address), nonceBefore);

  const conflict = join(f.dir, 'conflict.csv');
  writeFileSync(conflict, `${pod(3)},${addr(4)}\n${pod(N + 1)},${addr(N + 1)}\n`);
  const c = await fleet(['import', conflict, ...g], env);
  assert.is(c.code, 1);
  assert.match(c.out, /registered 1 PoD\(s\) in 1 transaction\(s\), 0 already registered \(skipped\), 1 bound to another device/);
  assert.match(c.out, /FLEET_POD_ALREADY_BOUND line 1: IT001E50000003 is bound to/);
  assert.is(String(await f.registry.getFunction('deviceOf')(pod(3))).toLowerCase(), addr(3).toLowerCase());
});

test('a revoked PoD is not silently re-bound by re-running an old CSV; --include-revoked does it on purpose', async () => {
  await (await f.registry.getFunction('revoke')(pod(5))).wait();
  const full = join(f.dir, 'pods.csv');
  const r = await fleet(['import', full, ...g, '--json'], env);
  assert.is(r.code, 0, r.err);
  const s = JSON.parse(r.out) as ImportSummary;
  assert.equal([s.registered, s.alreadyRegistered, s.revoked.map((x) => x.pod)], [0, N - 1, [pod(5)]]);
  assert.is(String(await f.registry.getFunction('deviceOf')(pod(5))), '0x0000000000000000000000000000000000000000');
  const human = await fleet(['import', full, ...g, '--dry-run'], env);
  assert.match(human.out, /1 revoked \(not re-registered\)/);
  const forced = await fleet(['import', full, ...g, '--include-revoked', '--json'], env);
  const sf = JSON.parse(forced.out) as ImportSummary;
  assert.equal([sf.registered, sf.revoked.length], [1, 0]);
  assert.is(String(await f.registry.getFunction('deviceOf')(pod(5))).toLowerCase(), addr(5).toLowerCase());
});

test.run();
