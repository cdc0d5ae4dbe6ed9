/**
 * MQTT uplink (DESIGN §4, issue 4 item 6). Sends spooled readings in QoS 1 batches on
 * `ln/v1/{pod}/readings`, oldest first, with at most `inFlightBatches` unacknowledged batches;
 * applies the BAL's acks to the spool; resends from the oldest unacked reading after a
 * reconnect or an ack timeout (at-least-once: the BAL acks a resent reading as a duplicate).
 * Keeps a retained `status` message with an `offline` last will. Reconnects with exponential
 * backoff and jitter.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { topicFor, type TopicKind } from '@lightnode/shared/topics';
import { parseAck, type Status } from '@lightnode/shared/messages';
import type { Hex } from '@lightnode/shared/hex';
import type { MqttConfig } from '../config.js';
import type { Spool } from '../spool/spool.js';
import { Metrics } from '../ops/metrics.js';
import { nullLogger, type Logger } from '../ops/logger.js';
import { Backoff } from './backoff.js';

export interface UplinkOptions {
  config: MqttConfig;
  pod: string;
  device: Hex;
  agentVersion: string;
  spool: Spool;
  metrics?: Metrics;
  logger?: Logger;
  now?: () => number;
}

/** Upper bound of one batch's payload, bytes (the shared message limit is 1 MiB). */
export const MAX_BATCH_BYTES = 900 * 1024;

interface InFlight { seqs: Set<number>; sentMs: number }

/**
 * CONNACK codes meaning "this broker does not speak the protocol level you asked for": 3.1.1
 * return code 1 (a 3.1.1 broker answering a v5 CONNECT, as parsed by the v5 client) and the v5
 * reason code 0x84 "Unsupported Protocol Version".
 */
function isProtocolRefusal(code: unknown): boolean {
  return code === 1 || code === 0x84;
}

/** Handler for messages on a subscribed kind (setpoints). */
export type MessageHandler = (payload: Buffer) => void;

/** The uplink. `start()` connects; `notify()` after spooling; `stop()` publishes offline and ends. */
export class Uplink {
  readonly #o: UplinkOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  #client: MqttClient | undefined;
  #connected = false;
  #stopped = false;
  #cursor = -1;
  readonly #inFlight = new Map<number, InFlight>(); // by batch first seq
  readonly #batchOf = new Map<number, number>(); // seq -> batch first seq
  readonly #handlers = new Map<string, MessageHandler>();
  #reconnectTimer: NodeJS.Timeout | undefined;
  #statusTimer: NodeJS.Timeout | undefined;
  #ackTimer: NodeJS.Timeout | undefined;
  #pumping = false;
  #lastAckMs: number | null = null;
  /** The protocol in use: the configured one until a broker refuses MQTT 5 (then 4 for good). */
  #protocolVersion: 4 | 5;
  readonly #m;

