/**
 * The Platone low-cost PMU as a StreamSource: it publishes its JSON payload (D2.15 Figure 2) to a
 * local MQTT broker, one topic per device (D2.15 §3.3.1); this subscribes (QoS 1) and turns each
 * payload into one reading draft per component (meter `id.<component>`), with the payload's own
 * time and `source: "pmu-json:<SHA-256 of the payload bytes>"`; the frame sink keeps the bytes
 * (one payload per line). A payload of another device, a malformed one, or a redelivered one
 * (QoS 1 may deliver twice; same time and component) makes no reading. mqtt.js reconnects.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { LightNodeError, ValidationError, isLightNodeError, type ErrorCode } from '@lightnode/shared/errors';
import { METER_RE } from '@lightnode/shared/reading';
import { parsePlatonePayload, platoneComponents, platoneMeasurements, platoneMeterId } from '@lightnode/shared/platone-pmu';
import { noMetrics, type AcquisitionMetrics, type ReadingDraft, type StreamSource } from '../meters/source.js';
import { noFrameSink, type FrameSink } from './frame-sink.js';

export interface PlatoneSourceConfig {
  id: string;
  /** Broker URL (the local broker the PMU publishes to). */
  url: string;
  /** Topic the PMU publishes on (its own topic; wildcards refused). */
  topic: string;
  /** Expected `device` of the payloads; others are refused. Default: any. */
  device?: string;
  /** Unit of `voltangle`/`currangle` in the payloads. */
  angleUnit: 'rad' | 'deg';
  username?: string;
  password?: string;
  /** mqtt.js reconnect period, ms. */
  reconnectMs: number;
  /** File the payloads are appended to, one per line (relative to `dataDir`). */
  frameLog?: string;
}

const KEYS = ['id', 'kind', 'url', 'topic', 'device', 'angleUnit', 'username', 'password', 'reconnectMs', 'frameLog'];

function fail(field: string, expected: string, found: unknown): never {
  throw new ValidationError('CONFIG_INVALID', field, expected, found);
}

