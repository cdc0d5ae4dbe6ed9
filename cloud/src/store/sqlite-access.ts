/**
 * AccessStore on SQLite (part of the SQLite BalStore: same connection, same file). Each write is
 * one better-sqlite3 transaction, i.e. one synchronous step, so check-then-write is atomic.
 */
import type Database from 'better-sqlite3';
import { checkId, conflict } from './common.js';
import {
  ACCEPTED_GRANTS_SELECT, SESSION_PURGE_INTERVAL_MS, SQLITE_HISTORY_GUARD, accessSchema, checkEnabled, checkMs, checkNewUser,
  checkFailureKey, checkLimit, checkTicket, checkTicketHash, LOGIN_FAILURE_PURGE_INTERVAL_MS, checkPasswordHash, checkRole, checkSession, checkTokenHash, checkTopic, checkTransition, checkUsername, checkWallet, clashOf,
  listSubscriptionsSql, rowToEvent, rowToSession, rowToStream, rowToSubscription, rowToUser, topicExists, topicUnknown,
  transitionConflict, userUnknown, type TransitionInput,
} from './access-sql.js';
import { SQLITE_TYPES, SqlArgs } from './sql.js';
import type { AccessStore, NewUser, SubscriptionRecord } from '../access/types.js';

type Row = Record<string, unknown>;

