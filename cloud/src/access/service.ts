/**
 * The data-access service (docs/data-access.md): users and their wallets, producers' streams,
 * sessions, and subscriptions whose every decision is signed (EIP-712), certified on chain, then
 * stored and enforced on the broker — in that order, so a failure before the chain commit
 * changes nothing. Store, chain and broker are injected (types.ts).
 *
 * Every refusal is a coded LightNodeError counted in `bal_access_refusals_total{code}`; every
 * certified decision in `bal_access_decisions_total{action}`.
 */
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import type { Clock } from '@lightnode/shared/clock';
import { certifiedTopic, parseCertifiedTopic } from '@lightnode/shared/topics';
import type { Counter, MetricsRegistry } from '../metrics.js';
import { silentLogger, type Logger } from '../log.js';
import {
  type AccessEnforcer, type AccessStore, type DecisionCertifier, type DecisionMessage, type StreamRecord,
  type SubscriptionAction, type SubscriptionRecord, type SubscriptionStatus, type UserRecord, type UserRole,
} from './types.js';
import {
  jsonSafe, userView, type AccessUser, type CertificationView, type DecisionTypedData, type ProducerRow,
  type SignedDecision, type SubscriptionEventView, type SubscriptionView,
} from './service-views.js';
import { decide } from './transitions.js';
import { checkPasswordPolicy, hashPassword, verifyPassword, type ScryptParams } from './passwords.js';
import { validateRole, validateUsername, validateWalletAddress } from './validate.js';
import { newCustodialWallet } from './wallets.js';
import { checkAddress, checkPods, checkSignature, checkTopic, invalid, refuse, signCustodial } from './decision-signing.js';
import { createSessions, type Sessions } from './sessions.js';
import { PasswordGate } from './logins.js';
import { createLoginLimiter, storeFailureLog, type LimitRule, type LoginLimiter } from './login-limiter.js';

export type { AccessUser, CertificationView, DecisionTypedData, ProducerRow, SignedDecision, SubscriptionEventView, SubscriptionView } from './service-views.js';

export interface DataAccessServiceOptions {
  store: AccessStore;
  certifier: DecisionCertifier;
  enforcer: AccessEnforcer;
  /** 32-byte AES-256-GCM key under which custodial wallet keys are stored (`dataAccess.walletKeyPath`). */
  masterKey: Uint8Array;
  /** Time source (ms since epoch); default the host clock. */
  clock?: Pick<Clock, 'now'>;
  log?: Logger;
  metrics: MetricsRegistry;
  /** Lifetime of a login session, ms; default 1 h (sessions.ts). */
  sessionTtlMs?: number;
  /** Validity of a decision signature: EIP-712 `deadline` = now + deadlineSec; default 600 s. */
  deadlineSec?: number;
  /** Failed logins allowed per username / per remote address in a sliding window; default 5 and 20 per 15 min (login-limiter.ts). */
  loginLimits?: { perUser?: LimitRule; perAddress?: LimitRule };
  /** scrypt cost of new password hashes; default DEFAULT_SCRYPT (passwords.ts). Cheaper costs for tests only. */
  passwordParams?: ScryptParams;
}

/** Subscription list filters. */
export interface SubscriptionFilters { status?: SubscriptionStatus; topic?: string }

/** The login answer: a bearer token (shown once), its expiry and the user. */
export interface LoginResult { token: string; expiresAtMs: number; user: AccessUser }

/** What a decision resolves to before it is signed (checks passed). */
interface Plan {
  action: SubscriptionAction;
  topic: string;
  consumer: UserRecord;
  producer: UserRecord;
  /** Who signs: the consumer (request, cancel), else the deciding producer or admin. */
  signer: UserRecord;
  actorId: number;
  from: SubscriptionStatus | null;
  to: SubscriptionStatus;
}



/** Build the service. */
export function createDataAccessService(opts: DataAccessServiceOptions): DataAccessService {
  return new DataAccessService(opts);
}