  constructor(opts: UplinkOptions) {
    this.#o = opts;
    this.#log = (opts.logger ?? nullLogger).child({ component: 'uplink' });
    this.#now = opts.now ?? Date.now;
    this.#backoff = new Backoff(opts.config.reconnectMinMs, opts.config.reconnectMaxMs);
    this.#protocolVersion = opts.config.protocolVersion;
    const m = opts.metrics ?? new Metrics();
    this.#m = {
      published: m.counter('uplink_readings_published_total', 'Readings published (including resends)'),
      batches: m.counter('uplink_batches_published_total', 'Reading batches published'),
      resends: m.counter('uplink_resends_total', 'Times the uplink rewound to the oldest unacked reading, by reason'),
      acks: m.counter('uplink_acks_total', 'Ack messages received, by result (ok|invalid)'),
      connects: m.counter('uplink_connects_total', 'Successful MQTT connections'),
      errors: m.counter('uplink_errors_total', 'MQTT client errors, by code'),
      fallbacks: m.counter('uplink_protocol_fallbacks_total', 'Times a broker refused MQTT 5 and the uplink fell back to 3.1.1'),
    };
    m.gaugeFn('uplink_connected', '1 when connected to the broker', () => (this.#connected ? 1 : 0));
    m.gaugeFn('uplink_inflight_batches', 'Published batches not yet fully acked', () => this.#inFlight.size);
  }

  get connected(): boolean { return this.#connected; }
  /** The MQTT protocol level in use: 5, or 4 (3.1.1) as configured or after a fallback. */
  get protocolVersion(): 4 | 5 { return this.#protocolVersion; }
  get lastAckMs(): number | null { return this.#lastAckMs; }

  #status(state: 'online' | 'offline'): Buffer {
    const st = this.#o.spool.status();
    const msg: Status = {
      v: 1, pod: this.#o.pod, device: this.#o.device, state, ts: this.#now(), lastSeq: st.lastSeq,
      spoolDepth: st.depth, quarantined: st.quarantined, agentVersion: this.#o.agentVersion,
    };
    return Buffer.from(JSON.stringify(msg));
  }

  #options(): IClientOptions {
    const c = this.#o.config;
    const opts: IClientOptions = {
      protocolVersion: this.#protocolVersion,
      clientId: c.clientId,
      clean: true,
      keepalive: c.keepaliveSec,
      reconnectPeriod: 0, // we schedule reconnects ourselves, with backoff
      connectTimeout: 10_000,
      // mqtt-packet otherwise pre-builds 65,536 two-byte Buffers (≈ 6 MB of heap, ≈ 7 MB RSS)
      // to write packet ids and lengths; measured no CPU difference at the agent's rates.
      writeCache: false,
      will: { topic: topicFor(this.#o.pod, 'status'), payload: this.#status('offline'), qos: 1, retain: true },
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
    };
    if (c.tls.caFile) opts.ca = readFileSync(c.tls.caFile);
    if (c.tls.certFile) opts.cert = readFileSync(c.tls.certFile);
    if (c.tls.keyFile) opts.key = readFileSync(c.tls.keyFile);
    opts.rejectUnauthorized = c.tls.rejectUnauthorized;
    return opts;
  }

  /** Register the handler of a subscribed topic kind (e.g. 'setpoints'); call before start(). */
  on(kind: TopicKind, handler: MessageHandler): void {
    this.#handlers.set(topicFor(this.#o.pod, kind), handler);
  }

  /** Connect (non-blocking: returns at once; the uplink keeps trying with backoff). */
  start(): void {
    this.#stopped = false;
    this.#connect();
    this.#statusTimer = setInterval(() => this.#publishStatus(), this.#o.config.statusIntervalMs);
    this.#statusTimer.unref();
    this.#ackTimer = setInterval(() => this.#checkAckTimeout(), Math.max(100, Math.min(5000, this.#o.config.ackTimeoutMs / 4)));
    this.#ackTimer.unref();
  }

  #connect(): void {
    if (this.#stopped) return;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.#o.config.url, this.#options());
    } catch (err) {
      this.#log.error('mqtt connect failed', { err });
      this.#m.errors.inc({ code: 'EDGE_MQTT_CONNECT' });
      this.#scheduleReconnect();
      return;
    }
    this.#client = client;
    client.on('connect', () => void this.#onConnect(client));
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    client.on('error', (err: Error & { code?: unknown }) => {
      if (this.#client === client && this.#protocolVersion === 5 && isProtocolRefusal(err.code)) {
        // A 3.1.1-only broker (e.g. aedes) answers an MQTT 5 CONNECT with "unacceptable protocol
        // version": speak 3.1.1 from now on, for the rest of this process, and retry at once.
        this.#protocolVersion = 4;
        this.#m.fallbacks.inc();
        this.#log.warn('broker refused MQTT 5 (unacceptable protocol version): falling back to MQTT 3.1.1', { url: this.#o.config.url, code: err.code });
        this.#backoff.reset();
      }
      this.#m.errors.inc({ code: typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? `MQTT_${err.code}` : 'EDGE_MQTT_ERROR' });
      this.#log.warn('mqtt error', { err });
    });
    client.on('close', () => {
      if (this.#client !== client) return;
      const was = this.#connected;
      this.#connected = false;
      if (was) this.#log.warn('mqtt disconnected');
      client.removeAllListeners('connect');
      client.end(true);
      this.#client = undefined;
      this.#scheduleReconnect();
    });
  }

  #scheduleReconnect(): void {
    if (this.#stopped || this.#reconnectTimer) return;
    const delay = this.#backoff.next();
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delay);
  }

  async #onConnect(client: MqttClient): Promise<void> {
    this.#connected = true;
    this.#backoff.reset();
    this.#m.connects.inc();
    this.#log.info('mqtt connected', { url: this.#o.config.url, protocolVersion: this.#protocolVersion });
    // A fresh session: anything in flight before may or may not have reached the BAL; resend
    // from the oldest spooled reading (the BAL answers duplicates), oldest first.
    this.#rewind('reconnect');
    const topics: Record<string, { qos: 1 }> = { [topicFor(this.#o.pod, 'ack')]: { qos: 1 } };
    for (const t of this.#handlers.keys()) topics[t] = { qos: 1 };
    try {
      await client.subscribeAsync(topics);
      await client.publishAsync(topicFor(this.#o.pod, 'status'), this.#status('online'), { qos: 1, retain: true });
    } catch (err) {
      this.#log.warn('mqtt subscribe/status failed', { err });
    }
    this.#pump();
  }

  #rewind(reason: string): void {
    if (this.#cursor >= 0 || this.#inFlight.size) this.#m.resends.inc({ reason });
    this.#cursor = -1;
    this.#inFlight.clear();
    this.#batchOf.clear();
  }

  #checkAckTimeout(): void {
    const now = this.#now();
    for (const b of this.#inFlight.values()) {
      if (now - b.sentMs > this.#o.config.ackTimeoutMs) {
        this.#log.warn('ack timeout: resending from the oldest unacked reading');
        this.#rewind('ack_timeout');
        this.#pump();
        return;
      }
    }
  }

  /** Tell the uplink new readings are spooled. */
  notify(): void {
    this.#pump();
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      const c = this.#o.config;
      while (this.#connected && this.#client && this.#inFlight.size < c.inFlightBatches) {
        const all = this.#o.spool.pending(this.#cursor, c.batchSize);
        if (all.length === 0) break;
        // Keep a batch under MAX_BATCH_BYTES (the message limit is 1 MiB; readings vary in size).
        let bytes = 0;
        let cut = 0;
        while (cut < all.length && (cut === 0 || bytes + all[cut]!.bytes + 1 <= MAX_BATCH_BYTES)) bytes += all[cut++]!.bytes + 1;
        const rows = all.slice(0, cut);
        // The bodies are the signed readings exactly as spooled: splice them, do not re-encode.
        const payload = `{"v":1,"readings":[${rows.map((r) => r.body).join(',')}]}`;
        const first = rows[0]!.seq;
        const seqs = new Set(rows.map((r) => r.seq));
        this.#inFlight.set(first, { seqs, sentMs: this.#now() });
        for (const s of seqs) this.#batchOf.set(s, first);
        this.#cursor = rows[rows.length - 1]!.seq;
        this.#client.publish(topicFor(this.#o.pod, 'readings'), payload, { qos: 1 }, (err) => {
          if (err) this.#log.warn('publish failed', { err });
        });
        this.#m.batches.inc();
        this.#m.published.inc({}, rows.length);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #onMessage(topic: string, payload: Buffer): void {
    if (topic === topicFor(this.#o.pod, 'ack')) {
      this.#onAck(payload);
      return;
    }
    const h = this.#handlers.get(topic);
    if (!h) return;
    try {
      h(payload);
    } catch (err) {
      this.#log.error('message handler failed', { topic, err });
    }
  }

  #onAck(payload: Buffer): void {
    let ack;
    try {
      ack = parseAck(payload);
    } catch (err) {
      this.#m.acks.inc({ result: 'invalid' });
      this.#log.warn('invalid ack ignored', { err });
      return;
    }
    this.#m.acks.inc({ result: 'ok' });
    const res = this.#o.spool.applyAck(ack);
    this.#lastAckMs = this.#now();
    if (res.quarantined) this.#log.warn('readings rejected by the BAL, quarantined', { rejected: ack.rejected.slice(0, 10) });
    const done = (seq: number): void => {
      const first = this.#batchOf.get(seq);
      if (first === undefined) return;
      this.#batchOf.delete(seq);
      const b = this.#inFlight.get(first);
      if (!b) return;
      b.seqs.delete(seq);
      if (b.seqs.size === 0) this.#inFlight.delete(first);
    };
    for (const s of ack.stored) done(s);
    for (const s of ack.duplicate) done(s);
    for (const r of ack.rejected) done(r.seq);
    this.#pump();
  }

  #publishStatus(): void {
    if (!this.#connected || !this.#client) return;
    this.#client.publish(topicFor(this.#o.pod, 'status'), this.#status('online'), { qos: 1, retain: true });
  }

  /** Publish a message of `kind` (activations) at QoS 1; resolves when the broker has it. */
  async publish(kind: TopicKind, payload: string | Buffer, opts: { retain?: boolean } = {}): Promise<void> {
    if (!this.#connected || !this.#client) throw new Error('not connected');
    await this.#client.publishAsync(topicFor(this.#o.pod, kind), payload, { qos: 1, retain: opts.retain ?? false });
  }

  /** Cut the TCP link without an MQTT DISCONNECT, as a failing network would (fault injection, tests). */
  dropConnection(): void {
    this.#client?.stream.destroy();
  }

  /** Publish an `offline` status (retained) and disconnect. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reconnectTimer) clearTimeout(this.#reconnectTimer);
    if (this.#statusTimer) clearInterval(this.#statusTimer);
    if (this.#ackTimer) clearInterval(this.#ackTimer);
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (!client) return;
    try {
      if (client.connected) {
        await Promise.race([
          client.publishAsync(topicFor(this.#o.pod, 'status'), this.#status('offline'), { qos: 1, retain: true }),
          new Promise((r) => setTimeout(r, 1000)),
        ]);
      }
    } catch { /* best effort: the last will covers it */ }
    await client.endAsync(true).catch(() => undefined);
  }
}
