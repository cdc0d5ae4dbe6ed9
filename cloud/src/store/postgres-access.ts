/**
 * AccessStore on PostgreSQL (part of the PostgreSQL BalStore: same pool, same serialised write
 * queue). Writes check then write inside one transaction, with the row locked (FOR UPDATE);
 * a unique violation that still slips through (another process) maps to the same coded error.
 */
import type pg from 'pg';
import { checkId, conflict } from './common.js';
import {
  ACCEPTED_GRANTS_SELECT, POSTGRES_HISTORY_GUARD, SESSION_PURGE_INTERVAL_MS, accessSchema, checkEnabled, checkMs, checkNewUser,
  checkFailureKey, checkLimit, checkTicket, checkTicketHash, LOGIN_FAILURE_PURGE_INTERVAL_MS, checkPasswordHash, checkRole, checkSession, checkTokenHash, checkTopic, checkTransition, checkUsername, checkWallet, clashOf,
  listSubscriptionsSql, rowToEvent, rowToSession, rowToStream, rowToSubscription, rowToUser, topicExists, topicUnknown,
  transitionConflict, userExists, userUnknown,
} from './access-sql.js';
import { POSTGRES_TYPES, SqlArgs } from './sql.js';
import type { AccessStore, SubscriptionStatus } from '../access/types.js';

type Row = Record<string, unknown>;

/** The access tables and the append-only guard of the history (idempotent). */
export const POSTGRES_ACCESS_SCHEMA = accessSchema(POSTGRES_TYPES) + POSTGRES_HISTORY_GUARD;

