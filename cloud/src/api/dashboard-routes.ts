/**
 * The web dashboard (issue 12), served by the API app on the same origin: the built page
 * (`cloud/dist/dashboard`, made by `pnpm build` from cloud/dashboard/) under `/ui/`, and the few
 * JSON endpoints only it needs — its settings, the anchor list, and the fleet's rejections by
 * reason (from the store). The page is static and holds no secret; it calls the same REST API with the bearer
 * token of `POST /api/login`, kept in memory only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Request, type Response } from 'express';
import { ACK_REJECT_CODES } from '@lightnode/shared/messages';
import type { Hex } from '@lightnode/shared/hex';
import type { BalStore } from '../store/types.js';
import { ApiError, forbidden } from './api-error.js';
import type { Principal } from './auth.js';
import { checkQueryKeys, optId, parseLimit } from './query.js';
import { anchorView } from './views.js';

/** Where `pnpm build` puts the page. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dist/dashboard/', import.meta.url));

/** What the page needs to know about this BAL (GET /api/dashboard/config). */
export interface DashboardSettings {
  /** A node whose last sign of life is older than this is shown offline, ms. */
  offlineAfterMs: number;
  /** EIP-3091 explorer base (`<base>/tx/<hash>`), or null for none. */
  explorerBaseUrl: string | null;
  chainId: number;
  contracts: { podRegistry: Hex; readingAnchor: Hex };
}

export interface DashboardRouteDeps {
  store: Pick<BalStore, 'latestAnchor' | 'anchorByIndex' | 'rejectionsByCode'>;
  settings: DashboardSettings;
  principal(req: Request): Promise<Principal>;
  wrap(fn: (req: Request, res: Response) => Promise<void>): express.RequestHandler;
  /** Current block number (anchor confirmations); absent: confirmations are null. */
  chainHead?: () => Promise<number>;
  /** Built page directory; default DEFAULT_DASHBOARD_DIR. */
  dir?: string;
}

/**
 * The page may load only its own files and talk only to its own origin: no CDN, no inline
 * script; uPlot and preact set styles through the CSSOM, which style-src does not govern.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const ASSETS: Record<string, string> = { 'app.js': 'text/javascript; charset=utf-8', 'app.css': 'text/css; charset=utf-8' };

/** Mount `/`, `/ui/…` and the dashboard's JSON endpoints (before the app's 404 handler). */
export function mountDashboardRoutes(app: express.Express, deps: DashboardRouteDeps): void {
  const dir = deps.dir ?? DEFAULT_DASHBOARD_DIR;
  const security = (res: Response): void => {
    res.set({ 'Content-Security-Policy': DASHBOARD_CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' });
  };
  const file = (name: string): Buffer => {
    const path = join(dir, name);
    if (!existsSync(path)) throw new ApiError(503, 'BAL_API_DASHBOARD_NOT_BUILT', `dashboard asset ${name} is missing in ${dir}: run pnpm build`);
    return readFileSync(path);
  };

  app.get('/', (_req, res) => { res.redirect(302, '/ui/'); });
  // Non-strict routing: this also answers `/ui` (assets are linked by absolute path).
  app.get('/ui/', deps.wrap(async (_req, res) => {
    const html = file('index.html');
    security(res);
    res.type('text/html; charset=utf-8').send(html);
  }));
  app.get('/ui/:asset', deps.wrap(async (req, res) => {
    const name = String(req.params.asset);
    const type = ASSETS[name];
    if (!type) throw new ApiError(404, 'BAL_API_NOT_FOUND', `no dashboard asset ${name.slice(0, 60)}`);
    const body = file(name);
    security(res);
    res.type(type).send(body);
  }));

  app.get('/api/dashboard/config', deps.wrap(async (req, res) => {
    await deps.principal(req);
    checkQueryKeys((req.query ?? {}) as Record<string, unknown>, []);
    res.json(deps.settings);
  }));

  app.get('/api/anchors', deps.wrap(async (req, res) => {
    await deps.principal(req);
    const q = (req.query ?? {}) as Record<string, unknown>;
    checkQueryKeys(q, ['limit', 'cursor']);
    const limit = parseLimit(q, 20, 200);
    const before = optId(q, 'cursor');
    const latest = await deps.store.latestAnchor();
    const head = deps.chainHead ? await deps.chainHead().catch(() => null) : null;
    const items = [];
    let i = Math.min(latest?.index ?? -1, before === undefined ? Infinity : before - 1);
    for (; i >= 0 && items.length < limit; i--) {
      const a = await deps.store.anchorByIndex(i);
      if (!a) continue;
      const confirmations = head !== null && a.blockNumber !== null ? Math.max(0, head - a.blockNumber + 1) : null;
      items.push({ ...anchorView(a), confirmations });
    }
    res.json({ items, head, next: i >= 0 && items.length > 0 ? String(items[items.length - 1]!.index) : null });
  }));

  app.get('/api/ingest/rejections', deps.wrap(async (req, res) => {
    const p = await deps.principal(req);
    if (p.pods !== null) throw forbidden('fleet-wide counters need the admin or dso role');
    checkQueryKeys((req.query ?? {}) as Record<string, unknown>, []);
    // From the store (the nodes' per-code counts), so a BAL restart does not reset it.
    const stored = await deps.store.rejectionsByCode();
    res.json({ byCode: { ...Object.fromEntries(ACK_REJECT_CODES.map((code) => [code, 0])), ...stored } });
  }));
}
