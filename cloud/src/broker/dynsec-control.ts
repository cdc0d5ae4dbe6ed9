/**
 * A client of Mosquitto's dynamic-security control topic (reference: mosquitto-dynsec.md §2):
 * its own admin connection, commands published in batches as `{"commands":[…]}` on
 * `$CONTROL/dynamic-security/v1` at QoS 1, each with its own `correlationData`, answered on the
 * shared `…/v1/response` topic (QoS 0, seen by every admin client: matched on correlationData,
 * the rest ignored). No answer within `timeoutMs` → BAL_BROKER_DYNSEC_FAILED. Passwords in
 * commands never reach a log or an error.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { randomUUID } from 'node:crypto';
import { LightNodeError } from '@lightnode/shared/errors';
import { silentLogger, type Logger } from '../log.js';

export const DYNSEC_TOPIC = '$CONTROL/dynamic-security/v1';
export const DYNSEC_RESPONSE_TOPIC = `${DYNSEC_TOPIC}/response`;

/** One command (README of the plugin): its name and fields. */
export interface DynsecCommand { command: string; [field: string]: unknown }

/** One answer: `error` is the plugin's text (null on success), `data` the result of get/list commands. */
export interface DynsecResponse { command: string; error: string | null; data: Record<string, unknown> | null; correlationData: string | null }

export interface DynsecControlOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:1883` or `mqtts://…`. */
  url: string;
  /** The dynsec admin account (a client holding the plugin's admin role on `$CONTROL/dynamic-security/#`). */
  username: string;
  password: string;
  /** Wait for a batch's answers, ms; default 5,000. */
  timeoutMs?: number;
  /** Most commands per published message; default 100. */
  maxBatch?: number;
  /** Extra mqtt.js options (TLS `ca`, `clientId`, …). */
  mqttOptions?: IClientOptions;
  log?: Logger;
}

export interface DynsecControl {
  /** Send commands in order (batched), resolve with one answer per command; throws only on timeout or transport failure. */
  send(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]>;
  /** As `send`, but an answer with an error not in `tolerate` throws BAL_BROKER_DYNSEC_FAILED naming the command and the plugin's text. */
  run(commands: readonly DynsecCommand[], opts?: { tolerate?: readonly string[] }): Promise<DynsecResponse[]>;
  close(): Promise<void>;
}

const FAILED = 'BAL_BROKER_DYNSEC_FAILED';

/** The command with its identifying fields only (never a password), for errors and logs. */
export function describeCommand(c: DynsecCommand): string {
  const ids = ['username', 'rolename', 'groupname', 'acltype', 'topic'].filter((k) => typeof c[k] === 'string').map((k) => `${k}=${String(c[k])}`);
  return ids.length > 0 ? `${c.command} ${ids.join(' ')}` : c.command;
}

/** The error for a failed answer. */
export function dynsecFailure(c: DynsecCommand, error: string): LightNodeError {
  return new LightNodeError(FAILED, `dynamic-security ${describeCommand(c)}: ${error}`, { command: c.command, target: describeCommand(c), error });
}

/** Validate a response payload; throws BAL_BROKER_DYNSEC_FAILED naming the field. */
export function parseDynsecResponses(payload: Uint8Array | string): DynsecResponse[] {
  const bad = (field: string, expected: string): never => { throw new LightNodeError(FAILED, `dynamic-security response: ${field}: expected ${expected}`, { field, expected }); };
  let o: unknown;
  try { o = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload).toString('utf8')); } catch { return bad('payload', 'JSON'); }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return bad('payload', 'an object');
  const list = (o as Record<string, unknown>)['responses'];
  if (!Array.isArray(list)) return bad('responses', 'an array');
  return list.map((r: unknown, i): DynsecResponse => {
    const f = `responses[${i}]`;
    if (typeof r !== 'object' || r === null || Array.isArray(r)) return bad(f, 'an object');
    const { command, error, data, correlationData } = r as Record<string, unknown>;
    if (typeof command !== 'string') return bad(`${f}.command`, 'a string');
    if (error !== undefined && typeof error !== 'string') return bad(`${f}.error`, 'a string');
    if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) return bad(`${f}.data`, 'an object');
    if (correlationData !== undefined && typeof correlationData !== 'string') return bad(`${f}.correlationData`, 'a string');
    return { command, error: error ?? null, data: (data as Record<string, unknown> | undefined) ?? null, correlationData: correlationData ?? null };
  });
}

