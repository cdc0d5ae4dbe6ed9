/**
 * The data-access part of the store (docs/data-access.md, AccessStore in access/types.ts),
 * shared by the SQLite and PostgreSQL stores: the tables, the argument checks, the list query
 * builder and row mapping. Pure: builds strings, checks values, runs nothing.
 */
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { isAddress, isHex, type Hex } from '@lightnode/shared/hex';
import { BAL_STORE_INVALID, checkId, conflict } from './common.js';
import type { SqlArgs, SqlTypes } from './sql.js';
import {
  SUBSCRIPTION_ACTIONS, SUBSCRIPTION_STATUSES, USER_ROLES,
  type NewUser, type SessionRecord, type StreamRecord, type SubscriptionEvent, type SubscriptionRecord,
  type SubscriptionStatus, type UserRecord, type UserRole,
} from '../access/types.js';

const inList = (values: readonly string[]): string => values.map((v) => `'${v}'`).join(', ');

/**
 * The access tables (idempotent, like `storeSchema`). Booleans are INTEGER 0/1 so the SQL is
 * the same in both dialects. Usernames are unique case-insensitively (lower(username)): "Alice"
 * and "alice" would be one MQTT identity to a human reader.
 */
export function accessSchema({ serial, big }: SqlTypes): string {
  const status = inList(SUBSCRIPTION_STATUSES);
  return `
CREATE TABLE IF NOT EXISTS users (
  id ${serial},
  username TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN (${inList(USER_ROLES)})),
  password_hash TEXT NOT NULL,
  wallet TEXT NOT NULL UNIQUE,
  custody TEXT NOT NULL CHECK (custody IN ('custodial', 'external')),
  encrypted_key TEXT,
  enabled INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
  created_ms ${big} NOT NULL, updated_ms ${big} NOT NULL,
  CHECK ((custody = 'custodial' AND encrypted_key IS NOT NULL) OR (custody = 'external' AND encrypted_key IS NULL))
);
CREATE UNIQUE INDEX IF NOT EXISTS users_username_ci ON users (lower(username));
CREATE TABLE IF NOT EXISTS streams (
  topic TEXT PRIMARY KEY, pod TEXT NOT NULL, producer_id ${big} NOT NULL REFERENCES users (id), created_ms ${big} NOT NULL
);
CREATE INDEX IF NOT EXISTS streams_producer ON streams (producer_id);
CREATE TABLE IF NOT EXISTS subscriptions (
  id ${serial},
  consumer_id ${big} NOT NULL REFERENCES users (id), topic TEXT NOT NULL REFERENCES streams (topic),
  status TEXT NOT NULL CHECK (status IN (${status})),
  created_ms ${big} NOT NULL, updated_ms ${big} NOT NULL, tx TEXT, block ${big},
  UNIQUE (consumer_id, topic)
);
CREATE INDEX IF NOT EXISTS subscriptions_topic ON subscriptions (topic);
CREATE TABLE IF NOT EXISTS subscription_events (
  id ${serial},
  subscription_id ${big} NOT NULL REFERENCES subscriptions (id),
  action TEXT NOT NULL CHECK (action IN (${inList(SUBSCRIPTION_ACTIONS)})),
  from_status TEXT CHECK (from_status IS NULL OR from_status IN (${status})),
  to_status TEXT NOT NULL CHECK (to_status IN (${status})),
  actor_id ${big} NOT NULL REFERENCES users (id), at_ms ${big} NOT NULL, tx TEXT NOT NULL, block ${big} NOT NULL
);
CREATE INDEX IF NOT EXISTS subscription_events_sub ON subscription_events (subscription_id, id);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, user_id ${big} NOT NULL REFERENCES users (id), expires_ms ${big} NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_ms);
CREATE TABLE IF NOT EXISTS event_tickets (ticket_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, expires_ms ${big} NOT NULL);
CREATE INDEX IF NOT EXISTS event_tickets_expiry ON event_tickets (expires_ms);
CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at_ms ${big} NOT NULL);
CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures (key, at_ms);
CREATE INDEX IF NOT EXISTS login_failures_at ON login_failures (at_ms);
`;
}

