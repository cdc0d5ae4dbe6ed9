/**
 * The uplink's MQTT session: connect (TLS, credentials, last will), reconnect with the edge's
 * backoff on the injected clock, and fall back once from MQTT 5 to 3.1.1 when a broker refuses
 * 5. It knows nothing of readings: the uplink gets `onConnect` / `onMessage` and publishes
 * through it.
 * A session taken over by another client with the same client id (MQTT 5 DISCONNECT 0x8E, or
 * QUICK_DROPS_FOR_TAKEOVER drops each within QUICK_DROP_MS of its CONNACK) is not fought back
 * (issue 17: two agents on one config swapped the session 2.3 times a second): the next connect
 * waits a delay that doubles from `takeoverBackoffMinMs` to `takeoverBackoffMaxMs`, and the
 * takeover is logged, counted and shown in `state`.
 */
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { LightNodeError } from '@lightnode/shared/errors';
import type { MqttConfig } from '../config.js';
import type { Metrics } from '../ops/metrics.js';
import type { Logger } from '../ops/logger.js';
import type { Clock } from '../scheduler/clock.js';
import { Backoff } from '../scheduler/backoff.js';

/** A message to publish at QoS 1 (status, will). */
export interface SessionMessage { topic: string; payload: string | Buffer; retain?: boolean }

export interface MqttSessionOptions {
  config: MqttConfig;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** The last will, asked for at every CONNECT (it carries fresh spool numbers). */
  will(): SessionMessage;
  /** Connected (a fresh session each time: nothing is subscribed yet). */
  onConnect(): void;
  /** A message on a subscribed topic. */
  onMessage(topic: string, payload: Buffer): void;
  /** Backoff jitter source; default Math.random. */
  random?: () => number;
}

/** How long `stop()` waits for the broker to take the final message, ms. */
const FINAL_PUBLISH_TIMEOUT_MS = 1000;

/** MQTT 5 reason code "Session taken over". */
export const REASON_SESSION_TAKEN_OVER = 0x8e;
/** A close this soon after CONNACK is a quick drop. */
export const QUICK_DROP_MS = 3000;
/** Quick drops in a row that count as a takeover when the broker gives no reason (MQTT 3.1.1). */
export const QUICK_DROPS_FOR_TAKEOVER = 3;

/** The session as status and /healthz report it. */
export interface SessionState {
  connected: boolean;
  protocolVersion: 4 | 5;
  clientId: string;
  /** Takeovers seen since start. */
  takeovers: number;
  /** The last takeover: how it showed, when, and until when the session waits (null: none yet). */
  lastTakeover: { signal: TakeoverSignal; atMs: number; retryAtMs: number } | null;
}

export type TakeoverSignal = 'reason_0x8e' | 'quick_disconnects';

/**
 * CONNACK codes meaning "this broker does not speak the protocol level you asked for": 3.1.1
 * return code 1 (a 3.1.1 broker answering a v5 CONNECT, as parsed by the v5 client) and the v5
 * reason code 0x84 "Unsupported Protocol Version".
 */
function isProtocolRefusal(code: unknown): boolean {
  return code === 1 || code === 0x84;
}

/** One MQTT session that keeps itself connected until `stop()`. */
export class MqttSession {
  readonly #o: MqttSessionOptions;
  readonly #backoff: Backoff;
  #client: MqttClient | undefined;
  #connected = false;
  #stopped = false;
  #reconnectTimer: unknown;
  readonly #takeoverBackoff: Backoff;
  #connectedAt: number | null = null;
  #brokerReason: number | null = null;
  #quickDrops = 0;
  #takeovers = 0;
  #lastTakeover: SessionState['lastTakeover'] = null;
  /** The protocol in use: the configured one until a broker refuses MQTT 5 (then 4 for good). */
  #protocolVersion: 4 | 5;
  readonly #m;

