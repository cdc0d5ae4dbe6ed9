/**
 * Readings from a NATS JetStream stream (issue 16, transport 2; cloud/README "JetStream
 * transport"). Devices keep speaking MQTT 3.1.1 to NATS's MQTT listener; NATS maps the topic
 * `ln/v1/{pod}/readings` to the subject `ln.v1.{pod}.readings`, which a file-backed work-queue
 * stream captures. Every ingest instance pulls from ONE durable consumer with explicit ack, so a
 * message goes to one instance at a time, and the message of an instance that dies unacked is
 * redelivered to another after `ackWaitMs`.
 *
 * - The stream and the consumer are ensured idempotently at start (created, or updated when their
 *   settings differ); concurrent instances racing to create them is fine.
 * - Backpressure: at most `maxInFlight` messages are unsettled in this process, counting the
 *   ones requested from the server and not yet arrived (each pull asks only for free slots).
 * - A message is acked after the handler resolves true (its readings committed and its MQTT
 *   ack on its way), nak'ed with `nakDelayMs` when it resolves false (store failed). While a
 *   handler runs, the message's ack deadline is extended (`working()`).
 * - A message whose subject is not `ln.v1.<PoD>.readings`, or whose payload is empty or over
 *   the size limit, is counted (`bal_jetstream_invalid_total{code}`), logged and terminated
 *   (`term`): never redelivered.
 * - The client reconnects forever, to any server of the cluster; a pull that fails is retried.
 */
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, connect, nanos, type Consumer, type JsMsg, type JetStreamManager, type NatsConnection } from 'nats';
import { LightNodeError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import { CONFIG_INVALID } from '../config.js';
import type { Logger } from '../log.js';
import type { MetricsRegistry } from '../metrics.js';
import { MAX_BATCH_BYTES } from '../verify/verify-core.js';
import type { ReadingsHandler, ReadingsSource } from './source.js';

/** The readings of every PoD as NATS maps `ln/v1/+/readings`. */
export const READINGS_SUBJECTS = 'ln.v1.*.readings';

export interface JetStreamSourceOptions {
  /** `nats://host:port` of the cluster's servers (the client fails over among them). */
  servers: readonly string[];
  /** Stream name; default `LN_READINGS`. */
  stream?: string;
  /** Durable consumer shared by every ingest instance; default `bal-ingest`. */
  consumer?: string;
  /** Stream replicas (1, or 3 in a 3-node cluster); default 1. */
  replicas?: number;
  /** A message not acked this long after delivery is redelivered (to any instance); default 30,000 ms. */
  ackWaitMs?: number;
  /** Unacked messages across all instances before the server stops delivering; default 1000. */
  maxAckPending?: number;
  /** Redelivery delay after a failed store; default 1000 ms. */
  nakDelayMs?: number;
  /** Messages older than this are dropped by the stream (the device resends what was not acked); default 7 days. */
  maxAgeMs?: number;
  username?: string;
  password?: string;
  /** Client name shown by the server (`connz`); default `bal-ingest`. */
  name?: string;
  metrics: MetricsRegistry;
  log: Logger;
}

/** Reason codes of messages terminated by the source (also in src/error-codes.ts). */
export const JETSTREAM_SUBJECT_INVALID = 'BAL_JETSTREAM_SUBJECT_INVALID';
export const JETSTREAM_PAYLOAD_INVALID = 'BAL_JETSTREAM_PAYLOAD_INVALID';

/** The PoD of a readings subject, or null (pure). */
export function podOfSubject(subject: string): string | null {
  const m = /^ln\.v1\.([^.]+)\.readings$/.exec(subject);
  return m && POD_RE.test(m[1]!) ? m[1]! : null;
}

/** Why a message cannot be handed to the ingest, or null (pure). */
export function invalidMessage(subject: string, payloadBytes: number): { code: string; reason: string } | null {
  if (podOfSubject(subject) === null) return { code: JETSTREAM_SUBJECT_INVALID, reason: 'subject is not ln.v1.<PoD>.readings' };
  if (payloadBytes === 0) return { code: JETSTREAM_PAYLOAD_INVALID, reason: 'empty payload' };
  if (payloadBytes > MAX_BATCH_BYTES) return { code: JETSTREAM_PAYLOAD_INVALID, reason: `payload of ${payloadBytes} bytes over ${MAX_BATCH_BYTES}` };
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How long one pull request waits on the server for messages. */
const FETCH_EXPIRES_MS = 5000;

/** A consumer info answer's time limit, ms. */
const INFO_TIMEOUT_MS = 3000;
/** At most one stall check this often, ms. */
const STALL_CHECK_GAP_MS = 5000;

/**
 * Whether an empty pull was a stall (pure): the consumer had messages to deliver (`num_pending`)
 * and room to deliver them (fewer unacked than `max_ack_pending`), yet none came in a whole pull.
 */
export function stalledPull(info: { num_pending: number; num_ack_pending: number; config: { max_ack_pending?: number } }): boolean {
  const max = info.config.max_ack_pending ?? -1;
  return info.num_pending > 0 && (max <= 0 || info.num_ack_pending < max);
}

/** Create the stream and the durable consumer, or bring their settings up to date (idempotent). */
export async function ensureReadingsStream(jsm: JetStreamManager, o: { stream: string; consumer: string; replicas: number; ackWaitMs: number; maxAckPending: number; maxAgeMs: number }): Promise<void> {
  const want = {
    name: o.stream, subjects: [READINGS_SUBJECTS], storage: StorageType.File, num_replicas: o.replicas,
    retention: RetentionPolicy.Workqueue, max_age: nanos(o.maxAgeMs),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const info = await jsm.streams.info(o.stream).catch((err: unknown) => { if (isNotFound(err)) return null; throw err; });
      if (!info) await jsm.streams.add(want);
      else if (info.config.num_replicas !== o.replicas || info.config.max_age !== want.max_age || info.config.subjects.join() !== READINGS_SUBJECTS) {
        await jsm.streams.update(o.stream, { ...info.config, subjects: want.subjects, num_replicas: o.replicas, max_age: want.max_age });
      }
      const cWant = {
        durable_name: o.consumer, ack_policy: AckPolicy.Explicit, ack_wait: nanos(o.ackWaitMs), max_ack_pending: o.maxAckPending,
        deliver_policy: DeliverPolicy.All, max_deliver: -1, filter_subject: READINGS_SUBJECTS,
      };
      const cinfo = await jsm.consumers.info(o.stream, o.consumer).catch((err: unknown) => { if (isNotFound(err)) return null; throw err; });
      if (!cinfo) await jsm.consumers.add(o.stream, cWant);
      else if (cinfo.config.ack_wait !== cWant.ack_wait || cinfo.config.max_ack_pending !== cWant.max_ack_pending) {
        await jsm.consumers.update(o.stream, o.consumer, { ack_wait: cWant.ack_wait, max_ack_pending: cWant.max_ack_pending });
      }
      return;
    } catch (err) {
      // Another instance created it between our info and add, or the cluster is electing a leader:
      // try again; a refusal (subjects overlapping another stream, bad settings) is final.
      if (attempt >= 20 || !transient(err)) throw err;
      await sleep(Math.min(250 * (attempt + 1), 2000));
    }
  }
}

/** A JetStream API error worth retrying: no answer yet, unavailable, or a create race lost. */
function transient(err: unknown): boolean {
  const api = (err as { api_error?: { code?: number; err_code?: number } })?.api_error;
  if (!api) return true; // timeout, no responders, disconnected
  return api.code === 503 || api.code === 408 || api.err_code === 10058 /* stream name in use */ || api.err_code === 10148 /* consumer exists */;
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: string; api_error?: { err_code?: number }; message?: string };
  return e?.code === '404' || e?.api_error?.err_code === 10059 || e?.api_error?.err_code === 10014 || /not found/i.test(e?.message ?? '');
}

