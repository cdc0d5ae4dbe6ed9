/**
 * Data sharing in the demo (docs/data-access.md): the DSO's admin, one producer per PoD (the
 * customer at that PoD owns its certified stream) and one consumer (the DSO Technical Platform).
 * The consumer asks for one PoD's stream, that PoD's producer accepts — each in its own REST
 * session, each decision signed by the party's custodial wallet and certified on chain — and the
 * consumer's own MQTT client then receives that PoD's certified readings. Logins are written to
 * `<data>/users.json` (0600) and printed, so a newcomer can log in with curl or the dashboard.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Signer } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import { certifiedTopic } from '@lightnode/shared/topics';
import { parseCertifiedMessage } from '@lightnode/shared/certified-message';
import { subscriptionRegistryAt } from '@lightnode/contracts/connect';
import type { RunningBal } from '@lightnode/cloud/bal';

export interface DemoUser { username: string; password: string; role: 'admin' | 'producer' | 'consumer'; wallet: string; pods: string[] }

export interface DataSharing {
  users: DemoUser[];
  /** The stream shared with the consumer. */
  topic: string;
  /** The accepted subscription's decision on chain. */
  accepted: { id: number; transaction: string; block: number };
  /** Certified readings the consumer's MQTT client received so far. */
  received(): number;
  close(): Promise<void>;
}

export interface DataSharingOptions {
  bal: RunningBal;
  /** The MQTT URL consumers connect to. */
  mqttUrl: string;
  /** PoDs, each gets a producer; the first one's stream is shared. */
  pods: readonly string[];
  /** Holder of DEFAULT_ADMIN_ROLE on the SubscriptionRegistry (grants the admin wallet DSO_ADMIN_ROLE). */
  dso: Signer;
  subscriptionRegistry: string;
  dataDir: string;
  step: (message: string) => void;
  /** Called once with the first certified reading the consumer received. */
  onFirstDelivery: (detail: string) => void;
}

const newPassword = (): string => randomBytes(15).toString('base64url');

/** Create the users, share one stream and start the consumer's MQTT client. */
export async function startDataSharing(o: DataSharingOptions): Promise<DataSharing> {
  const access = o.bal.access;
  if (!access) throw new LightNodeError('DEMO_DATA_ACCESS_OFF', 'the demo BAL runs without data access (dataAccess.enabled)');
  const api = async (method: string, path: string, token: string | null, body?: unknown): Promise<any> => {
    const res = await fetch(`${o.bal.endpoints.api}${path}`, {
      method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json().catch(() => null)) as any;
    if (!res.ok) throw new LightNodeError('DEMO_DATA_ACCESS_FAILED', `${method} ${path}: ${res.status} ${json?.code ?? ''} ${json?.message ?? ''}`);
    return json;
  };
  const login = async (u: DemoUser): Promise<string> => (await api('POST', '/api/login', null, { username: u.username, password: u.password })).token;

  // The DSO's first admin is made on the operator's side (as `bal users add` would); its wallet may decide on any topic.
  const admin: DemoUser = { username: 'dso-admin', password: newPassword(), role: 'admin', wallet: '', pods: [] };
  admin.wallet = (await access.createUser({ username: admin.username, role: 'admin', password: admin.password })).wallet;
  const registry = subscriptionRegistryAt(o.subscriptionRegistry, o.dso);
  await (await registry.getFunction('grantRole')(await registry.getFunction('DSO_ADMIN_ROLE')(), admin.wallet)).wait();
  const adminToken = await login(admin);

  const users: DemoUser[] = [admin];
  for (const pod of o.pods) {
    const u: DemoUser = { username: `owner-${pod.toLowerCase()}`, password: newPassword(), role: 'producer', wallet: '', pods: [pod] };
    u.wallet = (await api('POST', '/api/users', adminToken, { username: u.username, password: u.password, role: 'producer', pods: [pod] })).wallet;
    users.push(u);
  }
  const consumer: DemoUser = { username: 'dso-tp', password: newPassword(), role: 'consumer', wallet: '', pods: [] };
  consumer.wallet = (await api('POST', '/api/users', adminToken, { username: consumer.username, password: consumer.password, role: 'consumer' })).wallet;
  users.push(consumer);
  writeFileSync(join(o.dataDir, 'users.json'), `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  o.step(`data access: ${users.length} users with custodial wallets (${users.map((u) => `${u.username} ${u.role}`).join(', ')}); logins in ${join(o.dataDir, 'users.json')}`);

  // The consumer asks for the first PoD's stream; that PoD's producer accepts, in its own session.
  const pod = o.pods[0]!;
  const topic = certifiedTopic(pod);
  const producer = users.find((u) => u.pods.includes(pod))!;
  const consumerToken = await login(consumer);
  const requested = await api('POST', '/api/subscriptions', consumerToken, { topic });
  const accepted = await api('POST', `/api/subscriptions/${requested.id}/accept`, await login(producer), {});
  o.step(`subscription #${accepted.id}: ${consumer.username} → ${topic} requested by the consumer, accepted by ${producer.username}; certified on chain in tx ${accepted.transaction} (block ${accepted.block})`);

  // The consumer's own MQTT client: only what the broker lets it read.
  let received = 0;
  const client: MqttClient = await mqtt.connectAsync(o.mqttUrl, {
    username: consumer.username, password: consumer.password, clientId: consumer.username, reconnectPeriod: 500, connectTimeout: 10_000,
  });
  client.on('message', (t, payload) => {
    if (t !== topic) return;
    try {
      const m = parseCertifiedMessage(payload);
      if (m.kind !== 'reading') return;
      if (++received === 1) o.onFirstDelivery(`${consumer.username} received ${m.reading.pod} seq ${m.reading.seq} (store id ${m.id}) on ${topic}`);
    } catch { /* counted by nobody: the demo consumer only counts what it can read */ }
  });
  // The grant may kick the client once (Mosquitto's plugin does on every policy change): subscribe until granted.
  const end = Date.now() + 10_000;
  for (;;) {
    const granted = client.connected ? await client.subscribeAsync(topic, { qos: 1 }).then((g) => g[0]?.qos ?? 128, () => 128) : 128;
    if (granted !== 128) break;
    if (Date.now() > end) throw new LightNodeError('DEMO_DATA_ACCESS_FAILED', `${consumer.username} is still refused on ${topic} after acceptance`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    users, topic, accepted: { id: accepted.id, transaction: accepted.transaction, block: accepted.block },
    received: () => received,
    close: () => client.endAsync(true),
  };
}
