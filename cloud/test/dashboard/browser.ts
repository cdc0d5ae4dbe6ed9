/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser): the flags keep an
 * offline machine quiet (no background services knocking on refused connections); playwright
 * gives each launch a fresh profile directory. Console errors, page errors and failed requests
 * are collected per page so a test can assert there were none. Screenshots go to one folder
 * under the OS temp dir, printed once.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

// The in-page checks below run in Chromium; this file is type-checked for Node (no DOM lib).
declare const document: any;
declare const getComputedStyle: (el: any) => any;
type Element = any;

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Launch headless Chromium; throws a clear message when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`${CHROMIUM_PATH} not found: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_FLAGS });
}

/**
 * A fresh browser context (own cookies and storage: one person). The in-page checks below are
 * functions compiled by tsx, which wraps named functions in its `__name` helper; the page gets a
 * no-op one so they run unchanged.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await ctx.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  return ctx;
}

/** Where this run's screenshots go (created, printed once). */
export function artifactDir(name: string): string {
  const dir = join(tmpdir(), 'lightnode-dashboard-artifacts', `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(dir, { recursive: true });
  console.log(`  dashboard screenshots: ${dir}`);
  return dir;
}

/** Record the page's console errors, uncaught errors and failed requests into `errors`. */
export function watchErrors(page: Page, who: string, errors: string[]): void {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${who} console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`${who} page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    // An EventSource closed by the page (logout, view change) aborts its request: not an error.
    if (r.url().includes('/api/events?') && r.failure()?.errorText === 'net::ERR_ABORTED') return;
    errors.push(`${who} request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`);
  });
}

/**
 * Basic accessibility of what is on screen: every form control and button has an accessible
 * name; text contrast is at least 4.5:1 (3:1 for large text) against its effective background.
 * Returns the problems found (empty = fine).
 */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const visible = (el: Element): boolean => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el); return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
    const describe = (el: Element): string => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${(el.textContent ?? '').trim() ? ` "${(el.textContent ?? '').trim().slice(0, 30)}"` : ''}`;
    for (const el of document.querySelectorAll('input, select, textarea, button')) {
      if (!visible(el)) continue;
      const labelled = el.labels?.length || el.getAttribute('aria-label')?.trim() || el.getAttribute('aria-labelledby')
        || (el.tagName === 'BUTTON' && (el.textContent ?? '').trim());
      if (!labelled) problems.push(`no accessible name: ${describe(el)}`);
    }
    const rgb = (c: string): [number, number, number, number] => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = m[1]!.split(/[ ,/]+/).filter(Boolean).map(Number);
      return [p[0]!, p[1]!, p[2]!, p[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]): number => {
      const f = (v: number): number => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r!) + 0.7152 * f(g!) + 0.0722 * f(b!);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) { const c = rgb(getComputedStyle(e).backgroundColor); if (c[3] > 0.5) return c; }
      return [255, 255, 255, 1];
    };
    for (const el of document.querySelectorAll('body *')) {
      const text = [...el.childNodes].filter((n: any) => n.nodeType === 3).map((n: any) => n.textContent ?? '').join('').trim();
      if (!text || !visible(el) || el.closest('.sr-only')) continue;
      const s = getComputedStyle(el);
      const fg = rgb(s.color); const bg = background(el);
      const [l1, l2] = [lum(fg), lum(bg)].sort((a, b) => b - a) as [number, number];
      const ratio = (l1 + 0.05) / (l2 + 0.05);
      const size = parseFloat(s.fontSize); const bold = Number(s.fontWeight) >= 700;
      const min = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < min) problems.push(`contrast ${ratio.toFixed(2)} < ${min}: ${describe(el)} (${s.color} on rgb(${bg.slice(0, 3).join(',')}))`);
    }
    return problems;
  });
}

/** Pixels of the canvas inside `selector` whose colour is within `tol` of `hex`. */
export async function canvasPixelsOf(page: Page, selector: string, hex: string, tol = 40): Promise<{ coloured: number; total: number; nonBlank: number }> {
  return page.evaluate(([sel, colour, t]) => {
    const canvas = document.querySelector(`${sel} canvas`);
    if (!canvas) return { coloured: 0, total: 0, nonBlank: 0 };
    const ctx = canvas.getContext('2d')!;
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const want = [1, 3, 5].map((i) => parseInt((colour as string).slice(i, i + 2), 16));
    let coloured = 0; let nonBlank = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3]! > 0) nonBlank++;
      if (data[i + 3]! > 128 && Math.abs(data[i]! - want[0]!) + Math.abs(data[i + 1]! - want[1]!) + Math.abs(data[i + 2]! - want[2]!) <= (t as number)) coloured++;
    }
    return { coloured, total: data.length / 4, nonBlank };
  }, [selector, hex, tol] as const);
}
