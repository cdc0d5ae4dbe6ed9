/**
 * Live updates for the dashboard (issue 12) as server-sent events. Tickets live in the store
 * (`event_tickets`, naming the principal by a config client's name or a session's token hash), so
 * a ticket from one API instance opens the stream on another. EventSource cannot send an
 * Authorization header, and a bearer token in a URL ends up in logs and history, so the page
 * first asks `POST /api/events/ticket` (authenticated as any API call) for a ticket: random,
 * single use, valid `ticketTtlMs`, worth nothing but opening one stream. `GET /api/events?ticket=`
 * then streams, for the caller's role and visible PoDs only:
 *
 * - `node`: a Light Node's row (GET /api/nodes shape) after its status or counters changed;
 * - `readings`: readings just stored (`{ pod, readings }`);
 * - `anchor`: an anchor just confirmed;
 * - `subscription`: a decision on a subscription the caller is party to (admin: all);
 * - `expired`: the login session ended (expired, logged out, user disabled): the stream closes.
 *
 * The session is re-checked at every heartbeat (`heartbeatMs`) and on every subscription event
 * (which may change the PoDs a consumer sees).
 */
import { randomBytes, createHash } from 'node:crypto';
import type express from 'express';
import type { Request, Response } from 'express';
import type { BalStore } from '../store/types.js';
import type { EventBus, BalEvent } from '../events/event-bus.js';
import type { MetricsRegistry } from '../metrics.js';
import { ApiError } from './api-error.js';
import { canSeePod, type Principal, type PrincipalRef } from './auth.js';
import { checkQueryKeys } from './query.js';
import { nodeView } from './views.js';

export interface EventStreamDeps {
  bus: EventBus;
  store: Pick<BalStore, 'nodeByPod' | 'createEventTicket' | 'takeEventTicket' | 'countEventTickets'>;
  metrics: MetricsRegistry;
  /** The caller of a request (401 when none). */
  principal(req: Request): Promise<Principal>;
  /** How a ticket in the store names the principal (a client name or a session's token hash). */
  refOf(p: Principal): PrincipalRef;
  /** The principal a reference names now, or null once its session is over (config clients never end). */
  fromRef(ref: PrincipalRef): Promise<Principal | null>;
  wrap(fn: (req: Request, res: Response) => Promise<void>): express.RequestHandler;
  /** Validity of a ticket, ms; default 30 s. */
  ticketTtlMs?: number;
  /** Comment line + session check period, ms; default 15 s. */
  heartbeatMs?: number;
  /** Streams open at once; default 200. */
  maxStreams?: number;
}

const TICKET_RE = /^[A-Za-z0-9_-]{43}$/;
const MAX_TICKETS = 10_000;
/** A client that does not read is dropped past this much unsent data. */
const MAX_BUFFERED_BYTES = 1 << 20;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** Mount `POST /api/events/ticket` and `GET /api/events` (before the app's 404 handler). */
export function mountEventStream(app: express.Express, deps: EventStreamDeps): { close(): void } {
  const ttlMs = deps.ticketTtlMs ?? 30_000;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxStreams = deps.maxStreams ?? 200;
  const open = new Set<() => void>();
  deps.metrics.gauge('bal_api_event_streams', 'Live dashboard event streams open', [], () => open.size);
  const sent = deps.metrics.counter('bal_api_events_sent_total', 'Server-sent events written, by type', ['type']);

  app.post('/api/events/ticket', deps.wrap(async (req, res) => {
    const principal = await deps.principal(req);
    const now = Date.now();
    if (await deps.store.countEventTickets(now) >= MAX_TICKETS) throw new ApiError(503, 'BAL_API_EVENT_STREAMS_FULL', 'too many unused event tickets');
    const ticket = randomBytes(32).toString('base64url');
    await deps.store.createEventTicket({ ticketHash: sha256(ticket), principal: JSON.stringify(deps.refOf(principal)), expiresAtMs: now + ttlMs });
    res.status(201).set('Cache-Control', 'no-store').json({ ticket, expiresAt: now + ttlMs });
  }));

  app.get('/api/events', deps.wrap(async (req, res) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    checkQueryKeys(q, ['ticket']);
    const key = typeof q.ticket === 'string' && TICKET_RE.test(q.ticket) ? sha256(q.ticket) : null;
    const stored = key ? await deps.store.takeEventTicket(key, Date.now()) : null; // single use, even when expired
    if (stored === null) throw new ApiError(401, 'BAL_API_EVENT_TICKET_INVALID', 'unknown, used or expired event ticket');
    if (open.size >= maxStreams) throw new ApiError(503, 'BAL_API_EVENT_STREAMS_FULL', `${maxStreams} event streams are open`);
    const ref = JSON.parse(stored) as PrincipalRef;
    let principal: Principal | null = await deps.fromRef(ref);
    if (!principal) throw new ApiError(401, 'BAL_API_EVENT_TICKET_INVALID', 'the session of this ticket has ended');

    res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no', Connection: 'keep-alive' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    let closed = false;
    const write = (type: string, data: unknown): void => {
      if (closed) return;
      if (res.writableLength > MAX_BUFFERED_BYTES) { close(); return; }
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      sent.inc({ type });
    };
    const expire = (): void => { write('expired', { reason: 'session ended' }); close(); };
    const recheck = async (): Promise<void> => {
      const p = principal && await deps.fromRef(ref).catch(() => null);
      if (closed) return;
      if (!p) expire(); else principal = p;
    };
    const involved = (p: Principal, e: Extract<BalEvent, { type: 'subscription' }>): boolean =>
      p.pods === null || p.name === e.consumer || p.name === e.producer;
    const onEvent = (e: BalEvent): void => {
      const p = principal;
      if (closed || !p) return;
      switch (e.type) {
        case 'node':
          if (!canSeePod(p, e.pod)) return;
          void deps.store.nodeByPod(e.pod).then((n) => { if (n) write('node', nodeView(n)); }, () => undefined);
          return;
        case 'readings':
          if (canSeePod(p, e.pod)) write('readings', { pod: e.pod, readings: e.readings });
          return;
        case 'anchor':
          write('anchor', e);
          return;
        case 'subscription':
          if (!involved(p, e)) return;
          // A decision may change the PoDs a consumer sees: re-resolve before saying so.
          void recheck().then(() => write('subscription', e));
          return;
      }
    };
    const unsubscribe = deps.bus.subscribe(onEvent);
    const timer = setInterval(() => {
      if (!closed) res.write(': ping\n\n');
      void recheck();
    }, heartbeatMs);
    function close(): void {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(timer);
      open.delete(close);
      res.end();
    }
    open.add(close);
    req.on('close', close);
    res.write('retry: 2000\n\n');
    write('hello', { user: principal.name, role: principal.role, pods: principal.pods === null ? null : [...principal.pods] });
  }));

  return { close() { for (const c of [...open]) c(); } };
}