/** Connect the admin client and subscribe to the response topic. */
export async function connectDynsecControl(opts: DynsecControlOptions): Promise<DynsecControl> {
  const log = opts.log ?? silentLogger;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const maxBatch = Math.max(1, opts.maxBatch ?? 100);
  const waiting = new Map<string, (r: DynsecResponse) => void>();
  let client: MqttClient;
  try {
    client = await mqtt.connectAsync(opts.url, {
      clientId: `lightnode-dynsec-${randomUUID().slice(0, 8)}`, reconnectPeriod: 1000, connectTimeout: timeoutMs,
      ...opts.mqttOptions, username: opts.username, password: opts.password,
    });
  } catch (err) {
    throw new LightNodeError(FAILED, `dynamic-security: cannot connect as ${opts.username} to ${opts.url}: ${(err as Error).message}`, { url: opts.url, username: opts.username }, { cause: err });
  }
  client.on('message', (topic, payload) => {
    if (topic !== DYNSEC_RESPONSE_TOPIC) return;
    let answers: DynsecResponse[];
    try { answers = parseDynsecResponses(payload); } catch (err) { log.warn('dynsec response refused', { err }); return; }
    for (const a of answers) {
      const w = a.correlationData === null ? undefined : waiting.get(a.correlationData);
      if (w) { waiting.delete(a.correlationData!); w(a); }
    }
  });
  client.on('error', (err) => log.warn('dynsec control connection error', { err }));
  const granted = await client.subscribeAsync(DYNSEC_RESPONSE_TOPIC, { qos: 0 }).catch(() => [{ qos: 128 }]);
  if (granted[0]!.qos >= 128) {
    await client.endAsync(true);
    throw new LightNodeError(FAILED, `dynamic-security: ${opts.username} may not subscribe to ${DYNSEC_RESPONSE_TOPIC} (not the plugin's admin?)`, { username: opts.username });
  }

  async function sendBatch(commands: readonly DynsecCommand[]): Promise<DynsecResponse[]> {
    const ids = commands.map(() => randomUUID());
    const answers = ids.map((id) => new Promise<DynsecResponse>((resolve) => waiting.set(id, resolve)));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const missing = commands.filter((_, i) => waiting.has(ids[i]!));
        reject(new LightNodeError(FAILED, `dynamic-security: no answer within ${timeoutMs} ms to ${missing.map(describeCommand).join(', ')}`, { commands: missing.map(describeCommand), timeoutMs }));
      }, timeoutMs);
    });
    try {
      const body = JSON.stringify({ commands: commands.map((c, i) => ({ ...c, correlationData: ids[i] })) });
      await Promise.race([client.publishAsync(DYNSEC_TOPIC, body, { qos: 1 }), timeout]);
      return await Promise.race([Promise.all(answers), timeout]);
    } finally {
      clearTimeout(timer);
      for (const id of ids) waiting.delete(id);
    }
  }

  const control: DynsecControl = {
    async send(commands) {
      const out: DynsecResponse[] = [];
      for (let i = 0; i < commands.length; i += maxBatch) out.push(...await sendBatch(commands.slice(i, i + maxBatch)));
      return out;
    },
    async run(commands, runOpts = {}) {
      const answers = await control.send(commands);
      answers.forEach((a, i) => {
        if (a.error !== null && !(runOpts.tolerate ?? []).includes(a.error)) throw dynsecFailure(commands[i]!, a.error);
      });
      return answers;
    },
    async close() { await client.endAsync(); },
  };
  return control;
}