export class DataAccessService {
  private readonly store: AccessStore;
  private readonly certifier: DecisionCertifier;
  private readonly enforcer: AccessEnforcer;
  private readonly masterKey: Uint8Array;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly sessions: Sessions;
  private readonly deadlineSec: number;
  private readonly limiter: LoginLimiter;
  private readonly passwords: PasswordGate;
  private readonly refusals: Counter;
  private readonly decisions: Counter;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly passwordParams: ScryptParams | undefined;

  constructor(opts: DataAccessServiceOptions) {
    if (!(opts.masterKey instanceof Uint8Array) || opts.masterKey.length !== 32) throw refuse('BAL_ACCESS_WALLET_KEY', 'masterKey: expected 32 bytes');
    this.store = opts.store;
    this.certifier = opts.certifier;
    this.enforcer = opts.enforcer;
    this.masterKey = opts.masterKey;
    this.now = opts.clock ? () => opts.clock!.now() : Date.now;
    this.log = opts.log ?? silentLogger;
    const clock = { now: this.now };
    this.sessions = createSessions({ store: opts.store, clock, ...(opts.sessionTtlMs !== undefined ? { ttlMs: opts.sessionTtlMs } : {}) });
    this.deadlineSec = opts.deadlineSec ?? 600;
    this.passwordParams = opts.passwordParams;
    // In the store: every API instance on it counts the same failures (cloud/README "Running several instances").
    this.limiter = createLoginLimiter({ clock, ...opts.loginLimits, log: storeFailureLog(opts.store) });
    this.passwords = new PasswordGate(opts.store, this.limiter, this.log);
    this.refusals = opts.metrics.counter('bal_access_refusals_total', 'Data-access requests refused, by code', ['code']);
    this.decisions = opts.metrics.counter('bal_access_decisions_total', 'Subscription decisions certified on chain, by action', ['action']);
  }

  // ── users ──────────────────────────────────────────────────────────────────────────────

  /**
   * Create a data user: custodial wallet unless `wallet` is given; a producer's `pods` become its
   * streams (registered on chain as the topic's provider). Throws BAL_ACCESS_USER_INVALID,
   * BAL_ACCESS_USER_EXISTS, BAL_ACCESS_TOPIC_EXISTS.
   */
  createUser(u: { username: unknown; role: unknown; password: unknown; wallet?: unknown; pods?: unknown }): Promise<AccessUser> {
    return this.guard(async () => {
      const username = validateUsername(u.username);
      const role = validateRole(u.role);
      const password = checkPasswordPolicy(u.password);
      const pods = u.pods === undefined ? [] : checkPods(u.pods);
      if (pods.length > 0 && role !== 'producer') throw invalid('pods', 'no PoDs for a role other than producer');
      let wallet: Hex | null = u.wallet === undefined ? null : validateWalletAddress(u.wallet);
      // Everything that can be refused is checked before anything is written.
      if (await this.store.userByName(username)) throw refuse('BAL_ACCESS_USER_EXISTS', `user ${username} exists`);
      if (wallet && await this.store.userByWallet(wallet)) throw refuse('BAL_ACCESS_USER_EXISTS', `wallet ${wallet} belongs to another user`);
      for (const pod of pods) if (await this.store.streamByTopic(certifiedTopic(pod))) throw refuse('BAL_ACCESS_TOPIC_EXISTS', `PoD ${pod} already has a producer`);
      let encryptedKey: string | null = null;
      if (!wallet) ({ address: wallet, encryptedKey } = newCustodialWallet(this.masterKey));
      const rec = await this.store.createUser({ username, role, passwordHash: await this.hash(password), wallet, custody: encryptedKey ? 'custodial' : 'external', encryptedKey }, this.now());
      await this.enforcer.upsertUser({ username, role, password, enabled: true });
      for (const pod of pods) await this.registerStream(rec, pod);
      this.log.info('access user created', { username, role, custody: rec.custody, pods: pods.length });
      return userView(rec, pods);
    });
  }

