/**
 * The REST API (issue 5 §6) as an express 5 app: certification by transaction, readings,
 * receipts, node status, /healthz, /metrics, the OpenAPI document and data access
 * (access-routes.ts: logins, users, subscriptions, certification of topics), and the web dashboard
 * with its live event stream (dashboard-routes.ts, event-stream.ts). Handlers validate their
 * parameters (query.ts), authorise by role, and answer errors as `{ code, message }` — a bad
 * request is a 4xx, never a 500.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import type { BalStore } from '../store/types.js';
import type { MetricsRegistry } from '../metrics.js';
import { METRICS_CONTENT_TYPE } from '../metrics.js';
import { silentLogger, type Logger } from '../log.js';
import { ApiError, apiErrorCounter, badRequest, forbidden, notFound } from './api-error.js';
import { ApiAuth, canSeePod, type Principal } from './auth.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { checkQueryKeys, optId, optSearch, optStatus, optTime, parseId, parseLimit, parsePod, parseTransaction } from './query.js';
import { ReceiptBuilder, type DeploymentInfo } from './receipt.js';
import { anchorView, nodeView, readingView } from './views.js';
import type { ApiClient } from '../config.js';
import type { DataAccessService } from '../access/service.js';
import { accessErrorStatus, mountAccessRoutes } from './access-routes.js';
import type { EventBus } from '../events/event-bus.js';
import { mountEventStream } from './event-stream.js';
import { mountDashboardRoutes, type DashboardSettings } from './dashboard-routes.js';
import { mountCimRoutes } from './cim-routes.js';

export interface ApiDeps {
  store: BalStore;
  deployment: DeploymentInfo;
  clients: readonly ApiClient[];
  metrics: MetricsRegistry;
  log?: Logger;
  /** Dependency checks for /healthz: name → resolves 'ok' or a short failure reason. */
  health?: Record<string, () => Promise<string>>;
  /**
   * This instance and, with the `anchor` role, its anchor leadership: reported in /healthz as
   * `instance` (cloud/README "Roles and the anchor lease").
   */
  instance?: () => InstanceHealth;
  /** Serve only /healthz and /metrics (an instance without the `api` role). Default false. */
  healthOnly?: boolean;
  /** Serve /metrics without credentials (default true). */
  metricsPublic?: boolean;
  /** Largest page (`limit`), default 1000. */
  maxPageSize?: number;
  /**
   * Data access (docs/data-access.md): user sessions, subscriptions, certification. Absent:
   * those routes answer 503 BAL_ACCESS_DISABLED and only `clients` authenticate.
   */
  access?: DataAccessService;
  /**
   * The BAL's event bus: enables the live event stream (GET /api/events) and receives the
   * certified subscription decisions made through this API.
   */
  events?: EventBus;
  /** The live feed (events/store-feed.ts) publishes subscription decisions from the store: do not publish them again. */
  decisionsFromStore?: boolean;
  /** The web dashboard (`/ui/`); absent: not served. */
  dashboard?: {
    offlineAfterMs: number;
    explorerBaseUrl: string | null;
    /** Current block number, for anchor confirmations. */
    chainHead?: () => Promise<number>;
    /** Built page directory (default cloud/dist/dashboard). */
    dir?: string;
    /** Event-stream heartbeat and session re-check period, ms (default 15 s). */
    eventHeartbeatMs?: number;
  };
}

/** The `instance` part of /healthz. */
export interface InstanceHealth {
  id: string;
  roles: readonly string[];
  /** Present with the `anchor` role: this instance's standing in the anchor lease. */
  anchor?: { role: 'leader' | 'follower'; epoch: number | null };
  /** Present with `retention.enabled`: this instance's standing in the retention lease (one instance archives). */
  retention?: { role: 'leader' | 'follower'; epoch: number | null };
}

type Handler = (req: Request, res: Response) => Promise<void>;