/** Refuses UPDATE and DELETE on the history (append-only), per dialect. */
export const SQLITE_HISTORY_GUARD = `
CREATE TRIGGER IF NOT EXISTS subscription_events_no_update BEFORE UPDATE ON subscription_events
  BEGIN SELECT RAISE(ABORT, 'subscription_events is append-only'); END;
CREATE TRIGGER IF NOT EXISTS subscription_events_no_delete BEFORE DELETE ON subscription_events
  BEGIN SELECT RAISE(ABORT, 'subscription_events is append-only'); END;
`;
export const POSTGRES_HISTORY_GUARD = `
CREATE OR REPLACE FUNCTION subscription_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN RAISE EXCEPTION 'subscription_events is append-only'; END $$;
CREATE OR REPLACE TRIGGER subscription_events_append_only BEFORE UPDATE OR DELETE ON subscription_events
  FOR EACH ROW EXECUTE FUNCTION subscription_events_append_only();
`;

/** At most one purge of every key's forgotten login failures per this many ms. */
export const LOGIN_FAILURE_PURGE_INTERVAL_MS = 60_000;

/** At most one opportunistic purge of expired sessions per this many ms. */
export const SESSION_PURGE_INTERVAL_MS = 60_000;

// ---- argument checks (BAL_STORE_INVALID naming the field) -----------------------------------

const invalid = (field: string, expected: string, found: unknown): ValidationError => new ValidationError(BAL_STORE_INVALID, field, expected, found);

function checkText(v: unknown, field: string, max = 1024): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw invalid(field, `non-empty string of at most ${max} characters`, v);
  return v;
}

function checkOneOf<T extends string>(v: unknown, values: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) throw invalid(field, `one of ${values.join(', ')}`, v);
  return v as T;
}

/** A time in ms since epoch (non-negative safe integer). */
export function checkMs(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw invalid(field, 'ms since epoch (safe integer >= 0)', v);
  return v;
}

/** A wallet address, lower-cased (the stored form). */
export function checkWallet(v: unknown, field = 'wallet'): Hex {
  if (!isAddress(v)) throw invalid(field, 'a 20-byte 0x address', v);
  return v.toLowerCase() as Hex;
}

/** A username as a lookup key. */
export const checkUsername = (v: unknown, field = 'username'): string => checkText(v, field, 256);
/** A session's token hash as a lookup key. */
export const checkTokenHash = (v: unknown): string => checkText(v, 'tokenHash', 256);
/** An event ticket's hash and principal reference. */
export function checkTicket(t: { ticketHash: string; principal: string; expiresAtMs: number }): { ticketHash: string; principal: string; expiresAtMs: number } {
  return { ticketHash: checkText(t.ticketHash, 'ticketHash', 256), principal: checkText(t.principal, 'principal', 1024), expiresAtMs: checkMs(t.expiresAtMs, 'expiresAtMs') };
}
export const checkTicketHash = (v: unknown): string => checkText(v, 'ticketHash', 256);
/** A login-failure window's key (`user:…`, `addr:…`). */
export const checkFailureKey = (v: unknown): string => checkText(v, 'key', 600);
/** How many failure times to read back (1..10,000). */
export function checkLimit(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1 || v > 10_000) throw invalid('limit', 'integer 1..10000', v);
  return v;
}
/** A topic as a lookup key. */
export const checkTopic = (v: unknown, field = 'topic'): string => checkText(v, field, 512);

export function checkNewUser(u: NewUser): NewUser {
  const custody = checkOneOf(u.custody, ['custodial', 'external'] as const, 'custody');
  if (custody === 'custodial') checkText(u.encryptedKey, 'encryptedKey', 4096);
  else if (u.encryptedKey !== null) throw invalid('encryptedKey', 'null for an external wallet', u.encryptedKey);
  return {
    username: checkUsername(u.username),
    role: checkOneOf(u.role, USER_ROLES, 'role'),
    passwordHash: checkText(u.passwordHash, 'passwordHash'),
    wallet: checkWallet(u.wallet),
    custody,
    encryptedKey: u.encryptedKey,
  };
}

