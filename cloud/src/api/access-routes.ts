/**
 * REST routes of data access (docs/data-access.md): login sessions, users (admin), the producer
 * list, subscriptions and their decisions, and the seed's two certification endpoints
 * (D2.13 §2.1.3). Without a DataAccessService every route answers 503 BAL_ACCESS_DISABLED.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { LightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { SUBSCRIPTION_STATUSES, USER_ROLES, type SubscriptionAction, type SubscriptionStatus, type UserRole } from '../access/types.js';
import type { AccessUser, DataAccessService, SignedDecision, SubscriptionView } from '../access/service.js';
import { ApiError, badRequest } from './api-error.js';
import type { Principal } from './auth.js';
import { checkQueryKeys, parseId } from './query.js';

/** HTTP status of each data-access refusal (everything a caller can cause is a 4xx). */
export const ACCESS_STATUS: Partial<Record<ErrorCode, number>> = {
  BAL_ACCESS_USER_INVALID: 400, BAL_ACCESS_SIGNATURE_INVALID: 400,
  BAL_ACCESS_LOGIN_FAILED: 401,
  BAL_ACCESS_FORBIDDEN: 403, BAL_ACCESS_NOT_TOPIC_OWNER: 403, BAL_ACCESS_SELF_DECISION: 403,
  BAL_ACCESS_SUBSCRIPTION_UNKNOWN: 404, BAL_ACCESS_TOPIC_UNKNOWN: 404, BAL_ACCESS_USER_UNKNOWN: 404,
  BAL_ACCESS_DUPLICATE_REQUEST: 409, BAL_ACCESS_TRANSITION_INVALID: 409, BAL_ACCESS_USER_EXISTS: 409,
  BAL_ACCESS_TOPIC_EXISTS: 409, BAL_ACCESS_CHAIN_REFUSED: 409, BAL_STORE_CONFLICT: 409,
  BAL_ACCESS_LOGIN_RATE_LIMITED: 429,
  BAL_ACCESS_WALLET_KEY: 500,
  BAL_ACCESS_CHAIN_UNAVAILABLE: 503, BAL_ACCESS_DISABLED: 503,
};

type Handler = (req: Request, res: Response) => Promise<void>;
type Body = Record<string, unknown>;

export interface AccessRouteDeps {
  access: DataAccessService | undefined;
  principal(req: Request): Promise<Principal>;
  wrap(fn: Handler): (req: Request, res: Response, next: NextFunction) => void;
  /** Told of every decision certified through these routes (the dashboard's live updates). */
  onDecision?: (v: SubscriptionView) => void;
}

const DECISIONS = ['accept', 'refuse', 'revoke', 'cancel'] as const;
const bodyInvalid = (field: string, expected: string): ApiError => new ApiError(400, 'BAL_API_BODY_INVALID', `${field}: expected ${expected}`, { field });
const forbidden = (why: string): ApiError => new ApiError(403, 'BAL_ACCESS_FORBIDDEN', why);

/** The body as an object with only `allowed` keys. */
function body(req: Request, allowed: readonly string[]): Body {
  const b: unknown = req.body ?? {};
  if (typeof b !== 'object' || b === null || Array.isArray(b)) throw bodyInvalid('body', 'a JSON object');
  for (const k of Object.keys(b)) if (!allowed.includes(k)) throw bodyInvalid(k.slice(0, 40), `one of ${allowed.join(', ') || '(no fields)'}`);
  return b as Body;
}

/** `signature` + `deadline` of a bring-your-own wallet, both or neither. */
function signedOf(b: Body): SignedDecision | undefined {
  if (b.signature === undefined && b.deadline === undefined) return undefined;
  if (typeof b.signature !== 'string' || b.signature.length > 200) throw bodyInvalid('signature', 'a 0x-prefixed 65-byte hex signature (with deadline)');
  if (typeof b.deadline !== 'number' || !Number.isSafeInteger(b.deadline) || b.deadline < 0) throw bodyInvalid('deadline', 'the deadline (seconds since epoch) of the signed typed data');
  return { signature: b.signature as `0x${string}`, deadline: b.deadline };
}

/** A user as the API shows it: no store id. */
function apiUser(u: AccessUser): Omit<AccessUser, 'id'> {
  const { id: _id, ...rest } = u;
  return rest;
}

function optEnum<T extends string>(q: Record<string, unknown>, name: string, values: readonly T[]): T | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (!values.includes(v as T)) throw badRequest(name, values.join(' | '), v);
  return v as T;
}