  /** Give a producer one more stream (its PoD's certified topic). Throws BAL_ACCESS_TOPIC_EXISTS. */
  addStream(producer: string, pod: unknown): Promise<StreamRecord> {
    return this.guard(async () => {
      const user = await this.userNamed(producer);
      if (user.role !== 'producer') throw invalid('username', `a producer (${user.username} is ${user.role})`);
      const [p] = checkPods([pod]);
      if (await this.store.streamByTopic(certifiedTopic(p!))) throw refuse('BAL_ACCESS_TOPIC_EXISTS', `PoD ${p} already has a producer`);
      return this.registerStream(user, p!);
    });
  }

  /** Set a user's password (store and broker account); ends the user's sessions. */
  setPassword(username: string, password: unknown): Promise<void> {
    return this.guard(async () => {
      const pw = checkPasswordPolicy(password);
      const user = await this.userNamed(username);
      await this.store.setPassword(user.id, await this.hash(pw), this.now());
      await this.sessions.revokeAllOf(user.id);
      await this.enforcer.upsertUser({ username: user.username, role: user.role, password: pw, enabled: user.enabled });
      this.log.info('access password changed', { username: user.username });
    });
  }

  /** Enable or disable a user; disabling ends its sessions and disables its broker account. */
  setEnabled(username: string, enabled: boolean): Promise<AccessUser> {
    return this.guard(async () => {
      const user = await this.userNamed(username);
      await this.store.setEnabled(user.id, enabled, this.now());
      if (!enabled) await this.sessions.revokeAllOf(user.id);
      await this.enforcer.upsertUser({ username: user.username, role: user.role, enabled });
      this.log.info('access user enabled', { username: user.username, enabled });
      return this.viewOf((await this.store.userById(user.id))!);
    });
  }

  /**
   * Make the broker follow the store (at start, and after the broker lost its state): every
   * user's account and enabled flag (passwords are only ever given on create and change), and
   * the grants — accepted subscriptions of enabled consumers plus each producer's own streams.
   */
  async syncBroker(): Promise<{ users: number; grants: number }> {
    const [users, streams, accepted] = await Promise.all([this.store.listUsers(), this.store.listStreams(), this.store.acceptedGrants()]);
    for (const u of users) await this.enforcer.upsertUser({ username: u.username, role: u.role, enabled: u.enabled });
    const byId = new Map(users.map((u) => [u.id, u]));
    const grants = [...accepted];
    for (const st of streams) {
      const producer = byId.get(st.producerId);
      if (producer?.enabled) grants.push({ username: producer.username, topic: st.topic });
    }
    await this.enforcer.reconcile(grants);
    this.log.info('access broker synchronised', { users: users.length, grants: grants.length });
    return { users: users.length, grants: grants.length };
  }

  /** Every user (optionally of one role), with a producer's PoDs. */
  async listUsers(q: { role?: UserRole } = {}): Promise<AccessUser[]> {
    const [users, streams] = await Promise.all([this.store.listUsers(q), this.store.listStreams()]);
    return users.map((u) => userView(u, streams.filter((s) => s.producerId === u.id).map((s) => s.pod)));
  }