/** Validate a `kind: "pmu-json"` entry (CONFIG_INVALID naming the field). */
export function validatePlatoneConfig(x: unknown, field = 'meter'): PlatoneSourceConfig {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) fail(field, 'an object', x);
  const o = x as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KEYS.includes(k)) fail(`${field}.${k}`, `one of ${KEYS.join(', ')}`, k);
  if (typeof o.id !== 'string' || !METER_RE.test(o.id) || o.id.length > 31) fail(`${field}.id`, '1..31 chars [A-Za-z0-9._:-] (the component is appended)', o.id);
  if (typeof o.url !== 'string' || !/^(mqtts?|wss?|tcp|ssl):\/\/./.test(o.url)) fail(`${field}.url`, 'an mqtt(s)://, ws(s)://, tcp:// or ssl:// URL', o.url);
  if (typeof o.topic !== 'string' || o.topic.length === 0 || /[#+]/.test(o.topic)) fail(`${field}.topic`, 'a topic without wildcards', o.topic);
  const angleUnit = o.angleUnit ?? 'rad';
  if (angleUnit !== 'rad' && angleUnit !== 'deg') fail(`${field}.angleUnit`, '"rad" or "deg"', angleUnit);
  const reconnectMs = o.reconnectMs ?? 1000;
  if (typeof reconnectMs !== 'number' || !Number.isInteger(reconnectMs) || reconnectMs < 10 || reconnectMs > 600_000) fail(`${field}.reconnectMs`, 'an integer 10..600000', reconnectMs);
  const c: PlatoneSourceConfig = { id: o.id, url: o.url, topic: o.topic, angleUnit, reconnectMs };
  for (const k of ['device', 'username', 'password', 'frameLog'] as const) {
    if (o[k] === undefined) continue;
    if (typeof o[k] !== 'string' || (o[k] as string).length === 0) fail(`${field}.${k}`, 'a non-empty string', o[k]);
    c[k] = o[k] as string;
  }
  return c;
}

export class PlatoneSource implements StreamSource {
  readonly id: string;
  readonly counters = { payloads: 0, drafts: 0, rejected: 0, duplicates: 0 };
  private client?: MqttClient;
  private readonly last = new Map<string, number>();

  constructor(private readonly c: PlatoneSourceConfig, private readonly metrics: AcquisitionMetrics = noMetrics, private readonly sink: FrameSink = noFrameSink) {
    this.id = c.id;
  }

  start(onDraft: (d: ReadingDraft) => void, onError: (e: Error) => void): void {
    const client = mqtt.connect(this.c.url, {
      clientId: `ln-pmu-${this.c.id}-${Math.random().toString(16).slice(2, 8)}`,
      reconnectPeriod: this.c.reconnectMs,
      ...(this.c.username !== undefined ? { username: this.c.username } : {}),
      ...(this.c.password !== undefined ? { password: this.c.password } : {}),
    });
    this.client = client;
    const report = (err: LightNodeError, metric: ErrorCode = err.code) => { this.metrics.onEvent(metric, this.id); onError(err); };
    client.on('connect', () => { client.subscribe(this.c.topic, { qos: 1 }); });
    client.on('error', (e) => report(new LightNodeError('EDGE_PMU_CONNECTION', `${this.id}: broker ${this.c.url}: ${e.message}`, { url: this.c.url })));
    client.on('offline', () => report(new LightNodeError('EDGE_PMU_CONNECTION', `${this.id}: broker ${this.c.url} unreachable; mqtt.js reconnects every ${this.c.reconnectMs} ms`, { url: this.c.url })));
    client.on('message', (_topic, payload: Buffer) => {
      for (const out of this.handle(payload)) {
        if (out instanceof LightNodeError) report(out, (out.details.reason as ErrorCode | undefined) ?? out.code);
        else onDraft(out);
      }
    });
  }

  /** Drafts of one payload, or the errors that refused it (never throws). */
  handle(payload: Uint8Array): (ReadingDraft | LightNodeError)[] {
    this.counters.payloads++;
    try {
      const p = parsePlatonePayload(payload);
      if (this.c.device !== undefined && p.device !== this.c.device) {
        throw new ValidationError('PROTO_PMU_JSON_INVALID', 'device', `"${this.c.device}" (this source's PMU)`, p.device);
      }
      this.sink.write(Uint8Array.from([...payload, 0x0a]));
      const source = `pmu-json:${bytesToHex(sha256(payload))}`;
      const out: (ReadingDraft | LightNodeError)[] = [];
      for (const component of platoneComponents(p)) {
        const m = platoneMeasurements(p, component, this.c.angleUnit);
        if (m.values.length === 0) continue;
        const meter = platoneMeterId(this.c.id, component);
        const t = m.timestampMs * 1e6 + (m.values.find((v) => v.quantity === '0-0:128.14.0')?.value ?? 0);
        if (this.last.get(meter) === t) {
          this.counters.duplicates++;
          out.push(new LightNodeError('EDGE_PMU_FRAME_DUPLICATE', `${this.id}: payload of ${meter} at ${m.timestampMs} ms read already; dropped`, { meter, timestamp: m.timestampMs }));
          continue;
        }
        this.last.set(meter, t);
        this.counters.drafts++;
        out.push({ meter, timestamp: m.timestampMs, source, values: m.values });
      }
      return out;
    } catch (e) {
      this.counters.rejected++;
      const reason = isLightNodeError(e) ? e.code : 'PROTO_PMU_JSON_INVALID';
      return [new LightNodeError('EDGE_PMU_FRAME_INVALID', `${this.id}: payload refused (${reason}): ${(e as Error).message}`, { reason, ...(isLightNodeError(e) ? { field: e.details.field } : {}), bytes: payload.length })];
    }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.client ? this.client.end(true, {}, () => resolve()) : resolve()));
    await this.sink.close();
  }
}

/** Builds a Platone source from a raw `meters[]` entry (validated here). */
export async function createPlatoneSource(raw: unknown, ctx: { metrics?: AcquisitionMetrics; dataDir?: string }): Promise<PlatoneSource> {
  const c = validatePlatoneConfig(raw, `meters.${String((raw as { id?: unknown } | null)?.id)}`);
  let sink: FrameSink | undefined;
  if (c.frameLog) {
    const { fileFrameSink } = await import('./frame-sink.js');
    const { isAbsolute, resolve } = await import('node:path');
    sink = fileFrameSink(isAbsolute(c.frameLog) || !ctx.dataDir ? c.frameLog : resolve(ctx.dataDir, c.frameLog));
  }
  return new PlatoneSource(c, ctx.metrics, sink);
}