export const checkRole = (v: unknown): UserRole => checkOneOf(v, USER_ROLES, 'role');
export const checkStatus = (v: unknown, field = 'status'): SubscriptionStatus => checkOneOf(v, SUBSCRIPTION_STATUSES, field);
export const checkPasswordHash = (v: unknown): string => checkText(v, 'passwordHash');

export function checkEnabled(v: unknown): boolean {
  if (typeof v !== 'boolean') throw invalid('enabled', 'boolean', v);
  return v;
}

export type TransitionInput = { consumerId: number; topic: string; event: Omit<SubscriptionEvent, 'subscriptionId'> };

export function checkTransition(t: TransitionInput): TransitionInput {
  const e = t.event;
  if (!isHex(e.transaction, 32)) throw invalid('event.transaction', '0x hex of 32 bytes', e.transaction);
  return {
    consumerId: checkId(t.consumerId, 'consumerId'),
    topic: checkTopic(t.topic),
    event: {
      action: checkOneOf(e.action, SUBSCRIPTION_ACTIONS, 'event.action'),
      from: e.from === null ? null : checkStatus(e.from, 'event.from'),
      to: checkStatus(e.to, 'event.to'),
      actorId: checkId(e.actorId, 'event.actorId'),
      atMs: checkMs(e.atMs, 'event.atMs'),
      transaction: e.transaction.toLowerCase() as Hex,
      block: checkId(e.block, 'event.block'),
    },
  };
}

export function checkSession(s: SessionRecord): SessionRecord {
  return { tokenHash: checkTokenHash(s.tokenHash), userId: checkId(s.userId, 'userId'), expiresAtMs: checkMs(s.expiresAtMs, 'expiresAtMs') };
}

// ---- coded refusals -------------------------------------------------------------------------

export const userExists = (field: 'username' | 'wallet', value: string): LightNodeError =>
  new LightNodeError('BAL_ACCESS_USER_EXISTS', `a user with this ${field} exists`, { field, value });
export const topicExists = (topic: string): LightNodeError =>
  new LightNodeError('BAL_ACCESS_TOPIC_EXISTS', `topic ${topic} already has a producer`, { topic });
export const userUnknown = (field: string, id: number): LightNodeError =>
  new LightNodeError('BAL_ACCESS_USER_UNKNOWN', `${field}: no user ${id}`, { field, id });
export const topicUnknown = (topic: string): LightNodeError =>
  new LightNodeError('BAL_ACCESS_TOPIC_UNKNOWN', `no stream on topic ${topic}`, { topic });
export const transitionConflict = (t: TransitionInput, stored: SubscriptionStatus | null): LightNodeError =>
  conflict(`subscription of consumer ${t.consumerId} to ${t.topic} is ${stored ?? 'absent'}, not ${t.event.from ?? 'absent'}`,
    { consumerId: t.consumerId, topic: t.topic, expected: t.event.from, stored });

/** Which existing user blocks `u` (username compared case-insensitively, as the unique index does). */
export function clashOf(u: NewUser, row: Record<string, unknown>): LightNodeError {
  return String(row.username).toLowerCase() === u.username.toLowerCase() ? userExists('username', u.username) : userExists('wallet', u.wallet);
}

// ---- queries --------------------------------------------------------------------------------

export type SubscriptionQuery = { consumerId?: number; topic?: string; producerId?: number; status?: SubscriptionStatus };