/** What the PostgreSQL store lends the access part: its pool and its serialised write paths. */
export interface PostgresAccessDeps {
  pool: pg.Pool;
  /** Run `fn` in one transaction on the serialised write queue. */
  tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T>;
  /** Run `fn` on the serialised write queue (no transaction). */
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/** pg's unique_violation, with the constraint it broke. */
function uniqueViolation(err: unknown): string | null {
  const e = err as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' ? String(e.constraint ?? '') : null;
}

/** The AccessStore over the tables of POSTGRES_ACCESS_SCHEMA (the caller created them). */
export function postgresAccessStore({ pool, tx, exclusive }: PostgresAccessDeps): AccessStore {
  const one = async (sql: string, args: unknown[]): Promise<Row | undefined> => (await pool.query(sql, args)).rows[0] as Row | undefined;
  const all = async (sql: string, args: unknown[] = []): Promise<Row[]> => (await pool.query(sql, args)).rows as Row[];
  const exists = async (c: pg.PoolClient, sql: string, arg: unknown): Promise<boolean> => ((await c.query(sql, [arg])).rowCount ?? 0) > 0;
  let lastPurgeMs = -Infinity;
  let lastFailurePurgeMs = -Infinity;

  return {
    async createUser(u, nowMs) {
      const user = checkNewUser(u);
      checkMs(nowMs, 'nowMs');
      try {
        return await tx(async (c) => {
          const clash = (await c.query('SELECT username, wallet FROM users WHERE lower(username) = lower($1) OR wallet = $2 LIMIT 1', [user.username, user.wallet])).rows[0] as Row | undefined;
          if (clash) throw clashOf(user, clash);
          const ins = await c.query(
            `INSERT INTO users (username, role, password_hash, wallet, custody, encrypted_key, enabled, created_ms, updated_ms)
             VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7) RETURNING *`,
            [user.username, user.role, user.passwordHash, user.wallet, user.custody, user.encryptedKey, nowMs]);
          return rowToUser(ins.rows[0] as Row);
        });
      } catch (err) {
        const constraint = uniqueViolation(err);
        if (constraint === null) throw err;
        throw constraint.includes('wallet') ? userExists('wallet', user.wallet) : userExists('username', user.username);
      }
    },
    async userById(id) {
      const row = await one('SELECT * FROM users WHERE id = $1', [checkId(id, 'id')]);
      return row ? rowToUser(row) : null;
    },
    async userByName(username) {
      const row = await one('SELECT * FROM users WHERE username = $1', [checkUsername(username)]);
      return row ? rowToUser(row) : null;
    },
    async userByWallet(wallet) {
      const row = await one('SELECT * FROM users WHERE wallet = $1', [checkWallet(wallet)]);
      return row ? rowToUser(row) : null;
    },
    async listUsers(q = {}) {
      const rows = q.role === undefined ? await all('SELECT * FROM users ORDER BY id') : await all('SELECT * FROM users WHERE role = $1 ORDER BY id', [checkRole(q.role)]);
      return rows.map(rowToUser);
    },
    async setPassword(userId, passwordHash, nowMs) {
      const args = [checkPasswordHash(passwordHash), checkMs(nowMs, 'nowMs'), checkId(userId, 'userId')];
      const res = await exclusive(() => pool.query('UPDATE users SET password_hash = $1, updated_ms = $2 WHERE id = $3', args));
      if (res.rowCount !== 1) throw userUnknown('userId', userId);
    },
    async setEnabled(userId, enabled, nowMs) {
      const args = [checkEnabled(enabled) ? 1 : 0, checkMs(nowMs, 'nowMs'), checkId(userId, 'userId')];
      const res = await exclusive(() => pool.query('UPDATE users SET enabled = $1, updated_ms = $2 WHERE id = $3', args));
      if (res.rowCount !== 1) throw userUnknown('userId', userId);
    },

    async createStream(s, nowMs) {
      const topic = checkTopic(s.topic);
      const args = [topic, checkTopic(s.pod, 'pod'), checkId(s.producerId, 'producerId'), checkMs(nowMs, 'nowMs')];
      try {
        return await tx(async (c) => {
          if (await exists(c, 'SELECT 1 FROM streams WHERE topic = $1', topic)) throw topicExists(topic);
          // FOR SHARE: the producer cannot vanish between the check and the insert.
          if (!(await exists(c, 'SELECT 1 FROM users WHERE id = $1 FOR SHARE', s.producerId))) throw userUnknown('producerId', s.producerId);
          const ins = await c.query('INSERT INTO streams (topic, pod, producer_id, created_ms) VALUES ($1, $2, $3, $4) RETURNING *', args);
          return rowToStream(ins.rows[0] as Row);
        });
      } catch (err) {
        if (uniqueViolation(err) !== null) throw topicExists(topic);
        throw err;
      }
    },
    async streamByTopic(topic) {
      const row = await one('SELECT * FROM streams WHERE topic = $1', [checkTopic(topic)]);
      return row ? rowToStream(row) : null;
    },
    async listStreams(q = {}) {
      const rows = q.producerId === undefined ? await all('SELECT * FROM streams ORDER BY topic') : await all('SELECT * FROM streams WHERE producer_id = $1 ORDER BY topic', [checkId(q.producerId, 'producerId')]);
      return rows.map(rowToStream);
    },

    async subscriptionById(id) {
      const row = await one('SELECT * FROM subscriptions WHERE id = $1', [checkId(id, 'id')]);
      return row ? rowToSubscription(row) : null;
    },
    async subscriptionOf(consumerId, topic) {
      const row = await one('SELECT * FROM subscriptions WHERE consumer_id = $1 AND topic = $2', [checkId(consumerId, 'consumerId'), checkTopic(topic)]);
      return row ? rowToSubscription(row) : null;
    },
    async listSubscriptions(q = {}) {
      const args = new SqlArgs(true);
      const sql = listSubscriptionsSql(q, args);
      return (await all(sql, args.values)).map(rowToSubscription);
    },
    async applyTransition(input) {
      const t = checkTransition(input);
      const e = t.event;
      try {
        return await tx(async (c) => {
          const cur = (await c.query('SELECT * FROM subscriptions WHERE consumer_id = $1 AND topic = $2 FOR UPDATE', [t.consumerId, t.topic])).rows[0] as Row | undefined;
          const stored = cur ? (String(cur.status) as SubscriptionStatus) : null;
          if (stored !== e.from) throw transitionConflict(t, stored);
          if (!cur) {
            if (!(await exists(c, 'SELECT 1 FROM users WHERE id = $1', t.consumerId))) throw userUnknown('consumerId', t.consumerId);
            if (!(await exists(c, 'SELECT 1 FROM streams WHERE topic = $1', t.topic))) throw topicUnknown(t.topic);
          }
          if (!(await exists(c, 'SELECT 1 FROM users WHERE id = $1', e.actorId))) throw userUnknown('event.actorId', e.actorId);
          let row: Row;
          if (!cur) {
            row = (await c.query(
              `INSERT INTO subscriptions (consumer_id, topic, status, created_ms, updated_ms, tx, block)
               VALUES ($1, $2, $3, $4, $4, $5, $6) RETURNING *`,
              [t.consumerId, t.topic, e.to, e.atMs, e.transaction, e.block])).rows[0] as Row;
          } else {
            row = (await c.query('UPDATE subscriptions SET status = $1, updated_ms = $2, tx = $3, block = $4 WHERE id = $5 RETURNING *',
              [e.to, e.atMs, e.transaction, e.block, cur.id])).rows[0] as Row;
          }
          await c.query(
            `INSERT INTO subscription_events (subscription_id, action, from_status, to_status, actor_id, at_ms, tx, block)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [row.id, e.action, e.from, e.to, e.actorId, e.atMs, e.transaction, e.block]);
          return rowToSubscription(row);
        });
      } catch (err) {
        // Another process created the row between our SELECT and INSERT.
        if (uniqueViolation(err) !== null) throw transitionConflict(t, null);
        throw err;
      }
    },
    async historyOf(subscriptionId) {
      return (await all('SELECT * FROM subscription_events WHERE subscription_id = $1 ORDER BY id', [checkId(subscriptionId, 'subscriptionId')])).map(rowToEvent);
    },
    async acceptedGrants() {
      return (await all(ACCEPTED_GRANTS_SELECT)).map((r) => ({ username: String(r.username), topic: String(r.topic) }));
    },

    async createSession(s) {
      const c = checkSession(s);
      await tx(async (cl) => {
        if (!(await exists(cl, 'SELECT 1 FROM users WHERE id = $1 FOR SHARE', c.userId))) throw userUnknown('userId', c.userId);
        const ins = await cl.query('INSERT INTO sessions (token_hash, user_id, expires_ms) VALUES ($1, $2, $3) ON CONFLICT (token_hash) DO NOTHING',
          [c.tokenHash, c.userId, c.expiresAtMs]);
        if (ins.rowCount !== 1) throw conflict('a session with this token hash exists');
      });
    },
    async sessionByTokenHash(tokenHash, nowMs) {
      const hash = checkTokenHash(tokenHash);
      checkMs(nowMs, 'nowMs');
      if (nowMs - lastPurgeMs >= SESSION_PURGE_INTERVAL_MS) {
        lastPurgeMs = nowMs;
        await exclusive(() => pool.query('DELETE FROM sessions WHERE expires_ms <= $1', [nowMs]));
      }
      const row = await one('SELECT * FROM sessions WHERE token_hash = $1 AND expires_ms > $2', [hash, nowMs]);
      return row ? rowToSession(row) : null;
    },
    async deleteSession(tokenHash) {
      const hash = checkTokenHash(tokenHash);
      await exclusive(() => pool.query('DELETE FROM sessions WHERE token_hash = $1', [hash]));
    },
    async deleteSessionsOf(userId) {
      const id = checkId(userId, 'userId');
      await exclusive(() => pool.query('DELETE FROM sessions WHERE user_id = $1', [id]));
    },

    // Not on the serialised write queue: a login must not wait behind an ingest batch, and
    // these rows are independent (another instance writes them concurrently anyway).
    async addLoginFailure(key, atMs, forgetBeforeMs) {
      const k = checkFailureKey(key);
      checkMs(atMs, 'atMs');
      checkMs(forgetBeforeMs, 'forgetBeforeMs');
      const purgeAll = atMs - lastFailurePurgeMs >= LOGIN_FAILURE_PURGE_INTERVAL_MS;
      if (purgeAll) lastFailurePurgeMs = atMs;
      await pool.query(
        `WITH gone AS (DELETE FROM login_failures WHERE at_ms <= $3 AND ($4 OR key = $1))
         INSERT INTO login_failures (key, at_ms) VALUES ($1, $2)`, [k, atMs, forgetBeforeMs, purgeAll]);
    },
    async loginFailures(key, sinceMs, limit) {
      const rows = await all('SELECT at_ms FROM login_failures WHERE key = $1 AND at_ms > $2 ORDER BY at_ms DESC LIMIT $3',
        [checkFailureKey(key), checkMs(sinceMs, 'sinceMs'), checkLimit(limit)]);
      return rows.map((r) => Number(r.at_ms)).reverse();
    },
    async clearLoginFailures(key) {
      await pool.query('DELETE FROM login_failures WHERE key = $1', [checkFailureKey(key)]);
    },

    // Tickets: single statements, off the write queue (independent rows, several instances).
    async createEventTicket(t) {
      const c = checkTicket(t);
      const ins = await pool.query('INSERT INTO event_tickets (ticket_hash, principal, expires_ms) VALUES ($1, $2, $3) ON CONFLICT (ticket_hash) DO NOTHING',
        [c.ticketHash, c.principal, c.expiresAtMs]);
      if (ins.rowCount !== 1) throw conflict('an event ticket with this hash exists');
    },
    async takeEventTicket(ticketHash, nowMs) {
      checkMs(nowMs, 'nowMs');
      const row = await one('DELETE FROM event_tickets WHERE ticket_hash = $1 RETURNING principal, expires_ms', [checkTicketHash(ticketHash)]);
      return row && Number(row.expires_ms) > nowMs ? String(row.principal) : null;
    },
    async countEventTickets(nowMs) {
      checkMs(nowMs, 'nowMs');
      const r = await one(`WITH gone AS (DELETE FROM event_tickets WHERE expires_ms <= $1)
        SELECT COUNT(*) AS n FROM event_tickets WHERE expires_ms > $1`, [nowMs]);
      return Number(r!.n);
    },
  };
}