  /** One user by name. Throws BAL_ACCESS_USER_UNKNOWN. */
  user(username: string): Promise<AccessUser> {
    return this.guard(async () => this.viewOf(await this.userNamed(username)));
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────

  /**
   * Log in: a bearer token valid `sessionTtlMs`. Failed attempts are counted per username and
   * per remote address; past the limit BAL_ACCESS_LOGIN_RATE_LIMITED (details.retryAfterSec).
   * Unknown user, wrong password and disabled user are one answer: BAL_ACCESS_LOGIN_FAILED.
   */
  login(username: unknown, password: unknown, remoteAddress: string): Promise<LoginResult> {
    return this.guard(async () => {
      const user = await this.passwords.check(username, password, remoteAddress, { channel: 'api' });
      const session = await this.sessions.issue(user.id);
      return { token: session.token, expiresAtMs: session.expiresAtMs, user: await this.viewOf(user) };
    });
  }

  /** The enabled user of a live session token, or null. */
  async resolveToken(token: string): Promise<AccessUser | null> {
    const s = await this.sessions.resolve(token);
    return s ? this.viewOf(s.user) : null;
  }

  /** The same from the token's SHA-256 (hex), as an event ticket in the store names the session. */
  async resolveTokenHash(tokenHash: string): Promise<AccessUser | null> {
    const s = await this.sessions.resolveHash(tokenHash);
    return s ? this.viewOf(s.user) : null;
  }

  /** End a session (unknown tokens are ignored). */
  async logout(token: string): Promise<void> {
    await this.sessions.revoke(token);
  }

  /**
   * An MQTT login of a data user (the embedded broker's hook): the same failure limits as the API
   * login (per username and per address; a limited attempt is refused without checking), and a
   * successful check is remembered per (user, password hash) so a reconnecting consumer does not
   * cost a scrypt each time. Null when unknown, disabled, wrong or limited.
   */
  async brokerLogin(username: string, password: string, remoteAddress: string): Promise<{ username: string; role: UserRole } | null> {
    return this.guard(() => this.passwords.check(username, password, remoteAddress, { remember: true, channel: 'mqtt' }))
      .then((u) => ({ username: u.username, role: u.role }), () => null);
  }

  /** Does `password` belong to the enabled user `username`? (The broker's login check.) */
  async verifyPassword(username: string, password: string): Promise<boolean> {
    const user = await this.store.userByName(username);
    const ok = await verifyPassword(password, user?.passwordHash ?? null);
    return !!user && user.enabled && ok;
  }

  // ── subscriptions ──────────────────────────────────────────────────────────────────────

  /** A consumer asks for a topic (`signed` for a bring-your-own wallet). */
  request(actor: AccessUser, topic: unknown, signed?: SignedDecision): Promise<SubscriptionView> {
    return this.guard(async () => {
      const t = checkTopic(topic);
      return this.locked(`${actor.id}|${t}`, async () => this.view(await this.certify(await this.plan(actor, 'request', { topic: t }), signed)));
    });
  }

  /** Accept, refuse or revoke (producer of the topic, admin) or cancel (the consumer). */
  decide(actor: AccessUser, subscriptionId: number, action: Exclude<SubscriptionAction, 'request'>, signed?: SignedDecision): Promise<SubscriptionView> {
    return this.guard(async () => {
      const sub = await this.visibleForDecision(actor, subscriptionId);
      return this.locked(`${sub.consumerId}|${sub.topic}`, async () => this.view(await this.certify(await this.plan(actor, action, { subscriptionId }), signed)));
    });
  }

  /** The EIP-712 typed data `actor` must sign for `action` (bring-your-own wallets), with its nonce and deadline. */
  typedData(actor: AccessUser, target: { subscriptionId: number } | { topic: unknown }, action: SubscriptionAction): Promise<DecisionTypedData> {
    return this.guard(async () => {
      if ('subscriptionId' in target) await this.visibleForDecision(actor, target.subscriptionId);
      const p = await this.plan(actor, action, 'topic' in target ? { topic: checkTopic(target.topic) } : target);
      const msg = await this.message(p, Math.floor(this.now() / 1000) + this.deadlineSec);
      const td = this.certifier.typedData(msg);
      return { signer: p.signer.wallet, nonce: msg.nonce.toString(), deadline: msg.deadline, typedData: { ...td, domain: jsonSafe(td.domain), message: jsonSafe(td.message) } };
    });
  }

  /** Subscriptions the actor may see: a consumer its own, a producer those on its topics, an admin all. */
  async listSubscriptions(actor: AccessUser, filters: SubscriptionFilters = {}): Promise<SubscriptionView[]> {
    const scope = actor.role === 'consumer' ? { consumerId: actor.id } : actor.role === 'producer' ? { producerId: actor.id } : {};
    const rows = await this.store.listSubscriptions({ ...scope, ...(filters.status ? { status: filters.status } : {}), ...(filters.topic ? { topic: filters.topic } : {}) });
    const views: SubscriptionView[] = [];
    for (const r of rows) views.push(await this.view(r));
    return views;
  }

  /** One subscription the actor may see. Throws BAL_ACCESS_SUBSCRIPTION_UNKNOWN. */
  subscription(actor: AccessUser, id: number): Promise<SubscriptionView> {
    return this.guard(async () => this.view(await this.visible(actor, id)));
  }

  /** A subscription's transitions, oldest first. */
  history(actor: AccessUser, id: number): Promise<SubscriptionEventView[]> {
    return this.guard(async () => {
      const sub = await this.visible(actor, id);
      const events = await this.store.historyOf(sub.id);
      const names = new Map<number, string>();
      const out: SubscriptionEventView[] = [];
      for (const e of events) {
        if (!names.has(e.actorId)) names.set(e.actorId, (await this.store.userById(e.actorId))?.username ?? `#${e.actorId}`);
        out.push({ action: e.action, from: e.from, to: e.to, actor: names.get(e.actorId)!, atMs: e.atMs, transaction: e.transaction, block: e.block });
      }
      return out;
    });
  }

  /** Every stream with its producer and wallet; for a consumer, its own status per topic (D2.12 Figure 4). */
  async listProducers(actor: AccessUser): Promise<ProducerRow[]> {
    const [streams, mine] = await Promise.all([
      this.store.listStreams(),
      actor.role === 'consumer' ? this.store.listSubscriptions({ consumerId: actor.id }) : Promise.resolve([]),
    ]);
    const producers = new Map<number, UserRecord | null>();
    const rows: ProducerRow[] = [];
    for (const s of streams) {
      if (!producers.has(s.producerId)) producers.set(s.producerId, await this.store.userById(s.producerId));
      const p = producers.get(s.producerId);
      if (!p || !p.enabled) continue;
      rows.push({ producer: p.username, wallet: p.wallet, topic: s.topic, pod: s.pod, status: mine.find((m) => m.topic === s.topic)?.status ?? null });
    }
    return rows.sort((a, b) => a.producer.localeCompare(b.producer) || a.topic.localeCompare(b.topic));
  }

  /** PoDs whose readings the actor may read: consumer → accepted subscriptions, producer → own streams, admin → null (all). */
  async visiblePods(actor: AccessUser): Promise<string[] | null> {
    if (actor.role === 'admin') return null;
    if (actor.role === 'producer') return (await this.store.listStreams({ producerId: actor.id })).map((s) => s.pod);
    const subs = await this.store.listSubscriptions({ consumerId: actor.id, status: 'accepted' });
    return subs.map((s) => parseCertifiedTopic(s.topic)?.pod).filter((p): p is string => p !== undefined);
  }

  // ── certification (D2.13 §2.1.3, the seed's two endpoints) ──────────────────────────────

  /**
   * The certified subscription of (provider, consumer, topic): the chain's record when it holds
   * the stored status, else the missing decisions are relayed first (custodial signers only).
   */
  certification(providerWallet: unknown, consumerWallet: unknown, topic: unknown): Promise<CertificationView> {
    return this.guard(async () => {
      const provider = checkAddress(providerWallet, 'providerId');
      const consumerAddr = checkAddress(consumerWallet, 'consumerId');
      const t = checkTopic(topic);
      const stream = await this.stream(t);
      const producer = (await this.store.userById(stream.producerId))!;
      if (producer.wallet !== provider) throw refuse('BAL_ACCESS_SUBSCRIPTION_UNKNOWN', `${provider} is not the provider of ${t}`);
      const consumer = await this.store.userByWallet(consumerAddr);
      if (!consumer) throw refuse('BAL_ACCESS_USER_UNKNOWN', `no user with wallet ${consumerAddr}`);
      return this.locked(`${consumer.id}|${t}`, async () => {
        const sub = await this.store.subscriptionOf(consumer.id, t);
        if (!sub) throw refuse('BAL_ACCESS_SUBSCRIPTION_UNKNOWN', `no subscription of ${consumerAddr} to ${t}`);
        const onChain = (await this.chain(() => this.certifier.certifiedOfTopic(t))).find((c) => c.consumer.toLowerCase() === consumerAddr);
        if (onChain && onChain.status === sub.status && onChain.provider.toLowerCase() === provider) {
          return { provider, consumer: consumerAddr, topic: t, status: sub.status, timestamp: onChain.updatedAtSec, transaction: sub.transaction, block: sub.block };
        }
        const last = await this.relayMissing(sub, producer, consumer, onChain?.status ?? null);
        return { provider, consumer: consumerAddr, topic: t, status: sub.status, timestamp: last.timestampSec, transaction: last.transaction, block: last.block };
      });
    });
  }

  /** A topic's subscriptions as recorded on chain, with the stored transaction where it matches. */
  certifiedOfTopic(topic: unknown): Promise<CertificationView[]> {
    return this.guard(async () => {
      const t = checkTopic(topic);
      await this.stream(t);
      const onChain = await this.chain(() => this.certifier.certifiedOfTopic(t));
      const out: CertificationView[] = [];
      for (const c of onChain) {
        const consumer = await this.store.userByWallet(c.consumer.toLowerCase() as Hex);
        const sub = consumer ? await this.store.subscriptionOf(consumer.id, t) : null;
        const same = sub && sub.status === c.status;
        out.push({ provider: c.provider.toLowerCase() as Hex, consumer: c.consumer.toLowerCase() as Hex, topic: t, status: c.status, timestamp: c.updatedAtSec, transaction: c.transaction ?? (same ? sub.transaction : null), block: c.block ?? (same ? sub.block : null) });
      }
      return out;
    });
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  /** Count coded refusals (and pass every error on unchanged). */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) {
      if (err instanceof LightNodeError && (err.code.startsWith('BAL_ACCESS_') || err.code === 'BAL_STORE_CONFLICT')) this.refusals.inc({ code: err.code });
      throw err;
    }
  }

