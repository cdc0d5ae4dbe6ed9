/** Test helpers for the broker suites: accounts, MQTT clients, message waits. */
import mqtt, { type MqttClient } from 'mqtt';
import { hashPassword } from '../../src/broker/password-hash.js';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import { INTERNAL_USERNAME } from '../../src/broker/embedded-broker.js';

export const POD_A = 'IT001E00000001';
export const POD_B = 'IT001E00000002';

export const PASSWORDS: Record<string, string> = { [POD_A]: 'pw-a', [POD_B]: 'pw-b', bal: 'pw-bal', 'dso-ops': 'pw-ops' };

export async function testAccounts(): Promise<BrokerAccount[]> {
  return [
    { username: POD_A, role: 'device', passwordHash: await hashPassword(PASSWORDS[POD_A]!, { iterations: 101 }) },
    { username: POD_B, role: 'device', passwordHash: await hashPassword(PASSWORDS[POD_B]!) },
    { username: 'bal', role: 'bal', passwordHash: await hashPassword(PASSWORDS.bal!) },
    { username: 'dso-ops', role: 'operator', passwordHash: await hashPassword(PASSWORDS['dso-ops']!) },
  ];
}

/** The BAL and operator accounts of these tests: they may connect several times (`<username>@<suffix>`). */
const MULTI_CONNECTION = new Set(['bal', 'dso-ops', INTERNAL_USERNAME]);

/**
 * A client id the rule (src/broker/client-id.ts) gives `username`: a device's or data user's is
 * its username (one connection at a time), the BAL's and operator's a unique `@` suffix.
 */
export function clientIdOf(username: string): string {
  return MULTI_CONNECTION.has(username) ? `${username}@${Math.random().toString(16).slice(2)}` : username;
}

/** Connect as `username`; a device has one connection at a time (a new one closes the old). */
export function connect(url: string, username: string, password = PASSWORDS[username], extra: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { username, password, reconnectPeriod: 0, connectTimeout: 5000, clientId: clientIdOf(username), ...extra });
}

/** The CONNACK return code a refused connect got (mqtt.js error `code`), or null when it connected (then closed). */
export async function connackRefusal(url: string, username: string, clientId: string, password = PASSWORDS[username]): Promise<number | null> {
  try {
    const c = await mqtt.connectAsync(url, { username, password, clientId, reconnectPeriod: 0, connectTimeout: 5000 });
    await c.endAsync(true);
    return null;
  } catch (err) {
    return (err as { code?: number }).code ?? -1;
  }
}

/** Collect messages per topic. */
export function collector(client: MqttClient): { got: { topic: string; payload: string }[]; waitFor(topic: string, timeoutMs?: number): Promise<string> } {
  const got: { topic: string; payload: string }[] = [];
  const waiters: { topic: string; resolve: (p: string) => void }[] = [];
  client.on('message', (topic, payload) => {
    got.push({ topic, payload: payload.toString() });
    for (const w of waiters.filter((x) => x.topic === topic)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(payload.toString()); }
  });
  return {
    got,
    waitFor(topic, timeoutMs = 5000) {
      const hit = got.find((g) => g.topic === topic);
      if (hit) return Promise.resolve(hit.payload);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no message on ${topic} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ topic, resolve: (p) => { clearTimeout(t); resolve(p); } });
      });
    },
  };
}

export function granted(res: { qos: number }[]): number[] { return res.map((g) => g.qos); }

export async function endAll(clients: (MqttClient | undefined)[]): Promise<void> {
  await Promise.all(clients.map((c) => c?.endAsync(true).catch(() => {})));
}

/** Subscribe to one filter; the granted QoS, or 128 when the broker refused it. */
export async function trySubscribe(c: MqttClient, filter: string): Promise<number> {
  try { return (await c.subscribeAsync(filter, { qos: 1 }))[0]!.qos; } catch { return 128; }
}