/** `listSubscriptions`: every filter is ANDed; producerId goes through the stream's owner. */
export function listSubscriptionsSql(q: SubscriptionQuery, args: SqlArgs): string {
  const where: string[] = [];
  if (q.consumerId !== undefined) where.push(`s.consumer_id = ${args.add(checkId(q.consumerId, 'consumerId'))}`);
  if (q.topic !== undefined) where.push(`s.topic = ${args.add(checkTopic(q.topic))}`);
  if (q.producerId !== undefined) where.push(`st.producer_id = ${args.add(checkId(q.producerId, 'producerId'))}`);
  if (q.status !== undefined) where.push(`s.status = ${args.add(checkStatus(q.status))}`);
  return `SELECT s.* FROM subscriptions s JOIN streams st ON st.topic = s.topic ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY s.id`;
}

/** Subscription decisions after an event id, for the live feed (`subscriptionEventsAfter`); placeholders for after-id and limit. */
export const subscriptionFeedSql = (afterId: string, limit: string): string => `SELECT e.id AS event_id, s.id, s.topic, st.pod,
  cu.username AS consumer, pu.username AS producer, e.to_status AS status
  FROM subscription_events e JOIN subscriptions s ON s.id = e.subscription_id JOIN streams st ON st.topic = s.topic
  JOIN users cu ON cu.id = s.consumer_id JOIN users pu ON pu.id = st.producer_id
  WHERE e.id > ${afterId} ORDER BY e.id LIMIT ${limit}`;

export function rowToFeedEvent(r: Row): { eventId: number; id: number; topic: string; pod: string; consumer: string; producer: string; status: SubscriptionStatus } {
  return { eventId: num(r.event_id), id: num(r.id), topic: String(r.topic), pod: String(r.pod), consumer: String(r.consumer), producer: String(r.producer), status: String(r.status) as SubscriptionStatus };
}

/** Grants of enabled consumers (a disabled user keeps its subscriptions but gets no delivery). */
export const ACCEPTED_GRANTS_SELECT = `SELECT u.username, s.topic FROM subscriptions s JOIN users u ON u.id = s.consumer_id
  WHERE s.status = 'accepted' AND u.enabled = 1 ORDER BY u.username, s.topic`;

// ---- rows -----------------------------------------------------------------------------------

type Row = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export function rowToUser(r: Row): UserRecord {
  return {
    id: num(r.id),
    username: String(r.username),
    role: String(r.role) as UserRole,
    passwordHash: String(r.password_hash),
    wallet: String(r.wallet) as Hex,
    custody: r.custody === 'custodial' ? 'custodial' : 'external',
    encryptedKey: r.encrypted_key === null || r.encrypted_key === undefined ? null : String(r.encrypted_key),
    enabled: num(r.enabled) === 1,
    createdAtMs: num(r.created_ms),
    updatedAtMs: num(r.updated_ms),
  };
}

export function rowToStream(r: Row): StreamRecord {
  return { topic: String(r.topic), pod: String(r.pod), producerId: num(r.producer_id), createdAtMs: num(r.created_ms) };
}

export function rowToSubscription(r: Row): SubscriptionRecord {
  return {
    id: num(r.id),
    consumerId: num(r.consumer_id),
    topic: String(r.topic),
    status: String(r.status) as SubscriptionStatus,
    createdAtMs: num(r.created_ms),
    updatedAtMs: num(r.updated_ms),
    transaction: r.tx === null || r.tx === undefined ? null : (String(r.tx) as Hex),
    block: r.block === null || r.block === undefined ? null : num(r.block),
  };
}

export function rowToEvent(r: Row): SubscriptionEvent {
  return {
    subscriptionId: num(r.subscription_id),
    action: String(r.action) as SubscriptionEvent['action'],
    from: r.from_status === null || r.from_status === undefined ? null : (String(r.from_status) as SubscriptionStatus),
    to: String(r.to_status) as SubscriptionStatus,
    actorId: num(r.actor_id),
    atMs: num(r.at_ms),
    transaction: String(r.tx) as Hex,
    block: num(r.block),
  };
}

export function rowToSession(r: Row): SessionRecord {
  return { tokenHash: String(r.token_hash), userId: num(r.user_id), expiresAtMs: num(r.expires_ms) };
}