  constructor(opts: MqttSessionOptions) {
    this.#o = opts;
    this.#backoff = new Backoff({ minMs: opts.config.reconnectMinMs, maxMs: opts.config.reconnectMaxMs, ...(opts.random ? { random: opts.random } : {}) });
    this.#protocolVersion = opts.config.protocolVersion;
    this.#takeoverBackoff = new Backoff({ minMs: opts.config.takeoverBackoffMinMs, maxMs: opts.config.takeoverBackoffMaxMs, jitter: 'tenth', ...(opts.random ? { random: opts.random } : {}) });
    const m = opts.metrics;
    this.#m = {
      connects: m.counter('uplink_connects_total', 'Successful MQTT connections'),
      errors: m.counter('uplink_errors_total', 'MQTT client errors, by code'),
      fallbacks: m.counter('uplink_protocol_fallbacks_total', 'Times a broker refused MQTT 5 and the uplink fell back to 3.1.1'),
      takeovers: m.counter('uplink_session_takeovers_total', 'Times another client took this session over (same client id), by signal (reason_0x8e|quick_disconnects); each one backs off'),
    };
    m.gaugeFn('uplink_connected', '1 when connected to the broker', () => (this.#connected ? 1 : 0));
    m.gaugeFn('uplink_takeover_backoff_ms', 'ms until the next connect after a takeover (0: not backing off)', () => Math.max(0, (this.#lastTakeover?.retryAtMs ?? 0) - this.#o.clock.now()));
  }

  /** Whether the broker has accepted our CONNECT and the link is up. */
  get connected(): boolean { return this.#connected; }
  /** The MQTT protocol level in use: 5, or 4 (3.1.1) as configured or after a fallback. */
  get protocolVersion(): 4 | 5 { return this.#protocolVersion; }
  /** Connection and takeover state (for /healthz and status). */
  get state(): SessionState {
    return { connected: this.#connected, protocolVersion: this.#protocolVersion, clientId: this.#o.config.clientId, takeovers: this.#takeovers, lastTakeover: this.#lastTakeover };
  }

  #options(): IClientOptions {
    const c = this.#o.config;
    let will: SessionMessage | undefined;
    try {
      will = this.#o.will();
    } catch (err) {
      // Connect without a will rather than not at all (e.g. a clock the status codec refuses).
      this.#o.logger.warn('last will not encodable; connecting without one', { err });
    }
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
      ...(will ? { will: { topic: will.topic, payload: Buffer.from(will.payload), qos: 1 as const, retain: will.retain ?? false } } : {}),
      ...(c.username ? { username: c.username } : {}),
      ...(c.password ? { password: c.password } : {}),
    };
    if (c.tls.caFile) opts.ca = readFileSync(c.tls.caFile);
    if (c.tls.certFile) opts.cert = readFileSync(c.tls.certFile);
    if (c.tls.keyFile) opts.key = readFileSync(c.tls.keyFile);
    opts.rejectUnauthorized = c.tls.rejectUnauthorized;
    return opts;
  }

  /** Connect (non-blocking: returns at once; the session keeps trying with backoff). */
  start(): void {
    this.#stopped = false;
    this.#connect();
  }

  #connect(): void {
    if (this.#stopped) return;
    const log = this.#o.logger;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.#o.config.url, this.#options());
    } catch (err) {
      log.error('mqtt connect failed', { err });
      this.#m.errors.inc({ code: 'EDGE_MQTT_CONNECT' });
      this.#scheduleReconnect();
      return;
    }
    this.#client = client;
    client.on('connect', () => {
      this.#connected = true;
      this.#connectedAt = this.#o.clock.now();
      this.#brokerReason = null;
      this.#backoff.reset();
      this.#m.connects.inc();
      log.info('mqtt connected', { url: this.#o.config.url, protocolVersion: this.#protocolVersion });
      this.#o.onConnect();
    });
    client.on('message', (topic, payload) => this.#o.onMessage(topic, payload));
    client.on('disconnect', (packet) => { if (this.#client === client) this.#brokerReason = packet.reasonCode ?? 0; });
    client.on('error', (err: Error & { code?: unknown }) => {
      if (this.#client === client && this.#protocolVersion === 5 && isProtocolRefusal(err.code)) {
        // A 3.1.1-only broker (e.g. aedes) answers an MQTT 5 CONNECT with "unacceptable protocol
        // version": speak 3.1.1 from now on, for the rest of this process, and retry at once.
        this.#protocolVersion = 4;
        this.#m.fallbacks.inc();
        log.warn('broker refused MQTT 5 (unacceptable protocol version): falling back to MQTT 3.1.1', { url: this.#o.config.url, code: err.code });
        this.#backoff.reset();
      }
      this.#m.errors.inc({ code: typeof err.code === 'string' ? err.code : typeof err.code === 'number' ? `MQTT_${err.code}` : 'EDGE_MQTT_ERROR' });
      log.warn('mqtt error', { err });
    });
    client.on('close', () => {
      if (this.#client !== client) return;
      const was = this.#connected;
      this.#connected = false;
      if (was) log.warn('mqtt disconnected', this.#brokerReason !== null ? { reasonCode: this.#brokerReason } : {});
      client.removeAllListeners('connect');
      client.end(true);
      this.#client = undefined;
      this.#scheduleReconnect(was ? this.#takeoverDelay() : null);
    });
  }

  /** After a close of a live connection: the takeover delay when it looks taken over, else null (ordinary backoff). */
  #takeoverDelay(): number | null {
    const now = this.#o.clock.now();
    const upMs = now - (this.#connectedAt ?? now);
    const reason = this.#brokerReason;
    this.#connectedAt = null;
    this.#brokerReason = null;
    // A connection that held a while ends a takeover streak: the other client is gone.
    if (upMs >= this.#o.config.takeoverBackoffMaxMs) this.#takeoverBackoff.reset();
    let signal: TakeoverSignal | null = null;
    if (reason === REASON_SESSION_TAKEN_OVER) signal = 'reason_0x8e';
    else if (upMs < QUICK_DROP_MS) { if (++this.#quickDrops >= QUICK_DROPS_FOR_TAKEOVER) signal = 'quick_disconnects'; }
    else this.#quickDrops = 0;
    if (signal === null) return null;
    this.#quickDrops = 0;
    const delay = this.#takeoverBackoff.next();
    this.#takeovers++;
    this.#lastTakeover = { signal, atMs: now, retryAtMs: now + delay };
    this.#m.takeovers.inc({ signal });
    this.#o.logger.error('mqtt session taken over: another client uses this client id (a second agent with this config?); backing off instead of taking it back', {
      code: 'EDGE_MQTT_SESSION_TAKEN_OVER', clientId: this.#o.config.clientId, signal, retryInMs: delay, takeovers: this.#takeovers,
    });
    return delay;
  }

  #scheduleReconnect(delayMs: number | null = null): void {
    if (this.#stopped || this.#reconnectTimer !== undefined) return;
    this.#reconnectTimer = this.#o.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect();
    }, delayMs ?? this.#backoff.next(), { keepAlive: true });
  }

  #live(): MqttClient {
    if (!this.#connected || !this.#client) throw new LightNodeError('EDGE_MQTT_NOT_CONNECTED', `not connected to ${this.#o.config.url}`, { url: this.#o.config.url });
    return this.#client;
  }

  /** Publish at QoS 1 without waiting (no-op when not connected: the uplink resends from the spool). */
  publish(msg: SessionMessage): void {
    if (!this.#connected || !this.#client) return;
    this.#client.publish(msg.topic, msg.payload, { qos: 1, retain: msg.retain ?? false }, (err) => {
      if (err) this.#o.logger.warn('publish failed', { err });
    });
  }

  /** Publish at QoS 1; resolves when the broker has it. Throws EDGE_MQTT_NOT_CONNECTED when down. */
  async publishAsync(msg: SessionMessage): Promise<void> {
    await this.#live().publishAsync(msg.topic, msg.payload, { qos: 1, retain: msg.retain ?? false });
  }

  /** Subscribe to topics at QoS 1 (after each connect: sessions are clean). */
  async subscribe(topics: readonly string[]): Promise<void> {
    const req: Record<string, { qos: 1 }> = {};
    for (const t of topics) req[t] = { qos: 1 };
    await this.#live().subscribeAsync(req);
  }

  /** Cut the TCP link without an MQTT DISCONNECT, as a failing network would (fault injection, tests). */
  dropConnection(): void {
    this.#client?.stream.destroy();
  }

  /** Stop reconnecting; publish `final()` (best effort, ≤ 1 s) when connected; disconnect. */
  async stop(final?: () => SessionMessage): Promise<void> {
    this.#stopped = true;
    if (this.#reconnectTimer !== undefined) this.#o.clock.clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    const client = this.#client;
    this.#client = undefined;
    this.#connected = false;
    if (!client) return;
    if (client.connected && final) {
      let timer: unknown;
      const timeout = new Promise<void>((r) => { timer = this.#o.clock.setTimeout(r, FINAL_PUBLISH_TIMEOUT_MS, { keepAlive: true }); });
      try {
        const msg = final();
        await Promise.race([client.publishAsync(msg.topic, msg.payload, { qos: 1, retain: msg.retain ?? false }), timeout]);
      } catch { /* best effort: the last will covers it */ }
      this.#o.clock.clearTimeout(timer);
    }
    await client.endAsync(true).catch(() => undefined);
  }
}