/** Mount the data-access routes on `app` (before its 404 handler). */
export function mountAccessRoutes(app: express.Express, deps: AccessRouteDeps): void {
  const { wrap } = deps;
  const json = express.json({ limit: '16kb', strict: true, type: ['application/json', 'application/*+json'] });
  const service = (): DataAccessService => {
    if (!deps.access) throw new ApiError(503, 'BAL_ACCESS_DISABLED', 'data access is not configured on this BAL');
    return deps.access;
  };
  const query = (req: Request): Record<string, unknown> => (req.query ?? {}) as Record<string, unknown>;
  const decided = (v: SubscriptionView): SubscriptionView => { deps.onDecision?.(v); return v; };
  /** The data user of a login session (API keys have no user). */
  const userOf = async (req: Request, ...roles: UserRole[]): Promise<AccessUser> => {
    service();
    const p = await deps.principal(req);
    if (!p.user) throw forbidden('this needs a user login session (POST /api/login), not an API key');
    if (roles.length > 0 && !roles.includes(p.user.role)) throw forbidden(`this needs the role ${roles.join(' or ')}`);
    return p.user;
  };
  /** A reader of subscriptions: a user, or a `dso` API key (reads as admin). */
  const readerOf = async (req: Request): Promise<AccessUser> => {
    service();
    const p = await deps.principal(req);
    if (p.user) return p.user;
    if (p.role === 'dso') return { id: 0, username: p.name, role: 'admin', wallet: `0x${'00'.repeat(20)}`, custody: 'external', enabled: true, createdAtMs: 0, updatedAtMs: 0, pods: [] };
    throw forbidden('this needs a user login session or a dso API key');
  };

  app.post('/api/login', json, wrap(async (req, res) => {
    const b = body(req, ['username', 'password']);
    const r = await service().login(b.username, b.password, req.socket.remoteAddress ?? 'unknown');
    res.json({ token: r.token, expiresAt: r.expiresAtMs, user: apiUser(r.user) });
  }));

  app.post('/api/logout', json, wrap(async (req, res) => {
    service();
    const p = await deps.principal(req);
    if (!p.token) throw forbidden('only a login session can log out');
    await service().logout(p.token);
    res.status(204).end();
  }));

  app.get('/api/me', wrap(async (req, res) => {
    checkQueryKeys(query(req), []);
    res.json(apiUser(await userOf(req)));
  }));

  app.put('/api/me/password', json, wrap(async (req, res) => {
    const me = await userOf(req);
    const b = body(req, ['currentPassword', 'newPassword']);
    if (typeof b.currentPassword !== 'string' || !(await service().verifyPassword(me.username, b.currentPassword))) {
      throw new ApiError(403, 'BAL_ACCESS_FORBIDDEN', 'currentPassword is wrong');
    }
    await service().setPassword(me.username, b.newPassword);
    res.status(204).end();
  }));

  app.get('/api/users', wrap(async (req, res) => {
    await userOf(req, 'admin');
    const q = query(req);
    checkQueryKeys(q, ['role']);
    const role = optEnum(q, 'role', USER_ROLES);
    res.json({ items: (await service().listUsers(role ? { role } : {})).map(apiUser) });
  }));

  app.post('/api/users', json, wrap(async (req, res) => {
    await userOf(req, 'admin');
    const b = body(req, ['username', 'role', 'password', 'wallet', 'pods']);
    res.status(201).json(apiUser(await service().createUser(b as Parameters<DataAccessService['createUser']>[0])));
  }));

  app.patch('/api/users/:username', json, wrap(async (req, res) => {
    await userOf(req, 'admin');
    const b = body(req, ['enabled', 'password']);
    if (b.enabled !== undefined && typeof b.enabled !== 'boolean') throw bodyInvalid('enabled', 'true or false');
    if (b.enabled === undefined && b.password === undefined) throw bodyInvalid('body', 'enabled and/or password');
    const name = String(req.params.username);
    let user = await service().user(name);
    if (b.password !== undefined) await service().setPassword(name, b.password);
    if (b.enabled !== undefined) user = await service().setEnabled(name, b.enabled as boolean);
    res.json(apiUser(user));
  }));

  app.post('/api/users/:username/streams', json, wrap(async (req, res) => {
    await userOf(req, 'admin');
    const b = body(req, ['pod']);
    const s = await service().addStream(String(req.params.username), b.pod);
    res.status(201).json({ producer: String(req.params.username), topic: s.topic, pod: s.pod });
  }));

  app.get('/api/producers', wrap(async (req, res) => {
    checkQueryKeys(query(req), []);
    res.json({ items: await service().listProducers(await readerOf(req)) });
  }));

  app.get('/api/subscriptions', wrap(async (req, res) => {
    const actor = await readerOf(req);
    const q = query(req);
    checkQueryKeys(q, ['status', 'topic']);
    const status = optEnum<SubscriptionStatus>(q, 'status', SUBSCRIPTION_STATUSES);
    if (q.topic !== undefined && (typeof q.topic !== 'string' || q.topic.length > 200)) throw badRequest('topic', 'a topic', q.topic);
    res.json({ items: await service().listSubscriptions(actor, { ...(status ? { status } : {}), ...(q.topic !== undefined ? { topic: q.topic as string } : {}) }) });
  }));

  app.post('/api/subscriptions', json, wrap(async (req, res) => {
    const me = await userOf(req);
    const b = body(req, ['topic', 'signature', 'deadline']);
    res.status(201).json(decided(await service().request(me, b.topic, signedOf(b))));
  }));

  // Before /:id: typed data of a request (no subscription yet, or a new request on an old one).
  app.get('/api/subscriptions/typed-data', wrap(async (req, res) => {
    const me = await userOf(req);
    const q = query(req);
    checkQueryKeys(q, ['topic', 'action']);
    if (q.action !== undefined && q.action !== 'request') throw badRequest('action', 'request (other actions: /api/subscriptions/{id}/typed-data)', q.action);
    res.json(await service().typedData(me, { topic: q.topic }, 'request'));
  }));

  app.get('/api/subscriptions/:id', wrap(async (req, res) => {
    const actor = await readerOf(req);
    checkQueryKeys(query(req), []);
    res.json(await service().subscription(actor, parseId(req.params.id, 'id')));
  }));

  app.get('/api/subscriptions/:id/history', wrap(async (req, res) => {
    const actor = await readerOf(req);
    checkQueryKeys(query(req), []);
    res.json({ items: await service().history(actor, parseId(req.params.id, 'id')) });
  }));

  app.get('/api/subscriptions/:id/typed-data', wrap(async (req, res) => {
    const me = await userOf(req);
    const q = query(req);
    checkQueryKeys(q, ['action']);
    const id = parseId(req.params.id, 'id');
    const action = optEnum<SubscriptionAction>(q, 'action', ['request', ...DECISIONS]);
    if (!action) throw badRequest('action', `request | ${DECISIONS.join(' | ')}`, undefined);
    res.json(await service().typedData(me, { subscriptionId: id }, action));
  }));

  for (const action of DECISIONS) {
    app.post(`/api/subscriptions/:id/${action}`, json, wrap(async (req, res) => {
      const me = await userOf(req);
      const id = parseId(req.params.id, 'id');
      const b = body(req, ['signature', 'deadline']);
      res.json(decided(await service().decide(me, id, action, signedOf(b))));
    }));
  }

  // The seed's POST (D2.13 §2.1.3): field names as in the seed, capitalised or not.
  app.post('/api/certification', json, wrap(async (req, res) => {
    service();
    const p = await deps.principal(req);
    const b = body(req, ['providerId', 'consumerId', 'topic', 'ProviderId', 'ConsumerId', 'Topic']);
    const pick = (lower: string, upper: string): unknown => {
      if (b[lower] !== undefined && b[upper] !== undefined) throw bodyInvalid(lower, `${lower} or ${upper}, not both`);
      return b[lower] ?? b[upper];
    };
    const provider = pick('providerId', 'ProviderId');
    const consumer = pick('consumerId', 'ConsumerId');
    const topic = pick('topic', 'Topic');
    if (p.user && p.user.role !== 'admin') {
      const own = (v: unknown): boolean => typeof v === 'string' && v.toLowerCase() === p.user!.wallet;
      if (!own(p.user.role === 'producer' ? provider : consumer)) throw forbidden(`a ${p.user.role} may ask only about its own subscriptions`);
    } else if (!p.user && p.role !== 'dso') throw forbidden('this needs a user login session or a dso API key');
    res.json(await service().certification(provider, consumer, topic));
  }));

  // The seed's GET: the topic contains '/', so it comes %-encoded as one segment or as the raw path.
  app.get('/api/certification/*topic', wrap(async (req, res) => {
    service();
    await deps.principal(req);
    checkQueryKeys(query(req), []);
    const parts = (req.params as { topic?: string[] }).topic ?? [];
    const topic = parts.join('/');
    res.json({ topic, subscriptions: await service().certifiedOfTopic(topic) });
  }));
}

/** Map a data-access refusal to its HTTP answer (null: not one). */
export function accessErrorStatus(err: unknown): { status: number; code: ErrorCode; retryAfterSec?: number } | null {
  if (!(err instanceof LightNodeError)) return null;
  const status = ACCESS_STATUS[err.code];
  if (status === undefined) return null;
  const retry = err.details.retryAfterSec;
  return { status, code: err.code, ...(typeof retry === 'number' ? { retryAfterSec: retry } : {}) };
}
