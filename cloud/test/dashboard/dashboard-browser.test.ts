/**
 * The dashboard in a real browser (issue 12 "Tested in a real browser"): Debian's Chromium via
 * playwright-core against a whole BAL (bal-fixture.ts: anvil, contracts, embedded broker,
 * two Light Node stand-ins). One browser context per user, as separate people would have.
 * Screenshots of every view are saved (folder printed). Any console error, page error or failed
 * request fails the run.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { buildDashboard } from '../../tools/dashboard-build.js';
import { accessibilityProblems, artifactDir, canvasPixelsOf, launchChromium, newContext, watchErrors } from './browser.js';
import { startDashboardFixture, POD_A, POD_B, USERS, type DashboardFixture } from './bal-fixture.js';

const JS_BUDGET_GZIP_BYTES = 150 * 1024;
const SERIES_COLOUR = '#1d4ed8'; // dashboard/src/views/chart.ts
let fx: DashboardFixture;
let browser: Browser;
let shots: string;
const errors: string[] = [];
const contexts: BrowserContext[] = [];
const pages: Record<string, Page> = {};

async function open(who: keyof typeof USERS): Promise<Page> {
  const ctx = await newContext(browser);
  contexts.push(ctx);
  const page = await ctx.newPage();
  watchErrors(page, who, errors);
  await page.goto(`${fx.url}/`);
  return page;
}

async function login(page: Page, who: keyof typeof USERS): Promise<void> {
  await page.getByLabel('Username').fill(USERS[who].username);
  await page.getByLabel('Password').fill(USERS[who].password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.locator('.live[data-live="live"]').waitFor({ timeout: 5000 });
}

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const tab = (page: Page, name: string): Promise<void> => page.getByRole('tab', { name }).click();

async function noA11yProblems(page: Page, where: string): Promise<void> {
  const problems = await accessibilityProblems(page);
  assert.equal(problems, [], `${where}: ${problems.join('\n')}`);
}

test.before(async () => {
  const built = await buildDashboard();
  console.log(`  dashboard bundle: ${built.jsBytes} B, ${built.jsGzipBytes} B gzipped (budget ${JS_BUDGET_GZIP_BYTES})`);
  shots = artifactDir('browser');
  fx = await startDashboardFixture();
  browser = await launchChromium();
});

test.after(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await fx?.close();
});

test('the first page is served from the BAL under its own CSP, within the JS budget, interactive within 1 s', async () => {
  assert.is(fx.bal.endpoints.dashboard, `${fx.url}/ui/`, 'bal run prints the dashboard URL with its endpoints');
  const res = await fetch(fx.bal.endpoints.dashboard!);
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const html = await res.text();
  const scripts = [...html.matchAll(/src="([^"]+\.js)"/g)].map((m) => m[1]!);
  assert.equal(scripts, ['/ui/app.js'], 'one script, from this origin');
  const js = Buffer.from(await (await fetch(`${fx.url}/ui/app.js`)).arrayBuffer());
  const gz = gzipSync(js, { level: 9 }).length;
  console.log(`  first page JavaScript: ${js.length} B, ${gz} B gzipped`);
  assert.ok(gz <= JS_BUDGET_GZIP_BYTES, `${gz} B gzipped > ${JS_BUDGET_GZIP_BYTES}`);

  const page = await open('admin');
  pages.admin = page;
  const interactiveMs = async (): Promise<number> => {
    await page.getByLabel('Username').waitFor();
    return Number(await page.evaluate(() => (globalThis as any).document.body.dataset.interactiveMs));
  };
  // From navigation start to the login form rendered and focused; the first load also pays
  // for starting the browser's renderer, the reload is what a user sees.
  const cold = await interactiveMs();
  await page.reload();
  const warm = await interactiveMs();
  console.log(`  time to interactive (login form focused): first load ${cold} ms, reload ${warm} ms`);
  assert.ok(warm > 0 && warm < 1000, `interactive after ${warm} ms`);
  const external = await page.evaluate(() => (globalThis as any).performance.getEntriesByType('resource').map((e: { name: string }) => e.name).filter((u: string) => !u.startsWith((globalThis as any).location.origin)));
  assert.equal(external, [], 'nothing fetched from another origin');
  await noA11yProblems(page, 'login');
  await shot(page, '01-login');
});

test('a wrong password is refused on the page; the admin logs in with the keyboard only', async () => {
  const page = pages.admin!;
  await page.getByLabel('Username').fill(USERS.admin.username);
  await page.getByLabel('Password').fill('wrong-password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /wrong password/);
  // Keyboard: the username field has focus; Tab to the password, Enter submits.
  await page.getByLabel('Username').fill('');
  await page.getByLabel('Username').focus();
  await page.keyboard.type(USERS.admin.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(USERS.admin.password);
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Log out' }).waitFor();
  await page.locator('.live[data-live="live"]').waitFor({ timeout: 5000 });
  // Arrow keys move between the section tabs.
  await page.getByRole('tab', { name: 'Fleet' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.getByRole('tab', { name: 'Readings', selected: true }).waitFor({ timeout: 2000 });
  assert.ok(await page.getByRole('tab', { name: 'Readings' }).evaluate((el) => el === (globalThis as any).document.activeElement), 'focus follows the selected tab');
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('tab', { name: 'Fleet', selected: true }).waitFor({ timeout: 2000 });
  const stored = await page.evaluate(() => ({ local: (globalThis as any).localStorage.length, session: (globalThis as any).sessionStorage.length, cookie: (globalThis as any).document.cookie }));
  assert.equal(stored, { local: 0, session: 0, cookie: '' }, 'no secret stored in the browser');
});

test('fleet: both Light Nodes online with device, version and backlog', async () => {
  const page = pages.admin!;
  await tab(page, 'Fleet');
  for (const pod of [POD_A, POD_B]) await page.locator(`[data-testid=node-row][data-pod=${pod}][data-status=online]`).waitFor({ timeout: 10_000 });
  const row = await page.locator(`[data-testid=node-row][data-pod=${POD_B}]`).innerText();
  assert.match(row, /lightnode-test\/1\.2\.3/);
  assert.ok(row.includes(fx.devices[POD_B]!.address.slice(0, 8)), row);
  // A reading with a broken signature: counted on its node by reason, shown live in its row.
  await fx.devices[POD_A]!.sendBadSignature();
  await page.locator(`[data-testid=node-row][data-pod=${POD_A}] [data-testid=node-rejections]`).filter({ hasText: 'BAL_SIGNATURE_INVALID × 1' }).waitFor({ timeout: 5000 });
  assert.is(await page.locator(`[data-testid=node-row][data-pod=${POD_B}] [data-testid=node-rejections]`).count(), 0, 'only the node that sent it');
  await page.locator('[data-testid=rejections]').filter({ hasText: 'BAL_SIGNATURE_INVALID: 1' }).waitFor({ timeout: 5000 });
  await noA11yProblems(page, 'fleet');
  await shot(page, '02-admin-fleet');
});

test('fleet: 100 Light Nodes a page, "Load more" by keyboard; the search asks the BAL', async () => {
  const page = pages.admin!;
  // 150 more nodes that sort after the two real ones (rows made by the counters, as for an unknown PoD).
  for (let i = 0; i < 150; i++) await fx.bal.store.addNodeCounters(`IT999E${String(i).padStart(8, '0')}`, {});
  await tab(page, 'Anchors');
  await tab(page, 'Fleet');
  const rows = page.locator('[data-testid=node-row]');
  await rows.nth(99).waitFor();
  assert.is(await rows.count(), 100, 'one page');
  const more = page.getByRole('button', { name: 'Load 100 more Light Nodes' });
  // Keyboard: Tab from the status filter reaches the button; Enter loads the next page.
  await page.getByLabel('Status', { exact: true }).focus();
  await page.keyboard.press('Tab');
  assert.ok(await more.evaluate((el) => el === (globalThis as any).document.activeElement), 'Tab reaches "Load more"');
  await page.keyboard.press('Enter');
  await rows.nth(151).waitFor();
  assert.is(await rows.count(), 152);
  await page.getByTestId('fleet-pager').filter({ hasText: 'All 152 matching Light Nodes loaded.' }).waitFor();
  await noA11yProblems(page, 'fleet paged');
  // The search goes to the server: part of POD_B's device finds it among all pages.
  await page.getByLabel('Search PoD or device').fill(fx.devices[POD_B]!.address.slice(2, 12));
  await page.locator(`[data-testid=node-row][data-pod=${POD_B}]`).waitFor();
  await page.getByTestId('fleet-pager').filter({ hasText: 'All 1 matching Light Nodes loaded.' }).waitFor();
  assert.is(await rows.count(), 1);
  await page.getByLabel('Search PoD or device').fill('');
  await more.waitFor();
  assert.is(await rows.count(), 100, 'cleared: the first page again');
});

test('consumer subscribes, the producer accepts in its own session, the consumer\'s view updates live', async () => {
  const consumer = await open('consumer');
  pages.consumer = consumer;
  await login(consumer, 'consumer');
  const row = consumer.locator(`[data-testid=producer-row][data-topic="certified/v1/${POD_A}/readings"]`);
  await row.waitFor();
  assert.match(await row.innerText(), /home-owner/);
  await noA11yProblems(consumer, 'consumer');
  await shot(consumer, '03-consumer-before');
  await row.getByRole('button', { name: /Subscribe/ }).click();
  await row.locator('[data-status=requested]').waitFor({ timeout: 10_000 });

  const producer = await open('producer');
  pages.producer = producer;
  await login(producer, 'producer');
  const req = producer.locator(`[data-testid=request-row][data-consumer=${USERS.consumer.username}]`);
  await req.locator('[data-status=requested]').waitFor();
  assert.match(await req.innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/, 'creation and modification dates');
  await noA11yProblems(producer, 'producer');
  await shot(producer, '04-producer-request');
  const t0 = Date.now();
  await req.getByRole('button', { name: /^Accept/ }).click();
  await req.locator('[data-status=accepted]').waitFor({ timeout: 10_000 });

  // No reload in the consumer's page: the subscription event brings the change and the stream.
  await row.locator('[data-status=accepted]').waitFor({ timeout: 10_000 });
  const rows = consumer.locator(`.readings[data-pod=${POD_A}] [data-testid=reading-row]`);
  await rows.first().waitFor({ timeout: 10_000 });
  const before = await rows.first().getAttribute('data-id');
  await consumer.waitForFunction((id) => (globalThis as any).document.querySelector('[data-testid=reading-row]')?.getAttribute('data-id') !== id, before, { timeout: 5000 });
  console.log(`  consumer view accepted and streaming ${Date.now() - t0} ms after the producer's click`);
  await row.getByRole('button', { name: /Cancel/ }).waitFor();
  await shot(consumer, '05-consumer-live');
  // The producer's own PoD shows its latest readings too.
  await producer.locator(`.readings[data-pod=${POD_A}] [data-testid=reading-row]`).first().waitFor();
  await shot(producer, '06-producer-accepted');
});

test('fleet marks a Light Node offline within 10 s of its agent stopping', async () => {
  const page = pages.admin!;
  await tab(page, 'Fleet');
  await page.locator(`[data-testid=node-row][data-pod=${POD_B}][data-status=online]`).waitFor();
  const t0 = Date.now();
  fx.devices[POD_B]!.crash();
  await page.locator(`[data-testid=node-row][data-pod=${POD_B}][data-status=offline]`).waitFor({ timeout: 10_000 });
  const ms = Date.now() - t0;
  console.log(`  ${POD_B} shown offline ${ms} ms after its agent stopped`);
  assert.ok(ms <= 10_000);
  assert.is(await page.locator(`[data-testid=node-row][data-pod=${POD_A}]`).getAttribute('data-status'), 'online');
  await shot(page, '07-admin-fleet-offline');
});

test('readings: the chart draws, the table shows verification states', async () => {
  const page = pages.admin!;
  await tab(page, 'Readings');
  await page.getByLabel('PoD', { exact: true }).selectOption(POD_A);
  await page.locator('[data-testid=chart] canvas').waitFor();
  await page.locator('[data-testid=reading-row] [data-status=confirmed]').first().waitFor({ timeout: 15_000 });
  await page.waitForTimeout(300);
  const px = await canvasPixelsOf(page, '[data-testid=chart]', SERIES_COLOUR);
  console.log(`  chart canvas: ${px.coloured} series-coloured pixels, ${px.nonBlank} drawn of ${px.total}`);
  assert.ok(px.coloured > 100, `the series is drawn (${px.coloured} pixels of ${SERIES_COLOUR})`);
  await page.getByLabel('Quantity').selectOption('1-0:1.7.0');
  await page.waitForTimeout(200);
  assert.ok((await canvasPixelsOf(page, '[data-testid=chart]', SERIES_COLOUR)).coloured > 100, 'another quantity draws too');
  await noA11yProblems(page, 'readings');
  await shot(page, '08-admin-readings');
});

test('verify in the browser: a real receipt passes every check, a tampered one fails', async () => {
  const page = pages.admin!;
  // Readings arrive every 250 ms: hold the table still while picking one.
  await page.getByLabel('Pause live updates').check();
  const confirmed = page.locator('[data-testid=reading-row]:has([data-status=confirmed])').first();
  const id = Number(await confirmed.getAttribute('data-id'));
  await confirmed.getByRole('button', { name: `Verify reading ${id}` }).click();
  const result = page.locator('[data-testid=verify-result]');
  await result.and(page.locator('[data-ok=true]')).waitFor({ timeout: 5000 });
  for (const c of ['shape', 'digest', 'signature', 'proof']) assert.is(await result.locator(`[data-check=${c}]`).getAttribute('data-ok'), 'true', c);
  await shot(page, '09-verify-ok');

  // The server lies: the receipt's reading value is changed in flight. The page must notice.
  await page.route(`**/api/readings/${id}/receipt`, async (route) => {
    const res = await route.fetch();
    const receipt = await res.json();
    receipt.reading.values[0].value += 1;
    await route.fulfill({ response: res, json: receipt });
  });
  await confirmed.getByRole('button', { name: `Verify reading ${id}` }).click();
  await result.and(page.locator('[data-ok=false]')).waitFor({ timeout: 5000 });
  assert.is(await result.locator('[data-check=digest]').getAttribute('data-ok'), 'false');
  assert.is(await result.locator('[data-check=signature]').getAttribute('data-ok'), 'false', 'the signature no longer recovers the device');
  await shot(page, '10-verify-tampered');
  await page.unroute(`**/api/readings/${id}/receipt`);

  // An auditor pastes a receipt whose Merkle proof was altered.
  const token: string = (await (await fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USERS.admin) })).json() as any).token;
  const receipt: any = await (await fetch(`${fx.url}/api/readings/${id}/receipt`, { headers: { authorization: `Bearer ${token}` } })).json();
  await tab(page, 'Verify a receipt');
  await page.getByLabel('Receipt JSON').fill(JSON.stringify(receipt));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await result.and(page.locator('[data-ok=true]')).waitFor();
  receipt.anchor.root = `0x${'00'.repeat(32)}`;
  await page.getByLabel('Receipt JSON').fill(JSON.stringify(receipt));
  await page.getByRole('button', { name: 'Verify', exact: true }).click();
  await result.and(page.locator('[data-ok=false]')).waitFor();
  assert.is(await result.locator('[data-check=proof]').getAttribute('data-ok'), 'false');
  assert.is(await result.locator('[data-check=signature]').getAttribute('data-ok'), 'true');
  await noA11yProblems(page, 'verify');
  await shot(page, '11-verify-pasted');
});

test('anchors and users/subscriptions with their on-chain certification', async () => {
  const page = pages.admin!;
  await tab(page, 'Anchors');
  const anchor = page.locator('[data-testid=anchor-row]').first();
  await anchor.waitFor();
  const text = await anchor.innerText();
  assert.match(text, /0x[0-9a-f]{6}/);
  assert.ok(Number(await anchor.getAttribute('data-index')) >= 1, 'several anchors, linked');
  await page.locator('[data-testid=anchor-row] a[href^="#anchor-"]').first().waitFor();
  await noA11yProblems(page, 'anchors');
  await shot(page, '12-admin-anchors');

  await tab(page, 'Users and subscriptions');
  for (const u of Object.values(USERS)) await page.locator(`[data-testid=user-row][data-username=${u.username}]`).waitFor();
  const sub = page.locator('[data-testid=subscription-row]').first();
  await sub.locator('[data-status=accepted]').waitFor();
  await sub.getByRole('button', { name: /On-chain certification/ }).click();
  await page.locator('[data-testid=certification][data-agree=true]').waitFor({ timeout: 10_000 });
  assert.match(await page.locator('[data-testid=certification]').innerText(), /accept by home-owner/);
  await noA11yProblems(page, 'users');
  await shot(page, '13-admin-users');
});

test('the producer revokes: the consumer\'s page shows it and drops the stream, live', async () => {
  const producer = pages.producer!;
  const consumer = pages.consumer!;
  const req = producer.locator(`[data-testid=request-row][data-consumer=${USERS.consumer.username}]`);
  await req.getByRole('button', { name: /^Revoke/ }).click();
  await req.locator('[data-status=revoked]').waitFor({ timeout: 10_000 });
  const row = consumer.locator(`[data-testid=producer-row][data-topic="certified/v1/${POD_A}/readings"]`);
  await row.locator('[data-status=revoked]').waitFor({ timeout: 10_000 });
  await consumer.getByTestId('no-streams').waitFor({ timeout: 5000 });
  assert.is(await consumer.locator('[data-testid=reading-row]').count(), 0);
  await row.getByRole('button', { name: /Subscribe/ }).waitFor();
  await shot(consumer, '14-consumer-revoked');
});

test('logout returns to the login page; an ended session does too', async () => {
  const producer = pages.producer!;
  await producer.getByRole('button', { name: 'Log out' }).click();
  await producer.getByLabel('Username').waitFor();
  assert.match(await producer.getByRole('status').first().innerText(), /logged out/);

  // The consumer's session ends on the server (its password is changed): the page follows.
  const admin: string = (await (await fetch(`${fx.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USERS.admin) })).json() as any).token;
  const r = await fetch(`${fx.url}/api/users/${USERS.consumer.username}`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` }, body: JSON.stringify({ password: 'consumer-password-2' }) });
  assert.is(r.status, 200);
  const consumer = pages.consumer!;
  await consumer.getByLabel('Username').waitFor({ timeout: 5000 });
  assert.match(await consumer.getByRole('status').first().innerText(), /session has expired/);
  await shot(consumer, '15-session-expired');
});

test('no console errors, page errors or failed requests in any page', () => {
  // Expected refusals the pages made on purpose (wrong password: 401) are console errors in Chromium's log.
  const unexpected = errors.filter((e) => !/401 \(Unauthorized\)/.test(e));
  assert.equal(unexpected, [], unexpected.join('\n'));
});

test.run();