  /** Serialise work on one (consumer, topic): concurrent decisions run one after the other. */
  private async locked<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn);
    const tail = run.then(() => undefined, () => undefined);
    this.locks.set(key, tail);
    try { return await run; } finally { if (this.locks.get(key) === tail) this.locks.delete(key); }
  }

  /** Chain reads and writes: a non-coded failure is BAL_ACCESS_CHAIN_UNAVAILABLE. */
  private async chain<T>(fn: () => Promise<T>): Promise<T> {
    try { return await fn(); } catch (err) {
      if (err instanceof LightNodeError) throw err;
      throw new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', `chain call failed: ${(err as Error).message?.slice(0, 200) ?? 'unknown'}`, {}, { cause: err });
    }
  }

  private hash(password: string): Promise<string> {
    return hashPassword(password, this.passwordParams ? { params: this.passwordParams } : {});
  }

  private async registerStream(producer: UserRecord, pod: string): Promise<StreamRecord> {
    const topic = certifiedTopic(pod);
    await this.chain(() => this.certifier.setTopicProvider(topic, producer.wallet));
    const s = await this.store.createStream({ topic, pod, producerId: producer.id }, this.now());
    // The producer reads its own stream over MQTT like an accepted consumer does.
    await this.enforcer.grant(producer.username, topic);
    this.log.info('access stream added', { producer: producer.username, topic });
    return s;
  }

  private async userNamed(username: unknown): Promise<UserRecord> {
    const u = typeof username === 'string' && username.length <= 64 ? await this.store.userByName(username) : null;
    if (!u) throw refuse('BAL_ACCESS_USER_UNKNOWN', `no user ${typeof username === 'string' ? username.slice(0, 64) : ''}`);
    return u;
  }

  private async viewOf(u: UserRecord): Promise<AccessUser> {
    const pods = u.role === 'producer' ? (await this.store.listStreams({ producerId: u.id })).map((s) => s.pod) : [];
    return userView(u, pods);
  }

  private async stream(topic: string): Promise<StreamRecord> {
    const s = await this.store.streamByTopic(topic);
    if (!s) throw refuse('BAL_ACCESS_TOPIC_UNKNOWN', `no stream on topic ${topic}`);
    return s;
  }

  /** A subscription the actor may read (consumer: own; producer: on its topics; admin: any); else UNKNOWN, never a hint. */
  private async visible(actor: AccessUser, id: number): Promise<SubscriptionRecord> {
    const sub = await this.store.subscriptionById(id);
    if (sub && actor.role === 'admin') return sub;
    if (sub && actor.role === 'consumer' && sub.consumerId === actor.id) return sub;
    if (sub && actor.role === 'producer' && (await this.store.streamByTopic(sub.topic))?.producerId === actor.id) return sub;
    throw refuse('BAL_ACCESS_SUBSCRIPTION_UNKNOWN', `subscription ${id} not found`);
  }

  /** Decisions name their refusal: a producer on another's topic is NOT_TOPIC_OWNER, not unknown. */
  private async visibleForDecision(actor: AccessUser, id: number): Promise<SubscriptionRecord> {
    const sub = await this.store.subscriptionById(id);
    if (!sub || (actor.role === 'consumer' && sub.consumerId !== actor.id)) throw refuse('BAL_ACCESS_SUBSCRIPTION_UNKNOWN', `subscription ${id} not found`);
    return sub;
  }

  /** Every check of a decision (role, ownership, state machine) before anything is signed. */
  private async plan(actor: AccessUser, action: SubscriptionAction, target: { topic: string } | { subscriptionId: number }): Promise<Plan> {
    const self = await this.store.userById(actor.id);
    if (!self || !self.enabled) throw refuse('BAL_ACCESS_USER_UNKNOWN', `user ${actor.username} is unknown or disabled`);
    let topic: string;
    let consumer: UserRecord;
    if ('topic' in target) {
      if (action !== 'request') throw refuse('BAL_ACCESS_TRANSITION_INVALID', `${action} needs a subscription id`);
      topic = target.topic;
      consumer = self;
    } else {
      const sub = await this.store.subscriptionById(target.subscriptionId);
      if (!sub) throw refuse('BAL_ACCESS_SUBSCRIPTION_UNKNOWN', `subscription ${target.subscriptionId} not found`);
      topic = sub.topic;
      consumer = (await this.store.userById(sub.consumerId))!;
    }
    const stream = await this.stream(topic);
    const producer = (await this.store.userById(stream.producerId))!;
    const current = await this.store.subscriptionOf(consumer.id, topic);
    const from = current?.status ?? null;
    // Who may act, then the state machine (transitions.ts); the signer is the one who acts.
    const to = decide(from, action, { id: self.id, role: self.role }, { consumerId: consumer.id, producerId: stream.producerId });
    const signer = self;
    return { action, topic, consumer, producer, signer, actorId: self.id, from, to };
  }

  private async message(p: Pick<Plan, 'producer' | 'consumer' | 'topic' | 'to' | 'signer'>, deadline: number): Promise<DecisionMessage> {
    const nonce = await this.chain(() => this.certifier.nonceOf(p.signer.wallet));
    return { provider: p.producer.wallet, consumer: p.consumer.wallet, topic: p.topic, status: p.to, nonce, deadline };
  }

  /** Sign (custodial) or check (bring-your-own) the decision, certify it on chain, store it, enforce it. */
  private async certify(p: Plan, signed?: SignedDecision): Promise<SubscriptionRecord> {
    const nowSec = Math.floor(this.now() / 1000);
    let deadline = nowSec + this.deadlineSec;
    if (p.signer.custody === 'external') {
      if (!signed) throw refuse('BAL_ACCESS_SIGNATURE_INVALID', `${p.signer.username} keeps its own wallet: sign the typed data (GET …/typed-data) and send signature and deadline`);
      if (!Number.isSafeInteger(signed.deadline) || signed.deadline <= nowSec || signed.deadline > nowSec + this.deadlineSec) {
        throw refuse('BAL_ACCESS_SIGNATURE_INVALID', `deadline: expected seconds since epoch in (${nowSec}, ${nowSec + this.deadlineSec}]`, { field: 'deadline' });
      }
      deadline = signed.deadline;
    } else if (signed) {
      throw refuse('BAL_ACCESS_SIGNATURE_INVALID', `${p.signer.username} has a custodial wallet: the BAL signs, send no signature`);
    }
    const msg = await this.message(p, deadline);
    const signature = p.signer.custody === 'custodial' ? await this.signCustodial(p.signer, msg) : this.checkSignature(p.signer, msg, signed!.signature);
    const certified = await this.chain(() => this.certifier.record(msg, signature));
    let rec: SubscriptionRecord;
    try {
      rec = await this.store.applyTransition({
        consumerId: p.consumer.id, topic: p.topic,
        event: { action: p.action, from: p.from, to: p.to, actorId: p.actorId, atMs: this.now(), transaction: certified.transaction, block: certified.block },
      });
    } catch (err) {
      // The chain holds the decision; POST /api/certification relays nothing for it, the store lags.
      this.log.error('access decision certified but not stored', { topic: p.topic, consumer: p.consumer.username, action: p.action, transaction: certified.transaction, err });
      throw err;
    }
    this.decisions.inc({ action: p.action });
    this.log.info('access decision', { action: p.action, topic: p.topic, consumer: p.consumer.username, by: p.signer.username, transaction: certified.transaction, block: certified.block });
    try {
      if (p.to === 'accepted') await this.enforcer.grant(p.consumer.username, p.topic);
      else if (p.from === 'accepted') await this.enforcer.revoke(p.consumer.username, p.topic);
    } catch (err) {
      // Chain and store agree; the broker catches up at its next reconcile.
      this.log.error('access broker update failed', { topic: p.topic, consumer: p.consumer.username, err });
    }
    return rec;
  }

  private signCustodial(signer: UserRecord, msg: DecisionMessage): Promise<Hex> {
    return signCustodial(this.certifier, this.masterKey, signer, msg);
  }

  private checkSignature(signer: UserRecord, msg: DecisionMessage, signature: unknown): Hex {
    return checkSignature(this.certifier, signer, msg, signature);
  }

  /** Relay the stored decisions the chain lacks (after its status `chainStatus`), re-signed by their custodial actors. */
  private async relayMissing(sub: SubscriptionRecord, producer: UserRecord, consumer: UserRecord, chainStatus: SubscriptionStatus | null) {
    const events = await this.store.historyOf(sub.id);
    let start = -1;
    for (let i = events.length - 1; i >= 0; i--) if (events[i]!.to === chainStatus) { start = i + 1; break; }
    if (start < 0) for (let i = events.length - 1; i >= 0; i--) if (events[i]!.action === 'request') { start = i; break; }
    const todo = start < 0 ? [] : events.slice(start);
    if (todo.length === 0) throw refuse('BAL_ACCESS_CHAIN_REFUSED', `the chain holds ${chainStatus ?? 'nothing'} for this subscription and no stored decision follows it`);
    let last = null;
    for (const e of todo) {
      const actor = (await this.store.userById(e.actorId))!;
      if (actor.custody !== 'custodial') throw refuse('BAL_ACCESS_SIGNATURE_INVALID', `the chain lacks a ${e.action} by ${actor.username}, whose own wallet must sign it again`);
      const msg = await this.message({ producer, consumer, topic: sub.topic, to: e.to, signer: actor }, Math.floor(this.now() / 1000) + this.deadlineSec);
      const certified = await this.chain(async () => this.certifier.record(msg, await this.signCustodial(actor, msg)));
      this.log.warn('access decision relayed again', { topic: sub.topic, consumer: consumer.username, action: e.action, transaction: certified.transaction });
      last = certified;
    }
    return last!;
  }

  private async view(s: SubscriptionRecord): Promise<SubscriptionView> {
    const consumer = (await this.store.userById(s.consumerId))!;
    const stream = (await this.store.streamByTopic(s.topic))!;
    const producer = (await this.store.userById(stream.producerId))!;
    return {
      id: s.id, consumer: consumer.username, consumerWallet: consumer.wallet, producer: producer.username, providerWallet: producer.wallet,
      topic: s.topic, pod: stream.pod, status: s.status, createdAtMs: s.createdAtMs, updatedAtMs: s.updatedAtMs, transaction: s.transaction, block: s.block,
    };
  }
}