/** Build the express app (no listening socket; see server.ts). */
export function createApiApp(deps: ApiDeps): express.Express {
  const log = deps.log ?? silentLogger;
  const auth = new ApiAuth(deps.clients);
  const receipts = new ReceiptBuilder(deps.deployment);
  const maxPage = deps.maxPageSize ?? 1000;
  const requests = deps.metrics.counter('bal_api_requests_total', 'REST API requests by route and status', ['route', 'status']);
  const latency = deps.metrics.histogram('bal_api_request_seconds', 'REST API latency by route', ['route']);
  const errors = apiErrorCounter(deps.metrics);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use((req, res, next) => {
    const stop = latency.startTimer({ route: 'unmatched' });
    res.on('finish', () => {
      const route = typeof req.route?.path === 'string' ? req.route.path : 'unmatched';
      const sec = stop();
      if (route !== 'unmatched') latency.observe(sec, { route });
      requests.inc({ route, status: res.statusCode });
    });
    next();
  });

  const wrap = (fn: Handler) => (req: Request, res: Response, next: NextFunction): void => { fn(req, res).catch(next); };
  const principal = (req: Request): Promise<Principal> => auth.authenticate(req.headers, deps.access);
  const query = (req: Request): Record<string, unknown> => (req.query ?? {}) as Record<string, unknown>;

  app.get('/api/openapi.json', (_req, res) => { res.json(OPENAPI_DOCUMENT); });

  app.get('/healthz', wrap(async (_req, res) => {
    const checks: Record<string, string> = {};
    const entries = Object.entries({ store: async () => { await deps.store.ping(); return 'ok'; }, ...deps.health });
    await Promise.all(entries.map(async ([name, check]) => {
      try { checks[name] = await check(); } catch (err) { checks[name] = (err as Error).message.slice(0, 200) || 'failed'; }
    }));
    const ok = Object.values(checks).every((v) => v === 'ok');
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'degraded', checks, ...(deps.instance ? { instance: deps.instance() } : {}) });
  }));

  app.get('/metrics', wrap(async (req, res) => {
    if (!(deps.metricsPublic ?? true) && !['dso', 'admin'].includes((await principal(req)).role)) throw forbidden('metrics need the dso role');
    res.type(METRICS_CONTENT_TYPE).send(deps.metrics.render());
  }));

  if (deps.healthOnly) {
    app.use((req, _res, next) => { next(new ApiError(404, 'BAL_API_NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 100)} (this instance has no api role)`)); });
    app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
      const e = err instanceof ApiError ? err : new ApiError(500, 'BAL_API_INTERNAL', 'internal error');
      res.status(e.status).json({ code: e.code, message: e.message });
    });
    return app;
  }

  app.get('/api/certification/getByTransaction', wrap(async (req, res) => {
    const p = await principal(req);
    const q = query(req);
    checkQueryKeys(q, ['transaction', 'limit', 'cursor']);
    const tx = parseTransaction(q.transaction);
    const limit = parseLimit(q, maxPage, maxPage);
    const from = optId(q, 'cursor') ?? 0;
    const anchor = await deps.store.anchorByTransaction(tx);
    if (!anchor) throw notFound(`anchor transaction ${tx}`);
    const rows = await deps.store.readingsOfAnchor(anchor.index, { fromLeaf: from, limit: limit + 1, ...(p.pods ? { pods: [...p.pods] } : {}) });
    const page = rows.slice(0, limit);
    const next = rows.length > limit ? String(rows[limit]!.leafIndex) : null;
    res.json({ transaction: anchor.transaction, anchor: anchorView(anchor), readings: page.map(readingView), next });
  }));

  app.get('/api/readings', wrap(async (req, res) => {
    const p = await principal(req);
    const q = query(req);
    checkQueryKeys(q, ['pod', 'from', 'to', 'status', 'limit', 'cursor']);
    const pod = q.pod === undefined ? undefined : parsePod(q.pod);
    const fromMs = optTime(q, 'from');
    const toMs = optTime(q, 'to');
    if (fromMs !== undefined && toMs !== undefined && toMs < fromMs) throw badRequest('to', `a time >= from (${fromMs})`, q.to);
    const status = optStatus(q);
    const limit = parseLimit(q, 100, maxPage);
    const afterId = optId(q, 'cursor');
    if (pod !== undefined && !canSeePod(p, pod)) throw forbidden(`no access to PoD ${pod}`);
    const page = await deps.store.listReadings({
      limit, ...(pod !== undefined ? { pod } : {}), ...(p.pods ? { pods: [...p.pods] } : {}),
      ...(fromMs !== undefined ? { fromMs } : {}), ...(toMs !== undefined ? { toMs } : {}),
      ...(status ? { status } : {}), ...(afterId !== undefined ? { afterId } : {}),
    });
    res.json({ items: page.items.map(readingView), next: page.nextAfterId === null ? null : String(page.nextAfterId) });
  }));

  mountCimRoutes(app, { store: deps.store, principal, wrap, maxPage }); // before /api/readings/:id

  const visibleReading = async (req: Request) => {
    const p = await principal(req);
    checkQueryKeys(query(req), []);
    const id = parseId(req.params.id, 'id');
    const r = await deps.store.readingById(id);
    if (!r) {
      // Removed by retention: say so, with the day archive that holds it (any role: ids are sequential, this names no PoD).
      const day = await deps.store.archivedDayOfReading(id);
      if (day) {
        const name = new Date(day.dayMs).toISOString().slice(0, 10);
        throw new ApiError(410, 'BAL_READING_ARCHIVED', `reading ${id} was archived with the readings received on ${name} (UTC); its receipt is in that day's archive; \`bal restore --days ${name}\` puts it back`);
      }
    }
    // A consumer learns nothing about other PoDs' ids: same 404 as an unknown id.
    if (!r || !canSeePod(p, r.pod)) throw notFound(`reading ${id}`);
    return r;
  };

  app.get('/api/readings/:id', wrap(async (req, res) => { res.json(readingView(await visibleReading(req))); }));

  app.get('/api/readings/:id/receipt', wrap(async (req, res) => {
    const r = await visibleReading(req);
    const anchor = r.anchorIndex === null ? null : await deps.store.anchorByIndex(r.anchorIndex);
    const receipt = await receipts.build(r, anchor, (i) => deps.store.anchorLeaves(i), (h) => deps.store.cimMessage(h));
    if (!receipt) throw new ApiError(409, 'BAL_READING_NOT_ANCHORED', `reading ${r.id} is ${r.status}${anchor ? ' (anchor block not known yet)' : ''}; retry after anchoring`);
    res.json(receipt);
  }));

  app.get('/api/nodes', wrap(async (req, res) => {
    const p = await principal(req);
    const q = query(req);
    checkQueryKeys(q, ['limit', 'cursor', 'search']);
    const limit = parseLimit(q, 100, maxPage);
    const afterPod = q.cursor === undefined ? undefined : parsePod(q.cursor, 'cursor');
    const search = optSearch(q);
    const items = await deps.store.listNodes({
      limit: Math.min(limit + 1, 1000), ...(afterPod ? { afterPod } : {}), ...(p.pods ? { pods: [...p.pods] } : {}), ...(search ? { search } : {}),
    });
    const page = items.slice(0, limit);
    res.json({ items: page.map(nodeView), next: items.length > limit ? page[page.length - 1]!.pod : null });
  }));

  app.get('/api/nodes/:pod', wrap(async (req, res) => {
    const p = await principal(req);
    checkQueryKeys(query(req), []);
    const pod = parsePod(req.params.pod);
    const n = canSeePod(p, pod) ? await deps.store.nodeByPod(pod) : null;
    if (!n) throw notFound(`node ${pod}`);
    res.json(nodeView(n));
  }));

  const events = deps.events;
  mountAccessRoutes(app, {
    access: deps.access, principal, wrap,
    // Decisions reach the bus here, unless the instance's live feed reads them from the store (several instances).
    ...(events && !deps.decisionsFromStore ? { onDecision: (v) => events.publish({ type: 'subscription', id: v.id, topic: v.topic, pod: v.pod, consumer: v.consumer, producer: v.producer, status: v.status }) } : {}),
  });
  if (events) {
    mountEventStream(app, {
      bus: events, store: deps.store, metrics: deps.metrics, principal, wrap,
      // Tickets live in the store, naming the principal by reference: any API instance opens the stream.
      refOf: (p) => auth.refOf(p),
      // A session principal is re-resolved (expiry, logout, disable, new PoDs); config clients do not end.
      fromRef: (ref) => auth.fromRef(ref, deps.access).catch(() => null),
      ...(deps.dashboard?.eventHeartbeatMs !== undefined ? { heartbeatMs: deps.dashboard.eventHeartbeatMs } : {}),
    });
  }
  if (deps.dashboard) {
    const d = deps.dashboard;
    const settings: DashboardSettings = {
      offlineAfterMs: d.offlineAfterMs, explorerBaseUrl: d.explorerBaseUrl, chainId: deps.deployment.chainId,
      contracts: { podRegistry: deps.deployment.podRegistry, readingAnchor: deps.deployment.readingAnchor },
    };
    mountDashboardRoutes(app, { store: deps.store, settings, principal, wrap, ...(d.chainHead ? { chainHead: d.chainHead } : {}), ...(d.dir ? { dir: d.dir } : {}) });
  }

  app.use((req, _res, next) => { next(new ApiError(404, 'BAL_API_NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 100)}`)); });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    let status = 500;
    let body: { code: ErrorCode; message: string } = { code: 'BAL_API_INTERNAL', message: 'internal error' };
    const refused = accessErrorStatus(err);
    if (err instanceof ApiError) { status = err.status; body = { code: err.code, message: err.message }; }
    else if (refused) {
      status = refused.status;
      body = { code: refused.code, message: (err as Error).message };
      if (refused.retryAfterSec !== undefined) res.set('Retry-After', String(refused.retryAfterSec));
    }
    else if (err instanceof LightNodeError && err.code === 'BAL_STORE_INVALID') { status = 400; body = { code: 'BAL_API_QUERY_INVALID', message: err.message }; }
    else if (typeof err === 'object' && err !== null && typeof (err as { status?: unknown }).status === 'number'
      && (err as { status: number }).status >= 400 && (err as { status: number }).status < 500) {
      // express/body-parser/path decoding errors (e.g. a malformed %-escape in the path)
      status = (err as { status: number }).status;
      body = { code: 'BAL_API_BAD_REQUEST', message: ((err as Error).message || 'bad request').slice(0, 200) };
    }
    errors.inc({ code: body.code });
    if (status >= 500) log.error('api request failed', { method: req.method, path: req.path.slice(0, 200), err });
    if (status === 401 && body.code !== 'BAL_ACCESS_LOGIN_FAILED') res.set('WWW-Authenticate', 'Bearer');
    res.status(status).json(body);
  });

  return app;
}
