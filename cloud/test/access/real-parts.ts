/**
 * The real parts the data-access service tests run against (no doubles):
 * - chain: the fixture's anvil and SubscriptionRegistry; the BAL's relay account (anvil account 1,
 *   granted TOPIC_ADMIN_ROLE) sends through a TCP proxy (../anchor/chain-proxy.ts) that a test
 *   takes down for a real "chain unreachable"; reads for assertions go to anvil directly;
 * - broker: the embedded aedes broker on a free port with the embedded enforcer; data users log
 *   in with the service's password check (the `dataUsers` hook, as the BAL wires it).
 */
import { ContractFactory, Wallet } from 'ethers';
import mqtt, { type MqttClient } from 'mqtt';
import type { Hex } from '@lightnode/shared/hex';
import type { ChainFixture } from '@lightnode/test-kit/chain';
import { loadArtifact } from '@lightnode/contracts/artifacts';
import { jsonRpcProvider, subscriptionRegistryAt } from '@lightnode/contracts/connect';
import { subscriptionRegistryClient, type SubscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import { createChainCertifier } from '../../src/access/chain-certifier.js';
import type { AccessEnforcer, DecisionCertifier } from '../../src/access/types.js';
import type { DataAccessService } from '../../src/access/service.js';
import type { ScryptParams } from '../../src/access/passwords.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/broker/embedded-broker.js';
import { createEmbeddedEnforcer } from '../../src/broker/embedded-enforcer.js';
import { CredentialStore } from '../../src/broker/credentials.js';
import { startChainProxy, type ChainProxy } from '../anchor/chain-proxy.js';

/** Cheap scrypt for test users (the service's `passwordParams`). */
export const TEST_SCRYPT: ScryptParams = { N: 1024, r: 8, p: 1 };

export interface AccessParts {
  /** The relay account (TOPIC_ADMIN_ROLE), connected through `proxy`. */
  relay: Wallet;
  /** In front of anvil for the relay: `down()` makes the chain unreachable for the service. */
  proxy: ChainProxy;
  certifier: DecisionCertifier;
  /** The registry read straight from anvil (never through the proxy). */
  reader: SubscriptionRegistryClient;
  broker: EmbeddedBroker;
  enforcer: AccessEnforcer;
  /** Give the broker's data-user logins to the service (it is built after its enforcer). */
  bind(svc: DataAccessService): void;
  /** Everything the chain holds for `topics` and the nonces of `wallets`, plus the block number (no transaction: same block). */
  chainState(topics: readonly string[], wallets: readonly string[]): Promise<string>;
  /** An MQTT client of a data user (no reconnect); rejects when the broker refuses the login. */
  mqttClient(username: string, password: string): Promise<MqttClient>;
  /** The BAL's own MQTT client (publishes on certified topics). */
  balClient(): Promise<MqttClient>;
  close(): Promise<void>;
}

/** Grant `role` of the SubscriptionRegistry at `address` to `account`, as the fixture's admin. */
async function grantRole(c: ChainFixture, address: string, role: 'TOPIC_ADMIN_ROLE' | 'DSO_ADMIN_ROLE', account: string): Promise<void> {
  const reg = subscriptionRegistryAt(address, c.dso);
  const id = (await reg.getFunction(role)()) as string;
  await (await reg.getFunction('grantRole')(id, account)).wait();
}

/** Deploy another SubscriptionRegistry (a "redeployed registry": it knows nothing) with the relay as topic admin and `dsoAdmins`. */
export async function deployRegistry(c: ChainFixture, relay: string, dsoAdmins: readonly string[]): Promise<Hex> {
  const art = loadArtifact('SubscriptionRegistry');
  const contract = await new ContractFactory(art.abi as never, art.bytecode, c.dso).deploy(c.dso.address);
  await contract.deploymentTransaction()!.wait();
  const address = (await contract.getAddress()).toLowerCase() as Hex;
  await grantRole(c, address, 'TOPIC_ADMIN_ROLE', relay);
  for (const a of dsoAdmins) await grantRole(c, address, 'DSO_ADMIN_ROLE', a);
  return address;
}

/** A certifier over the registry at `address`, sent by `relay`. */
export async function certifierAt(address: string, relay: Wallet): Promise<DecisionCertifier> {
  return createChainCertifier(subscriptionRegistryClient(address, relay));
}

/** Start proxy, relay, certifier, broker and enforcer over the fixture's chain. */
export async function startAccessParts(c: ChainFixture): Promise<AccessParts> {
  const registry = c.deployment.subscriptionRegistry!;
  const proxy = await startChainProxy(c.anvil.port);
  const relayProvider = jsonRpcProvider(proxy.url, c.anvil.chainId);
  const relay = c.wallets[1]!.connect(relayProvider) as Wallet;
  await grantRole(c, registry, 'TOPIC_ADMIN_ROLE', relay.address);
  const certifier = await certifierAt(registry, relay);
  const reader = subscriptionRegistryClient(registry, c.provider);
  let svc: DataAccessService | null = null;
  const broker = await startEmbeddedBroker({
    port: 0, credentials: new CredentialStore(),
    dataUsers: {
      authenticate: (username, password, remote) => (svc ? svc.brokerLogin(username, password, remote) : Promise.resolve(null)),
    },
  });
  const enforcer = createEmbeddedEnforcer({ broker });
  const clients: MqttClient[] = [];
  const open = async (username: string, password: string): Promise<MqttClient> => {
    const m = await mqtt.connectAsync(broker.url!, { username, password, reconnectPeriod: 0, connectTimeout: 5000, clientId: username });
    clients.push(m);
    return m;
  };
  return {
    relay, proxy, certifier, reader, broker, enforcer,
    bind(s) { svc = s; },
    async chainState(topics, wallets) {
      const perTopic = await Promise.all(topics.map(async (t) => ({
        t, provider: await reader.topicProviderOf(t), subs: await reader.subscriptionsOfTopic(t), decisions: (await reader.decisionsOfTopic(t)).length,
      })));
      const nonces = await Promise.all(wallets.map(async (w) => String(await reader.nonceOf(w))));
      return JSON.stringify({ block: await c.provider.getBlockNumber(), perTopic, nonces });
    },
    mqttClient: open,
    balClient: () => open(broker.internal.username, broker.internal.password),
    async close() {
      await Promise.all(clients.map((m) => m.endAsync(true).catch(() => {})));
      await broker.close();
      relayProvider.destroy();
      await proxy.close();
    },
  };
}

/** Subscribe to one filter: the granted QoS, or 128 when the broker refused it. */
export async function trySubscribe(m: MqttClient, filter: string): Promise<number> {
  try { return (await m.subscribeAsync(filter, { qos: 1 }))[0]!.qos; } catch { return 128; }
}

/** Can `username` log in to the broker with `password`? */
export async function canLogin(parts: AccessParts, username: string, password: string): Promise<boolean> {
  try { const m = await parts.mqttClient(username, password); await m.endAsync(true); return true; } catch { return false; }
}

/** Resolves with the first message on `topic`, rejects after `ms`. */
export function nextMessage(m: MqttClient, topic: string, ms = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { m.off('message', on); reject(new Error(`no message on ${topic} within ${ms} ms`)); }, ms);
    const on = (tp: string, payload: Buffer): void => { if (tp === topic) { clearTimeout(t); m.off('message', on); resolve(payload.toString()); } };
    m.on('message', on);
  });
}

/** Resolves when `m` is closed by the broker, rejects after `ms`. */
export function closedWithin(m: MqttClient, ms = 5000): Promise<void> {
  if (!m.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still connected after ${ms} ms`)), ms);
    m.once('close', () => { clearTimeout(t); resolve(); });
  });
}
