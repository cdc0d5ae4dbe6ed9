/**
 * The data-server simulator (issue 13 §5): a DSO Data Server that sends the 15-minute feed of N
 * PoDs to the BAL's broker as signed CIM MeterReadings (`cim/v1/{serverId}/meter-readings`,
 * QoS 1, its own broker account, TLS when the URL is mqtts://) and reads the BAL's replies on
 * `cim/v1/{serverId}/ack`. `send` sends one quarter and resolves with the reply; `run` sends
 * every `intervalMs` (of simulated time: one quarter per tick).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { decodeCimXml, encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import { decodeCimJson, encodeCimJson } from '@lightnode/shared/cim/json-codec';
import type { CimMessage } from '@lightnode/shared/cim/model';
import { cimPayloadHash, signCimMessage } from '@lightnode/shared/cim/signed-message';
import { cimTopic } from '@lightnode/shared/topics';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import { LightNodeError } from '@lightnode/shared/errors';
import type { Hex } from '@lightnode/shared/hex';
import { QUARTER_MS, feedMessage, type FeedFault } from './feed.js';

export interface DataServerSimOptions {
  /** Broker URL (mqtt:// or mqtts://). */
  url: string;
  username: string;
  password: string;
  /** CA certificate (PEM) for mqtts://. */
  ca?: string | Buffer;
  /** The DataServerRegistry id (also the topic level). */
  serverId: string;
  /** The server's signing key (32 bytes). */
  privateKey: Uint8Array;
  /** The Light Node domain of the deployment (chain id, PodRegistry). */
  domain: Eip712Domain;
  pods: readonly string[];
  /** Payload format; default xml. */
  format?: 'xml' | 'json';
  /** How long `send` waits for the reply, ms; default 60,000. */
  replyTimeoutMs?: number;
  /** Clock for Header.Timestamp, ms; default Date.now. */
  now?: () => number;
}

/** One quarter sent and what the BAL answered. */
export interface SentQuarter {
  messageId: string;
  /** keccak256 of the payload (the stored readings' source). */
  hash: Hex;
  /** The exact payload bytes. */
  payload: Uint8Array;
  /** The BAL's reply. */
  reply: CimMessage;
}

export interface DataServerSim {
  /** Send the quarter ending at `atMs` (default: the last whole quarter), optionally with a fault; resolves with the reply. */
  send(opts?: { atMs?: number; fault?: FeedFault }): Promise<SentQuarter>;
  /** Send an arbitrary MeterReadings message (e.g. a re-import), signed; resolves with the reply. */
  sendMessage(message: CimMessage, fault?: FeedFault): Promise<SentQuarter>;
  /** Sign and send exact payload bytes, waiting for the reply that names `messageId`. */
  sendPayload(payload: Uint8Array, messageId: string, fault?: FeedFault): Promise<SentQuarter>;
  /** Send one quarter every `intervalMs` until stopped; errors go to `onError`. */
  run(opts: { intervalMs?: number; fault?: FeedFault; onSent?: (q: SentQuarter) => void; onError?: (e: unknown) => void }): void;
  close(): Promise<void>;
}

/** Connect the simulated data server to the broker. */
export async function startDataServerSim(o: DataServerSimOptions): Promise<DataServerSim> {
  const now = o.now ?? Date.now;
  const format = o.format ?? 'xml';
  const replyTimeoutMs = o.replyTimeoutMs ?? 60_000;
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(o.url, {
      username: o.username, password: o.password, clientId: o.username, // bound to the account (cloud/README.md "Client ids")
      reconnectPeriod: 1000, connectTimeout: 10_000, ...(o.ca ? { ca: o.ca } : {}),
    });
  } catch (err) {
    throw new LightNodeError('SIM_MQTT_UNREACHABLE', `data-server simulator cannot reach ${o.url}: ${(err as Error).message}`);
  }
  const waiting = new Map<string, (m: CimMessage) => void>();
  client.on('message', (_topic, payload) => {
    try {
      const text = payload.toString('utf8');
      const reply = text.trimStart().startsWith('{') ? decodeCimJson(text) : decodeCimXml(text);
      const id = reply.Header.CorrelationID;
      if (id) waiting.get(id)?.(reply);
    } catch { /* not a reply we can read: ignored */ }
  });
  await client.subscribeAsync(cimTopic(o.serverId, 'ack'), { qos: 1 });
  let timer: NodeJS.Timeout | null = null;

  async function sendMessage(message: CimMessage, fault: FeedFault = 'none'): Promise<SentQuarter> {
    const messageId = message.Header.MessageID ?? `msg-${now()}`;
    let text = format === 'json' ? encodeCimJson(message) : encodeCimXml(message);
    if (fault === 'malformed-xml') text = text.slice(0, Math.floor(text.length * 0.9)); // cut mid-document
    return sendPayload(new TextEncoder().encode(text), messageId, fault);
  }

  async function sendPayload(payload: Uint8Array, messageId: string, fault: FeedFault = 'none'): Promise<SentQuarter> {
    // bad-signature: signed by a key that is not the server's.
    const key = fault === 'bad-signature' ? crypto.getRandomValues(new Uint8Array(32)) : o.privateKey;
    const wire = signCimMessage(o.domain, o.serverId, payload, key);
    const hash = cimPayloadHash(payload);
    // The BAL correlates by MessageID, or by the payload hash when it could not read the message.
    const reply = new Promise<CimMessage>((resolve, reject) => {
      const done = (): void => { waiting.delete(messageId); waiting.delete(hash); };
      const t = setTimeout(() => { done(); reject(new LightNodeError('SIM_INTERNAL', `no reply to ${messageId} within ${replyTimeoutMs} ms`)); }, replyTimeoutMs);
      const settle = (m: CimMessage): void => { clearTimeout(t); done(); resolve(m); };
      waiting.set(messageId, settle);
      waiting.set(hash, settle);
    });
    await client.publishAsync(cimTopic(o.serverId, 'meter-readings'), Buffer.from(wire), { qos: 1 });
    return { messageId, hash, payload, reply: await reply };
  }

  async function send(opts: { atMs?: number; fault?: FeedFault } = {}): Promise<SentQuarter> {
    const sentAtMs = now();
    const atMs = opts.atMs ?? Math.floor(sentAtMs / QUARTER_MS) * QUARTER_MS;
    const messageId = `${o.serverId}-${atMs}-${sentAtMs}`;
    return sendMessage(feedMessage({ pods: o.pods, atMs, sentAtMs, messageId, source: o.serverId, fault: opts.fault ?? 'none' }), opts.fault);
  }

  return {
    send,
    sendMessage,
    sendPayload,
    run({ intervalMs = QUARTER_MS, fault, onSent, onError }) {
      const tick = (): void => {
        send({ ...(fault ? { fault } : {}) }).then((q) => onSent?.(q), (e) => onError?.(e)).finally(() => { if (timer) timer = setTimeout(tick, intervalMs); });
      };
      timer = setTimeout(tick, 0);
    },
    async close() {
      const t = timer;
      timer = null;
      if (t) clearTimeout(t);
      await client.endAsync();
    },
  };
}
