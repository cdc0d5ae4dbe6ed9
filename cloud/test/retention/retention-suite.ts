/**
 * Retention end to end on a real anvil, for one store (run by retention-sqlite.test.ts and
 * retention-postgres.test.ts): readings signed by a registered device, stored with arrival days
 * from 12 days ago to today, anchored and confirmed by the real anchorer; then day archives,
 * removal, the API's answer for a removed reading, `verify-receipt` on archived receipts,
 * restore (and a tampered archive refused), an injected failure between archive and delete, and
 * a process SIGKILLed in the middle of a pass — after each, no reading is lost or doubled.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet } from 'ethers';
import { startChain, registerPod, type ChainFixture } from '@lightnode/test-kit/chain';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { readingDigest, signReading } from '@lightnode/shared/eip712';
import { bytesToHex, hexToBytes, type Hex } from '@lightnode/shared/hex';
import { isLightNodeError } from '@lightnode/shared/errors';
import { validateReceipt, verifyReceiptOffline } from '@lightnode/shared/receipt';
import type { BalStore, StoredReading, StoredReadingInput } from '../../src/store/types.js';
import { startAnchorer } from '../../src/anchor/anchorer.js';
import { MetricsRegistry } from '../../src/metrics.js';
import { silentLogger } from '../../src/log.js';
import { createRetention, type RetentionDeps } from '../../src/retention/retention.js';
import { DAY_MS, dayName, dayOf } from '../../src/retention/archive-record.js';
import { readDayLines, readManifest } from '../../src/retention/archive-files.js';
import { ReceiptBuilder, type DeploymentInfo } from '../../src/api/receipt.js';
import { createApiApp } from '../../src/api/app.js';
import { listenApi } from '../../src/api/server.js';
import { newSecret } from '../../src/api/auth.js';
import { main as balCli } from '../../src/cli.js';

export interface RetentionStoreFactory {
  /** Open the store (again: the same data). */
  open(): Promise<BalStore>;
  /** Arguments for retention-child.ts naming the same store. */
  childArgs: string[];
  /** The `store` section of a BAL config naming the same store (for the CLI). */
  storeConfig: Record<string, unknown>;
  destroy(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const POD = 'IT001E00000901';
const KEPT_DAYS = 5;

export function retentionSuite(name: string, factory: RetentionStoreFactory): void {
  const t = suite(`retention: ${name}`);
  let chain: ChainFixture;
  let store: BalStore;
  let deployment: DeploymentInfo;
  const dir = mkdtempSync(join(tmpdir(), 'bal-retention-'));
  const archiveDir = join(dir, 'archive');
  const device = Wallet.createRandom();
  const now = Date.now();
  const today = dayOf(now);
  const day = (n: number): number => today - n * DAY_MS;
  // Arrival days (days ago) and how many readings arrive on each.
  const plan: [number, number][] = [[12, 2], [11, 6], [10, 6], [9, 6], [8, 6], [7, 9], [0, 4]];
  const original = new Map<number, StoredReading>(); // id → the reading as stored and confirmed
  let pendingId = 0;

  const deps = (extra: Partial<RetentionDeps> = {}): RetentionDeps => ({ store, deployment, metrics: new MetricsRegistry(), log: silentLogger, ...extra });
  const settings = { days: KEPT_DAYS, archiveDir, deleteBatchSize: 2 };

  /** Every reading is in the store or in a complete archive (hash checked); in both, the same. */
  async function noneLostOrDoubled(): Promise<{ inStore: number; archived: number }> {
    const archived = new Map<number, string>();
    for (const f of readdirSync(archiveDir).filter((x) => x.endsWith('.manifest.json'))) {
      const m = readManifest(archiveDir, Date.parse(`${f.slice(0, 10)}T00:00:00Z`))!;
      for await (const { text } of readDayLines(archiveDir, m)) {
        const o = JSON.parse(text) as { id: number; receipt: { digest: string } };
        assert.not.ok(archived.has(o.id), `reading ${o.id} twice in the archives`);
        archived.set(o.id, o.receipt.digest);
      }
    }
    let inStore = 0;
    for (const [id, r] of original) {
      const s = await store.readingById(id);
      const a = archived.get(id);
      assert.ok(s || a, `reading ${id} (day ${dayName(dayOf(r.receivedAtMs))}) is neither in the store nor in an archive`);
      if (s) { inStore++; assert.is(s.digest, r.digest); }
      if (a) assert.is(a, r.digest, `archived reading ${id} is the stored one`);
    }
    return { inStore, archived: archived.size };
  }

  function runChild(args: string[]): Promise<{ killed: boolean; out: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'retention-child.ts'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let killed = false;
      child.stdout.on('data', (b) => {
        out += String(b);
        if (!killed && out.includes('KILL-ME')) { killed = true; child.kill('SIGKILL'); }
      });
      child.stderr.on('data', (b) => { out += String(b); });
      child.on('error', reject);
      child.on('exit', () => resolve({ killed, out }));
    });
  }

  t.before(async () => {
    chain = await startChain();
    deployment = { chainId: chain.deployment.chainId, podRegistry: chain.deployment.podRegistry, readingAnchor: chain.deployment.readingAnchor };
    await registerPod(chain, POD, device.address);
    const block = await chain.provider.getBlock('latest');
    const t0 = Number(block!.timestamp) * 1000 + 1000;
    store = await factory.open();
    let seq = 0;
    const inputs: StoredReadingInput[] = [];
    for (const [ago, n] of plan) {
      for (let i = 0; i < n; i++, seq++) {
        const r = { pod: POD, meter: 'main', seq, timestamp: t0 + seq * 1000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 5000 + seq, scale: 0, unit: 'Wh' }] };
        inputs.push({ reading: signReading(chain.domain, r, hexToBytes(device.privateKey)), digest: bytesToHex(readingDigest(chain.domain, r)),
          signer: device.address.toLowerCase() as Hex, receivedAtMs: day(ago) + 3_600_000 + seq * 1000 });
      }
    }
    await store.storeBatch(inputs);
    // Anchors of at most 5 readings: most windows span two arrival days.
    const metrics = new MetricsRegistry();
    const anchorer = startAnchorer({
      store, signer: new Wallet(ANVIL_PRIVATE_KEYS[0], jsonRpcProvider(chain.anvil.rpcUrl, chain.anvil.chainId)), readingAnchor: deployment.readingAnchor,
      metrics, log: silentLogger, config: { pollIntervalMs: 50, windowMs: 100, maxLeaves: 5, confirmations: 1 },
    });
    const deadline = Date.now() + 120_000;
    while ((await store.counts()).pending > 0 || (await store.unconfirmedAnchors()).length > 0) {
      if (Date.now() > deadline) throw new Error('anchoring did not finish');
      await new Promise((r) => setTimeout(r, 100));
    }
    await anchorer.stop();
    for (let after = 0; ;) {
      const page = await store.listReadings({ afterId: after, limit: 1000, pod: POD });
      for (const r of page.items) { assert.is(r.status, 'confirmed'); original.set(r.id, r); }
      if (page.nextAfterId === null) break;
      after = page.nextAfterId;
    }
    assert.is(original.size, inputs.length);
    // One more reading on the oldest day, stored after anchoring: still pending.
    const late = { pod: POD, meter: 'main', seq: 500, timestamp: t0 + 500_000, source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: 1, scale: 0, unit: 'Wh' }] };
    const lateIn = { reading: signReading(chain.domain, late, hexToBytes(device.privateKey)), digest: bytesToHex(readingDigest(chain.domain, late)),
      signer: device.address.toLowerCase() as Hex, receivedAtMs: day(12) + 7_200_000 };
    pendingId = (await store.storeBatch([lateIn])).ids[0]!;
    original.set(pendingId, (await store.readingById(pendingId))!);
  });

  t.after(async () => {
    await store?.close();
    await chain?.stop();
    await factory.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  t('a day is archived with receipts (0600 files, manifest hash) and removed; the API says 410 with the day; receipts of the split anchor still build', async () => {
    const metrics = new MetricsRegistry();
    const r = createRetention(settings, deps({ metrics }));
    const res = await r.archiveDays([day(11)]);
    assert.equal(res.errors, []);
    assert.equal(res.days.map((d) => [d.day, d.archived, d.pruned, d.remaining]), [[dayName(day(11)), 6, 6, 0]]);
    const m = readManifest(archiveDir, day(11))!;
    const file = join(archiveDir, m.file);
    assert.is(m.records, 6);
    assert.is(createHash('sha256').update(readFileSync(file)).digest('hex'), m.sha256);
    assert.is(statSync(file).mode & 0o777, 0o600);
    assert.is(statSync(join(archiveDir, `${dayName(day(11))}.manifest.json`)).mode & 0o777, 0o600);
    assert.is(statSync(archiveDir).mode & 0o777, 0o700);
    assert.is(metrics.counter('bal_retention_archived_readings_total', '').get(), 6);
    assert.is(metrics.counter('bal_retention_pruned_readings_total', '').get(), 6);

    const ofDay = [...original.values()].filter((x) => dayOf(x.receivedAtMs) === day(11));
    for (const x of ofDay) assert.is(await store.readingById(x.id), null);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: number; receipt: unknown });
    assert.equal(lines.map((l) => l.id), ofDay.map((x) => x.id));
    for (const l of lines) verifyReceiptOffline(validateReceipt(l.receipt));

    // The API: a removed reading is 410 BAL_READING_ARCHIVED naming its day (not 404, not 500).
    const { secret, hash } = newSecret();
    const api = await listenApi(createApiApp({ store, deployment, clients: [{ name: 'dso', role: 'dso', apiKeyHash: hash }], metrics: new MetricsRegistry() }),
      { host: '127.0.0.1', port: 0, tls: null, metrics: new MetricsRegistry() });
    try {
      for (const path of [`/api/readings/${ofDay[0]!.id}/receipt`, `/api/readings/${ofDay[0]!.id}`]) {
        const resp = await fetch(`${api.url}${path}`, { headers: { 'x-api-key': secret } });
        assert.is(resp.status, 410, path);
        const body = await resp.json() as { code: string; message: string };
        assert.is(body.code, 'BAL_READING_ARCHIVED');
        assert.ok(body.message.includes(dayName(day(11))), body.message);
      }
      // A reading of the next day whose anchor is split with the archived day: its receipt still builds and verifies.
      const split = [...original.values()].find((x) => dayOf(x.receivedAtMs) === day(10) && ofDay.some((o) => o.anchorIndex === x.anchorIndex))!;
      assert.ok(split, 'the data has an anchor split between day 11 and day 10');
      const resp = await fetch(`${api.url}/api/readings/${split.id}/receipt`, { headers: { 'x-api-key': secret } });
      assert.is(resp.status, 200);
      verifyReceiptOffline(validateReceipt(await resp.json()));
      assert.is((await fetch(`${api.url}/api/readings/99999999`, { headers: { 'x-api-key': secret } })).status, 404, 'an id never stored is still 404');
    } finally { await api.close(); }
    await noneLostOrDoubled();
  });

  t('archived receipts verify with verify-receipt against the chain', async () => {
    const m = readManifest(archiveDir, day(11))!;
    const lines = readFileSync(join(archiveDir, m.file), 'utf8').trim().split('\n');
    for (const i of [0, lines.length - 1]) {
      const f = join(dir, `receipt-${i}.json`);
      writeFileSync(f, JSON.stringify((JSON.parse(lines[i]!) as { receipt: unknown }).receipt));
      const res = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, [join(repo, 'scripts', 'src', 'verify', 'bin.mjs'), f, '--rpc', chain.anvil.rpcUrl, '--deployment', chain.deploymentPath], { cwd: repo });
        let out = '';
        c.stdout.on('data', (b) => { out += String(b); });
        c.stderr.on('data', (b) => { out += String(b); });
        c.on('exit', (code) => resolve({ code, out }));
      });
      assert.is(res.code, 0, res.out);
      assert.ok(res.out.includes('receipt VALID'), res.out);
    }
  });

  t('restore puts a day back (same ids, receipts build); a tampered line or file is refused with a code and restores nothing', async () => {
    const ofDay = [...original.values()].filter((x) => dayOf(x.receivedAtMs) === day(11));
    // Tampered copies of the archive: a changed value with the manifest left alone, and with the manifest fixed up.
    const m = readManifest(archiveDir, day(11))!;
    const text = readFileSync(join(archiveDir, m.file), 'utf8');
    const lines = text.split('\n');
    lines[2] = lines[2]!.replace(/"value":(\d+)/, (_s, v: string) => `"value":${Number(v) + 1}`);
    const forged = lines.join('\n');
    assert.not.equal(forged, text);
    for (const fixManifest of [false, true]) {
      const bad = join(dir, `tampered-${fixManifest}`);
      cpSync(archiveDir, bad, { recursive: true });
      writeFileSync(join(bad, m.file), forged);
      if (fixManifest) {
        const mf = join(bad, `${dayName(day(11))}.manifest.json`);
        writeFileSync(mf, JSON.stringify({ ...m, sha256: createHash('sha256').update(forged).digest('hex'), bytes: Buffer.byteLength(forged) }));
      }
      const metrics = new MetricsRegistry();
      const r = createRetention({ ...settings, archiveDir: bad }, deps({ metrics }));
      try { await r.restoreDays([day(11)]); assert.unreachable('a tampered archive must be refused'); } catch (err) {
        const want = fixManifest ? 'BAL_ARCHIVE_RECORD_INVALID' : 'BAL_ARCHIVE_HASH_MISMATCH';
        assert.ok(isLightNodeError(err, want), `expected ${want}, got ${(err as Error).message}`);
        if (fixManifest) assert.ok((err as Error).message.includes('line 3'), (err as Error).message);
      }
      assert.is(metrics.counter('bal_retention_errors_total', '', ['code']).get({ code: fixManifest ? 'BAL_ARCHIVE_RECORD_INVALID' : 'BAL_ARCHIVE_HASH_MISMATCH' }), 1);
      for (const x of ofDay) assert.is(await store.readingById(x.id), null, 'nothing restored from a tampered archive');
    }
    const r = createRetention(settings, deps());
    const res = await r.restoreDays([day(11)]);
    assert.equal(res, [{ day: dayName(day(11)), restored: 6, present: 0 }]);
    for (const x of ofDay) assert.equal(await store.readingById(x.id), x);
    const builder = new ReceiptBuilder(deployment);
    const x = ofDay[3]!;
    verifyReceiptOffline((await builder.build(x, await store.anchorByIndex(x.anchorIndex!), (i) => store.anchorLeaves(i)))!);
    // Archived again: nothing new to write, the same archive file.
    const again = await r.archiveDays([day(11)]);
    assert.equal(again.days.map((d) => [d.archived, d.pruned, d.file]), [[0, 6, m.file]]);
    await noneLostOrDoubled();
  });

  t('a failure between archive and delete removes nothing; the next pass finishes the day', async () => {
    const r = createRetention(settings, deps({ hooks: { afterArchive: () => { throw new Error('injected: power cut after the archive'); } } }));
    const res = await r.archiveDays([day(10)]);
    assert.is(res.errors.length, 1);
    assert.ok(readManifest(archiveDir, day(10)), 'the archive is complete');
    const ofDay = [...original.values()].filter((x) => dayOf(x.receivedAtMs) === day(10));
    for (const x of ofDay) assert.ok(await store.readingById(x.id), 'still in the store');
    await noneLostOrDoubled();
    const ok = await createRetention(settings, deps()).archiveDays([day(10)]);
    assert.equal(ok.errors, []);
    assert.equal(ok.days.map((d) => [d.archived, d.pruned, d.remaining]), [[0, ofDay.length, 0]]);
    await noneLostOrDoubled();
  });

  t('a process SIGKILLed after the archive, or between delete batches, loses and doubles nothing; the next pass completes', async () => {
    const before = readdirSync(archiveDir).length;
    for (const [ago, point] of [[9, 'archive'], [7, 'batch']] as const) {
      const res = await runChild([...factory.childArgs, archiveDir, JSON.stringify(deployment), String(day(ago)), point]);
      assert.ok(res.killed, `the child reached ${point}: ${res.out}`);
      assert.ok(readManifest(archiveDir, day(ago)), 'the killed pass left a complete archive');
      const ofDay = [...original.values()].filter((x) => dayOf(x.receivedAtMs) === day(ago));
      const stored = (await Promise.all(ofDay.map((x) => store.readingById(x.id)))).filter((x) => x !== null).length;
      if (point === 'archive') assert.is(stored, ofDay.length, 'killed before removal: all still stored');
      else if (store.kind === 'sqlite') assert.ok(stored > 0 && stored < ofDay.length, `killed between batches: ${stored} of ${ofDay.length} left`);
      await noneLostOrDoubled();
    }
    assert.ok(readdirSync(archiveDir).length > before);
    // Reopen (as after a restart) and run a whole pass: every due, confirmed day goes; the day
    // with a pending reading waits; today stays.
    await store.close();
    store = await factory.open();
    const metrics = new MetricsRegistry();
    const res = await createRetention(settings, deps({ metrics })).pass();
    assert.equal(res.errors, []);
    assert.equal(res.waiting, [{ day: dayName(day(12)), unconfirmed: 1 }]);
    // SQLite was killed between delete batches (day 7 half removed); PostgreSQL removes a day in
    // one transaction (the partition dropped), so its kill after the batch found day 7 done.
    assert.equal(res.days.map((d) => d.day), (store.kind === 'sqlite' ? [9, 8, 7] : [9, 8]).map((n) => dayName(day(n))));
    assert.equal((await store.archivedDays()).map((a) => [dayName(a.dayMs), a.state]), [11, 10, 9, 8, 7].map((n) => [dayName(day(n)), 'pruned']));
    assert.ok(res.days.every((d) => d.remaining === 0));
    const { inStore } = await noneLostOrDoubled();
    const left = [...original.values()].filter((x) => [0, 12].includes(Math.round((today - dayOf(x.receivedAtMs)) / DAY_MS)));
    assert.is(inStore, left.length, 'only the waiting day and today are in the store');
    assert.is((await store.readingById(pendingId))!.status, 'pending', 'the unconfirmed reading was not touched');
    for (const ago of [9, 8, 7]) {
      const m = readManifest(archiveDir, day(ago))!;
      for await (const { text } of readDayLines(archiveDir, m)) verifyReceiptOffline(validateReceipt((JSON.parse(text) as { receipt: unknown }).receipt));
    }
    assert.is(metrics.gauge('bal_retention_days_waiting', '').get(), 1);
    // A second pass has nothing to do.
    const idle = await createRetention(settings, deps()).pass();
    assert.equal([idle.days.length, idle.errors.length], [0, 0]);
  });

  t('bal restore and bal archive on the same store and archive folder', async () => {
    const config = join(dir, 'bal.json');
    writeFileSync(config, JSON.stringify({ chain: { deploymentPath: chain.deploymentPath }, store: factory.storeConfig, retention: { days: KEPT_DAYS, archiveDir } }));
    const run = async (...argv: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '', err = '';
      const code = await balCli(argv, { out: (l) => { out += `${l}\n`; }, err: (e) => { err += e; } });
      return { code, out, err };
    };
    const ofDay = [...original.values()].filter((x) => dayOf(x.receivedAtMs) === day(9));
    const restored = await run('restore', '--config', config, '--days', `${dayName(day(9))}..${dayName(day(8))}`);
    assert.is(restored.code, 0, restored.err);
    assert.equal((JSON.parse(restored.out) as { restored: { day: string; restored: number }[] }).restored.map((r) => [r.day, r.restored]),
      [[dayName(day(9)), ofDay.length], [dayName(day(8)), 6]]);
    for (const x of ofDay) assert.equal(await store.readingById(x.id), x);
    const archived = await run('archive', '--config', config);
    assert.is(archived.code, 0, archived.err);
    const res = JSON.parse(archived.out) as { days: { day: string; archived: number; pruned: number }[]; waiting: unknown[]; errors: unknown[]; cutoff: string };
    assert.equal(res.days.map((d) => [d.day, d.archived, d.pruned]), [[dayName(day(9)), 0, ofDay.length], [dayName(day(8)), 0, 6]]);
    assert.is(res.cutoff, dayName(dayOf(Date.now() - KEPT_DAYS * DAY_MS)));
    assert.is(res.waiting.length, 1);
    await noneLostOrDoubled();
    const missing = await run('restore', '--config', config, '--days', dayName(day(3)));
    assert.is(missing.code, 1);
    assert.ok(missing.err.includes('BAL_ARCHIVE_NOT_FOUND'), missing.err);
    assert.is((await run('restore', '--config', config, '--days', '2026-02-30')).code, 2);
    assert.is((await run('restore', '--config', config)).code, 2, 'restore needs --days');
  });

  t.run();
}