/** Create the access tables on `db` (idempotent) and return the AccessStore over them. */
export function sqliteAccessStore(db: Database.Database): AccessStore {
  db.pragma('foreign_keys = ON');
  db.exec(accessSchema(SQLITE_TYPES));
  db.exec(SQLITE_HISTORY_GUARD);

  const st = {
    userClash: db.prepare('SELECT username, wallet FROM users WHERE lower(username) = lower(?) OR wallet = ? LIMIT 1'),
    insertUser: db.prepare(`INSERT INTO users (username, role, password_hash, wallet, custody, encrypted_key, enabled, created_ms, updated_ms)
      VALUES (@username, @role, @passwordHash, @wallet, @custody, @encryptedKey, 1, @nowMs, @nowMs)`),
    userById: db.prepare('SELECT * FROM users WHERE id = ?'),
    userByName: db.prepare('SELECT * FROM users WHERE username = ?'),
    userByWallet: db.prepare('SELECT * FROM users WHERE wallet = ?'),
    users: db.prepare('SELECT * FROM users ORDER BY id'),
    usersOfRole: db.prepare('SELECT * FROM users WHERE role = ? ORDER BY id'),
    setPassword: db.prepare('UPDATE users SET password_hash = ?, updated_ms = ? WHERE id = ?'),
    setEnabled: db.prepare('UPDATE users SET enabled = ?, updated_ms = ? WHERE id = ?'),
    insertStream: db.prepare('INSERT INTO streams (topic, pod, producer_id, created_ms) VALUES (?, ?, ?, ?)'),
    streamByTopic: db.prepare('SELECT * FROM streams WHERE topic = ?'),
    streams: db.prepare('SELECT * FROM streams ORDER BY topic'),
    streamsOf: db.prepare('SELECT * FROM streams WHERE producer_id = ? ORDER BY topic'),
    subById: db.prepare('SELECT * FROM subscriptions WHERE id = ?'),
    subOf: db.prepare('SELECT * FROM subscriptions WHERE consumer_id = ? AND topic = ?'),
    insertSub: db.prepare(`INSERT INTO subscriptions (consumer_id, topic, status, created_ms, updated_ms, tx, block)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    moveSub: db.prepare('UPDATE subscriptions SET status = ?, updated_ms = ?, tx = ?, block = ? WHERE id = ? AND status = ?'),
    insertEvent: db.prepare(`INSERT INTO subscription_events (subscription_id, action, from_status, to_status, actor_id, at_ms, tx, block)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    history: db.prepare('SELECT * FROM subscription_events WHERE subscription_id = ? ORDER BY id'),
    grants: db.prepare(ACCEPTED_GRANTS_SELECT),
    insertSession: db.prepare('INSERT INTO sessions (token_hash, user_id, expires_ms) VALUES (?, ?, ?) ON CONFLICT (token_hash) DO NOTHING'),
    session: db.prepare('SELECT * FROM sessions WHERE token_hash = ? AND expires_ms > ?'),
    purgeSessions: db.prepare('DELETE FROM sessions WHERE expires_ms <= ?'),
    deleteSession: db.prepare('DELETE FROM sessions WHERE token_hash = ?'),
    deleteSessionsOf: db.prepare('DELETE FROM sessions WHERE user_id = ?'),
    forgetFailures: db.prepare('DELETE FROM login_failures WHERE key = ? AND at_ms <= ?'),
    purgeFailures: db.prepare('DELETE FROM login_failures WHERE at_ms <= ?'),
    addFailure: db.prepare('INSERT INTO login_failures (key, at_ms) VALUES (?, ?)'),
    failures: db.prepare('SELECT at_ms FROM login_failures WHERE key = ? AND at_ms > ? ORDER BY at_ms DESC LIMIT ?'),
    clearFailures: db.prepare('DELETE FROM login_failures WHERE key = ?'),
    insertTicket: db.prepare('INSERT INTO event_tickets (ticket_hash, principal, expires_ms) VALUES (?, ?, ?) ON CONFLICT (ticket_hash) DO NOTHING'),
    takeTicket: db.prepare('DELETE FROM event_tickets WHERE ticket_hash = ? RETURNING principal, expires_ms'),
    purgeTickets: db.prepare('DELETE FROM event_tickets WHERE expires_ms <= ?'),
    countTickets: db.prepare('SELECT COUNT(*) AS n FROM event_tickets WHERE expires_ms > ?'),
  };
  const get = (s: Database.Statement, ...args: unknown[]): Row | undefined => s.get(...args) as Row | undefined;

  const createUserTx = db.transaction((u: NewUser, nowMs: number): number => {
    const clash = get(st.userClash, u.username, u.wallet);
    if (clash) throw clashOf(u, clash);
    return Number(st.insertUser.run({ ...u, nowMs }).lastInsertRowid);
  });

  const createStreamTx = db.transaction((topic: string, pod: string, producerId: number, nowMs: number): void => {
    if (get(st.streamByTopic, topic)) throw topicExists(topic);
    if (!get(st.userById, producerId)) throw userUnknown('producerId', producerId);
    st.insertStream.run(topic, pod, producerId, nowMs);
  });

  const transitionTx = db.transaction((t: TransitionInput): number => {
    const e = t.event;
    const cur = get(st.subOf, t.consumerId, t.topic);
    let id: number;
    if (e.from === null) {
      if (cur) throw transitionConflict(t, String(cur.status) as SubscriptionRecord['status']);
      if (!get(st.userById, t.consumerId)) throw userUnknown('consumerId', t.consumerId);
      if (!get(st.streamByTopic, t.topic)) throw topicUnknown(t.topic);
      if (!get(st.userById, e.actorId)) throw userUnknown('event.actorId', e.actorId);
      id = Number(st.insertSub.run(t.consumerId, t.topic, e.to, e.atMs, e.atMs, e.transaction, e.block).lastInsertRowid);
    } else {
      if (!cur || cur.status !== e.from) throw transitionConflict(t, cur ? (String(cur.status) as SubscriptionRecord['status']) : null);
      if (!get(st.userById, e.actorId)) throw userUnknown('event.actorId', e.actorId);
      id = Number(cur.id);
      st.moveSub.run(e.to, e.atMs, e.transaction, e.block, id, e.from);
    }
    st.insertEvent.run(id, e.action, e.from, e.to, e.actorId, e.atMs, e.transaction, e.block);
    return id;
  });

  let lastPurgeMs = -Infinity;
  let lastFailurePurgeMs = -Infinity;
  const addFailureTx = db.transaction((key: string, atMs: number, forgetBeforeMs: number): void => {
    if (atMs - lastFailurePurgeMs >= LOGIN_FAILURE_PURGE_INTERVAL_MS) { lastFailurePurgeMs = atMs; st.purgeFailures.run(forgetBeforeMs); }
    else st.forgetFailures.run(key, forgetBeforeMs);
    st.addFailure.run(key, atMs);
  });

  return {
    async createUser(u, nowMs) {
      const user = checkNewUser(u);
      const id = createUserTx(user, checkMs(nowMs, 'nowMs'));
      return rowToUser(get(st.userById, id)!);
    },
    async userById(id) {
      const row = get(st.userById, checkId(id, 'id'));
      return row ? rowToUser(row) : null;
    },
    async userByName(username) {
      const row = get(st.userByName, checkUsername(username));
      return row ? rowToUser(row) : null;
    },
    async userByWallet(wallet) {
      const row = get(st.userByWallet, checkWallet(wallet));
      return row ? rowToUser(row) : null;
    },
    async listUsers(q = {}) {
      const rows = q.role === undefined ? st.users.all() : st.usersOfRole.all(checkRole(q.role));
      return (rows as Row[]).map(rowToUser);
    },
    async setPassword(userId, passwordHash, nowMs) {
      const info = st.setPassword.run(checkPasswordHash(passwordHash), checkMs(nowMs, 'nowMs'), checkId(userId, 'userId'));
      if (info.changes !== 1) throw userUnknown('userId', userId);
    },
    async setEnabled(userId, enabled, nowMs) {
      const info = st.setEnabled.run(checkEnabled(enabled) ? 1 : 0, checkMs(nowMs, 'nowMs'), checkId(userId, 'userId'));
      if (info.changes !== 1) throw userUnknown('userId', userId);
    },

    async createStream(s, nowMs) {
      const topic = checkTopic(s.topic);
      createStreamTx(topic, checkTopic(s.pod, 'pod'), checkId(s.producerId, 'producerId'), checkMs(nowMs, 'nowMs'));
      return rowToStream(get(st.streamByTopic, topic)!);
    },
    async streamByTopic(topic) {
      const row = get(st.streamByTopic, checkTopic(topic));
      return row ? rowToStream(row) : null;
    },
    async listStreams(q = {}) {
      const rows = q.producerId === undefined ? st.streams.all() : st.streamsOf.all(checkId(q.producerId, 'producerId'));
      return (rows as Row[]).map(rowToStream);
    },

    async subscriptionById(id) {
      const row = get(st.subById, checkId(id, 'id'));
      return row ? rowToSubscription(row) : null;
    },
    async subscriptionOf(consumerId, topic) {
      const row = get(st.subOf, checkId(consumerId, 'consumerId'), checkTopic(topic));
      return row ? rowToSubscription(row) : null;
    },
    async listSubscriptions(q = {}) {
      const args = new SqlArgs(false);
      const sql = listSubscriptionsSql(q, args);
      return (db.prepare(sql).all(...args.values) as Row[]).map(rowToSubscription);
    },
    async applyTransition(t) {
      const id = transitionTx(checkTransition(t));
      return rowToSubscription(get(st.subById, id)!);
    },
    async historyOf(subscriptionId) {
      return (st.history.all(checkId(subscriptionId, 'subscriptionId')) as Row[]).map(rowToEvent);
    },
    async acceptedGrants() {
      return (st.grants.all() as Row[]).map((r) => ({ username: String(r.username), topic: String(r.topic) }));
    },

    async createSession(s) {
      const c = checkSession(s);
      if (!get(st.userById, c.userId)) throw userUnknown('userId', c.userId);
      if (st.insertSession.run(c.tokenHash, c.userId, c.expiresAtMs).changes !== 1) throw conflict('a session with this token hash exists');
    },
    async sessionByTokenHash(tokenHash, nowMs) {
      checkMs(nowMs, 'nowMs');
      if (nowMs - lastPurgeMs >= SESSION_PURGE_INTERVAL_MS) { lastPurgeMs = nowMs; st.purgeSessions.run(nowMs); }
      const row = get(st.session, checkTokenHash(tokenHash), nowMs);
      return row ? rowToSession(row) : null;
    },
    async deleteSession(tokenHash) { st.deleteSession.run(checkTokenHash(tokenHash)); },
    async deleteSessionsOf(userId) { st.deleteSessionsOf.run(checkId(userId, 'userId')); },

    async addLoginFailure(key, atMs, forgetBeforeMs) {
      addFailureTx(checkFailureKey(key), checkMs(atMs, 'atMs'), checkMs(forgetBeforeMs, 'forgetBeforeMs'));
    },
    async loginFailures(key, sinceMs, limit) {
      const rows = st.failures.all(checkFailureKey(key), checkMs(sinceMs, 'sinceMs'), checkLimit(limit)) as Row[];
      return rows.map((r) => Number(r.at_ms)).reverse();
    },
    async clearLoginFailures(key) { st.clearFailures.run(checkFailureKey(key)); },

    async createEventTicket(t) {
      const c = checkTicket(t);
      if (st.insertTicket.run(c.ticketHash, c.principal, c.expiresAtMs).changes !== 1) throw conflict('an event ticket with this hash exists');
    },
    async takeEventTicket(ticketHash, nowMs) {
      checkMs(nowMs, 'nowMs');
      const row = get(st.takeTicket, checkTicketHash(ticketHash));
      return row && Number(row.expires_ms) > nowMs ? String(row.principal) : null;
    },
    async countEventTickets(nowMs) {
      st.purgeTickets.run(checkMs(nowMs, 'nowMs'));
      return Number(get(st.countTickets, nowMs)!.n);
    },
  };
}
