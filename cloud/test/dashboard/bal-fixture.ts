/**
 * A whole BAL for the dashboard's browser tests, as cloud/test/e2e/data-access-suite.ts starts
 * one: anvil with the contracts, `startBal` from a config (embedded broker, SQLite, anchoring
 * every second, data access on), the three roles' users, and Light Node stand-ins that publish
 * a retained online status with an offline last will, then a signed reading every 250 ms.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, registerPod, grantDsoAdmin, type ChainFixture } from '@lightnode/test-kit/chain';
import { signReading } from '@lightnode/shared/eip712';
import { hexToBytes, type Hex } from '@lightnode/shared/hex';
import { serializeStatus, type Status } from '@lightnode/shared/messages';
import { topicFor } from '@lightnode/shared/topics';
import { parseConfig } from '../../src/config.js';
import { startBal, type RunningBal } from '../../src/bal.js';
import { silentLogger } from '../../src/log.js';
import { PASSWORDS, POD_A, POD_B, testAccounts } from '../broker/helpers.js';

export { POD_A, POD_B };
export const USERS = {
  admin: { username: 'dso-admin', password: 'admin-password-1' },
  producer: { username: 'home-owner', password: 'producer-password-1' },
  consumer: { username: 'dso-tp', password: 'consumer-password-1' },
} as const;

export interface Device {
  pod: string; address: Hex; sent(): number;
  /** Publish one reading whose signature is broken (r = 0): the BAL rejects it BAL_SIGNATURE_INVALID. */
  sendBadSignature(): Promise<void>;
  crash(): void; stop(): Promise<void>;
}
export interface DashboardFixture { chain: ChainFixture; bal: RunningBal; url: string; devices: Record<string, Device>; close(): Promise<void> }

/** A Light Node stand-in on the BAL's broker: status (retained, last will offline), then readings. */
async function startDevice(bal: RunningBal, chain: ChainFixture, pod: string, key: { address: string; privateKey: string }): Promise<Device> {
  const status = (state: 'online' | 'offline', lastSeq: number | null): string => serializeStatus({
    v: 1, pod, device: key.address.toLowerCase() as Hex, state, ts: Date.now(), lastSeq, spoolDepth: 3, quarantined: 0, agentVersion: 'lightnode-test/1.2.3',
  } satisfies Status);
  const client: MqttClient = await mqtt.connectAsync(bal.endpoints.mqtt!, {
    username: pod, password: PASSWORDS[pod], clientId: pod, reconnectPeriod: 0, keepalive: 5,
    will: { topic: topicFor(pod, 'status'), payload: Buffer.from(status('offline', null)), qos: 1, retain: true },
  });
  await client.publishAsync(topicFor(pod, 'status'), status('online', 0), { qos: 1, retain: true });
  let seq = 0;
  const reading = (n: number) => signReading(chain.domain, {
    pod, meter: 'mt1', seq: n, timestamp: Date.now(), source: 'modbus',
    values: [{ quantity: '1-0:1.8.0', value: 1_000_000 + n * 7, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500 + Math.round(500 * Math.sin(n / 4)), scale: 0, unit: 'W' }],
  }, hexToBytes(key.privateKey));
  const timer = setInterval(() => {
    seq++;
    client.publish(topicFor(pod, 'readings'), JSON.stringify({ v: 1, readings: [reading(seq)] }), { qos: 1 });
  }, 250);
  return {
    pod, address: key.address.toLowerCase() as Hex, sent: () => seq,
    async sendBadSignature() {
      // A seq far from the running ones, so the good readings never meet it.
      const r = reading(1_000_000);
      await client.publishAsync(topicFor(pod, 'readings'), JSON.stringify({ v: 1, readings: [{ ...r, signature: `0x${'0'.repeat(64)}${r.signature.slice(66)}` }] }), { qos: 1 });
    },
    // The agent process dies: no DISCONNECT, so the broker publishes its last will.
    crash() { clearInterval(timer); client.stream.destroy(); },
    async stop() { clearInterval(timer); await client.endAsync(true).catch(() => undefined); },
  };
}

export async function startDashboardFixture(opts: { offlineAfterMs?: number } = {}): Promise<DashboardFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bal-dashboard-'));
  const chain = await startChain();
  const topicAdmin = await chain.subscriptions.getFunction('TOPIC_ADMIN_ROLE')();
  await (await chain.subscriptions.getFunction('grantRole')(topicAdmin, chain.wallets[2]!.address)).wait();
  const keys = { [POD_A]: Wallet.createRandom(), [POD_B]: Wallet.createRandom() };
  for (const [pod, k] of Object.entries(keys)) await registerPod(chain, pod, k.address);
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts: await testAccounts() }));
  const config = parseConfig({
    chain: { deploymentPath: chain.deploymentPath }, broker: { kind: 'embedded', port: 0, credentialsPath: 'credentials.json' },
    store: { kind: 'sqlite', path: 'bal.db' },
    anchoring: { enabled: true, windowMs: 1000, pollIntervalMs: 100, confirmations: 1 },
    ingest: { verifyThreads: 0 }, registry: { pollIntervalMs: 100 }, api: { port: 0 },
    dataAccess: { enabled: true, walletKeyPath: 'keys/wallet-master.key' },
    dashboard: { offlineAfterMs: opts.offlineAfterMs ?? 60_000, eventHeartbeatMs: 500 },
    log: { level: 'error' },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[0]!, BAL_RELAY_KEY: ANVIL_PRIVATE_KEYS[2]! });
  const bal = await startBal(config, { log: silentLogger });
  const admin = await bal.access!.createUser({ ...USERS.admin, role: 'admin' });
  await grantDsoAdmin(chain, admin.wallet);
  await bal.access!.createUser({ ...USERS.producer, role: 'producer', pods: [POD_A] });
  await bal.access!.createUser({ ...USERS.consumer, role: 'consumer' });
  const devices: Record<string, Device> = {};
  for (const [pod, k] of Object.entries(keys)) devices[pod] = await startDevice(bal, chain, pod, k);
  return {
    chain, bal, url: bal.endpoints.api, devices,
    async close() {
      for (const d of Object.values(devices)) await d.stop();
      await bal.stop();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