/** A ReadingsSource pulling from the durable JetStream consumer (connects in `start`). */
export function jetStreamReadingsSource(opts: JetStreamSourceOptions): ReadingsSource & { connection(): NatsConnection | null } {
  const stream = opts.stream ?? 'LN_READINGS';
  const durable = opts.consumer ?? 'bal-ingest';
  const ackWaitMs = opts.ackWaitMs ?? 30_000;
  const nakDelayMs = opts.nakDelayMs ?? 1000;
  const log = opts.log;
  const r = opts.metrics;
  const m = {
    pulled: r.counter('bal_jetstream_messages_total', 'Readings messages pulled from the JetStream consumer'),
    redelivered: r.counter('bal_jetstream_redelivered_total', 'Pulled messages that were delivered before (another instance died, a nak, an ack timeout)'),
    acks: r.counter('bal_jetstream_acks_total', 'Messages acked (ack), nak\'ed for redelivery (nak) or terminated as invalid (term)', ['kind']),
    invalid: r.counter('bal_jetstream_invalid_total', 'Messages terminated without reaching the ingest, by reason code', ['code']),
    pullErrors: r.counter('bal_jetstream_pull_errors_total', 'Failed pulls (server gone, consumer unavailable); retried'),
    pulls: r.counter('bal_jetstream_pulls_total', 'Pull requests that ended, by result (messages, empty: expired with none)', ['result']),
    stalled: r.counter('bal_jetstream_pulls_abandoned_total', 'Pulls abandoned after a reconnect or past their expiry (asked again)'),
    stalledPulls: r.counter('bal_jetstream_pulls_stalled_total', 'Empty pulls while the consumer had messages to deliver (or did not answer its info); checked at most every 5 s'),
  };
  const stalled = m.stalled;
  let nc: NatsConnection | null = null;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let inFlight = 0;
  let requested = 0;
  let slotWaiter: (() => void) | null = null;
  let fetching: { stop(): void } | null = null;
  const working = new Set<JsMsg>();
  let heartbeat: NodeJS.Timeout | null = null;

  const release = (): void => { const w = slotWaiter; slotWaiter = null; w?.(); };

  function settle(msg: JsMsg, kind: 'ack' | 'nak' | 'term', delay?: number): void {
    try {
      if (kind === 'ack') msg.ack(); else if (kind === 'nak') msg.nak(delay); else msg.term();
      m.acks.inc({ kind });
    } catch (err) {
      // Connection down: the server redelivers after ack wait; the store makes that a duplicate.
      log.warn('jetstream settle failed', { kind, err });
    }
  }

  function dispatch(msg: JsMsg, handle: ReadingsHandler): void {
    m.pulled.inc();
    if (msg.redelivered) m.redelivered.inc();
    const bad = invalidMessage(msg.subject, msg.data.byteLength);
    if (bad) {
      m.invalid.inc({ code: bad.code });
      log.warn('jetstream message refused', { code: bad.code, reason: bad.reason, subject: msg.subject.slice(0, 200), bytes: msg.data.byteLength, seq: msg.seq });
      settle(msg, 'term');
      return;
    }
    inFlight++;
    working.add(msg);
    void handle(podOfSubject(msg.subject)!, Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength))
      .catch(() => false) // the handler never rejects; if it does, redeliver
      .then((ok) => settle(msg, ok ? 'ack' : 'nak', ok ? undefined : nakDelayMs))
      .finally(() => { working.delete(msg); inFlight--; release(); });
  }

  let lastChecked = 0;
  /**
   * After a pull that came back empty, at most every STALL_CHECK_GAP_MS: ask the consumer whether
   * it had messages this instance could have taken (pending, fewer unacked than
   * max_ack_pending). If so the pull stalled: counted and logged, not acted on (cloud/README
   * "JetStream transport": after the consumer leader's node dies, pulls stay empty for about
   * 10 s, on every instance, while messages are pending; a reconnect does not shorten it).
   */
  async function checkStalled(consumer: Consumer): Promise<void> {
    if (!nc || nc.isClosed() || Date.now() - lastChecked < STALL_CHECK_GAP_MS) return;
    lastChecked = Date.now();
    let reason: string | null = null;
    try {
      const info = await Promise.race([consumer.info(), sleep(INFO_TIMEOUT_MS).then(() => null)]);
      if (info === null) reason = 'consumer info unanswered';
      else if (stalledPull(info)) reason = `${info.num_pending} pending, ${info.num_ack_pending} unacked of ${info.config.max_ack_pending}`;
    } catch (err) {
      reason = `consumer info failed: ${(err as Error).message}`;
    }
    if (reason === null || stopped) return;
    m.stalledPulls.inc();
    log.warn('jetstream pull came back empty while the consumer had messages', { stream, consumer: durable, reason });
  }

  async function pullLoop(consumer: Consumer, handle: ReadingsHandler, maxInFlight: number): Promise<void> {
    let failures = 0;
    while (!stopped) {
      if (nc?.isClosed()) { log.warn('jetstream connection closed; no more pulls', { stream, consumer: durable }); return; }
      const free = maxInFlight - inFlight - requested;
      if (free <= 0) { await new Promise<void>((res) => { slotWaiter = res; }); continue; }
      requested = free;
      try {
        // The pull request itself can hang while the client moves to another server: bounded too.
        const pending = consumer.fetch({ max_messages: free, expires: FETCH_EXPIRES_MS });
        const iter = await Promise.race([pending, sleep(FETCH_EXPIRES_MS).then(() => null)]);
        if (iter === null) {
          stalled.inc();
          void pending.then((it) => it.stop(), () => {});
          continue;
        }
        fetching = iter;
        if (stopped) iter.stop();
        // A pull lives at most FETCH_EXPIRES_MS on the server; one that outlives it (its server
        // died, the client moved to another) is abandoned and asked again.
        const watchdog = setTimeout(() => { stalled.inc(); iter.stop(); }, FETCH_EXPIRES_MS + 2000);
        let got = 0;
        try {
          for await (const msg of iter) {
            got++;
            requested = Math.max(0, requested - 1);
            if (stopped) { settle(msg, 'nak', 0); continue; }
            dispatch(msg, handle);
          }
        } finally { clearTimeout(watchdog); }
        m.pulls.inc({ result: got > 0 ? 'messages' : 'empty' });
        if (got === 0 && !stopped) await checkStalled(consumer);
        failures = 0;
      } catch (err) {
        m.pullErrors.inc();
        failures++;
        if (failures === 1 || failures % 20 === 0) log.warn('jetstream pull failed; retrying', { stream, consumer: durable, failures, err });
        await sleep(Math.min(200 * failures, 2000));
      } finally {
        fetching = null;
        requested = 0;
      }
    }
  }

  return {
    kind: 'jetstream',
    describe: `${stream}/${durable} (${opts.servers.join(',')})`,
    connection: () => nc,
    async start(handle, { maxInFlight }) {
      if (opts.servers.length === 0) throw new LightNodeError(CONFIG_INVALID, 'ingest.jetstream.servers: at least one server');
      const conn = await connect({
        servers: [...opts.servers], name: opts.name ?? 'bal-ingest', maxReconnectAttempts: -1, reconnectTimeWait: 500, waitOnFirstConnect: true,
        ...(opts.username ? { user: opts.username } : {}), ...(opts.password !== undefined ? { pass: opts.password } : {}),
      });
      nc = conn;
      void (async () => {
        for await (const s of conn.status()) {
          if (s.type === 'disconnect' || s.type === 'reconnect') log.info(`jetstream ${s.type}`, { server: s.data });
          // The pending pull lived on the old connection: ask the new server at once.
          if (s.type === 'reconnect' && fetching) { stalled.inc(); fetching.stop(); }
          else if (s.type === 'error') log.warn('jetstream connection error', { err: s.data });
        }
      })().catch(() => {});
      const jsm = await conn.jetstreamManager();
      await ensureReadingsStream(jsm, {
        stream, consumer: durable, replicas: opts.replicas ?? 1, ackWaitMs, maxAckPending: opts.maxAckPending ?? 1000, maxAgeMs: opts.maxAgeMs ?? 7 * 86_400_000,
      });
      const consumer = await conn.jetstream().consumers.get(stream, durable);
      // Keep the messages being handled from timing out (a long store transaction, a queue).
      heartbeat = setInterval(() => { for (const msg of working) { try { msg.working(); } catch { /* reconnecting */ } } }, Math.max(500, Math.floor(ackWaitMs / 3)));
      heartbeat.unref();
      loop = pullLoop(consumer, handle, maxInFlight);
    },
    async stop() {
      stopped = true;
      release();
      fetching?.stop();
      await loop;
      if (heartbeat) clearInterval(heartbeat);
      // Let in-flight handlers settle their messages before the connection goes.
      const deadline = Date.now() + ackWaitMs;
      while (inFlight > 0 && Date.now() < deadline) await sleep(20);
      await nc?.drain().catch(() => nc?.close());
    },
  };
}
