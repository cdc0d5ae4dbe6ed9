/**
 * One real BAL for the data-server tests (issue 13 §4, §5): anvil with the contracts, a data
 * server registered in the DataServerRegistry and granted `pods`, `startBal` with the embedded
 * broker (the server's own account), SQLite, anchoring every second, an API key; the
 * data-server simulator of hardware-sim connected as that server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { makeTestCa } from '@lightnode/test-kit/tls-ca';
import { hexToBytes } from '@lightnode/shared/hex';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { parseConfig } from '@lightnode/cloud/config';
import { hashPassword, newSecret } from '@lightnode/cloud/operator';
import { createLogger } from '@lightnode/cloud/log';
import { startDataServerSim, type DataServerSim } from '@lightnode/hardware-sim/cim-server/data-server';

export const SERVER_ID = 'dso-gr-01';
/** A secp256k1 key as ethers' wallets give it. */
export interface Key { address: string; privateKey: string }
export const PASSWORD = 'data-server-pw';

export interface CimFixture {
  chain: ChainFixture;
  bal: RunningBal;
  serverKey: Key;
  /** The simulator connected as SERVER_ID. */
  sim: DataServerSim;
  apiKey: string;
  dir: string;
  /** The simulator as SERVER_ID over the embedded broker's TLS listener, trusting the test CA (needs `tls`). */
  simTls(): Promise<DataServerSim>;
  /** A simulator for another broker account / server id / key (faults). */
  simAs(serverId: string, key: Key, pods: readonly string[]): Promise<DataServerSim>;
  get(path: string, accept?: string): Promise<Response>;
  /** Value of one Prometheus sample (0 when absent). */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

/** Grant `pods` to `serverId` in chunks (a grant costs ~50k gas). */
export async function allowPods(chain: ChainFixture, serverId: string, pods: readonly string[]): Promise<void> {
  for (let i = 0; i < pods.length; i += 250) await chain.dataServers.write('allowPods', [serverId, pods.slice(i, i + 250)]);
}

export async function startCimFixture(opts: { pods: readonly string[]; simPods?: readonly string[]; tls?: boolean; extraAccounts?: readonly { username: string; role: 'device' | 'data-server'; password: string }[] }): Promise<CimFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'bal-cim-'));
  const chain = await startChain();
  const serverKey = Wallet.createRandom();
  await chain.dataServers.write('register', [SERVER_ID, serverKey.address]);
  await allowPods(chain, SERVER_ID, opts.pods);
  // The BAL anchors with account 1: account 0 stays the test's DSO, and their nonces never race.
  const balRole = (await chain.anchor.getFunction('BAL_ROLE')()) as string;
  await (await chain.anchor.getFunction('grantRole')(balRole, chain.wallets[1]!.address)).wait();
  const accounts = [{ username: SERVER_ID, role: 'data-server', passwordHash: await hashPassword(PASSWORD, { iterations: 101 }) }];
  for (const a of opts.extraAccounts ?? []) accounts.push({ username: a.username, role: a.role, passwordHash: await hashPassword(a.password, { iterations: 101 }) });
  writeFileSync(join(dir, 'credentials.json'), JSON.stringify({ v: 1, accounts }));
  const api = newSecret();
  const ca = opts.tls ? makeTestCa(join(dir, 'tls')) : null;
  const config = parseConfig({
    chain: { deploymentPath: chain.deploymentPath }, broker: {
      kind: 'embedded', port: 0, credentialsPath: 'credentials.json', maxPayloadBytes: 4 * 1024 * 1024,
      ...(ca ? { tls: { port: 0, certPath: ca.serverCert, keyPath: ca.serverKey } } : {}),
    },
    store: { kind: 'sqlite', path: 'bal.db' },
    anchoring: { enabled: true, windowMs: 1000, pollIntervalMs: 100, confirmations: 1 },
    ingest: { verifyThreads: 0 }, registry: { pollIntervalMs: 200 }, api: { port: 0, clients: [{ name: 'dso', role: 'dso', apiKeyHash: api.hash }] },
    log: { level: 'error' },
  }, dir, { BAL_ANCHOR_KEY: ANVIL_PRIVATE_KEYS[1]! });
  const bal = await startBal(config, { log: createLogger({ level: 'error' }) });
  const simAs = (serverId: string, key: Key, pods: readonly string[], password = PASSWORD): Promise<DataServerSim> => startDataServerSim({
    url: bal.endpoints.mqtt!, username: serverId, password, serverId, privateKey: hexToBytes(key.privateKey, 32), domain: chain.domain, pods, replyTimeoutMs: 30_000,
  });
  const sim = await simAs(SERVER_ID, serverKey, opts.simPods ?? opts.pods);
  const extra: DataServerSim[] = [];
  const get = (path: string, accept = 'application/json'): Promise<Response> => fetch(`${bal.endpoints.api}${path}`, { headers: { 'x-api-key': api.secret, accept } });
  return {
    chain, bal, serverKey, sim, apiKey: api.secret, dir, get,
    async simTls() {
      const s = await startDataServerSim({
        url: bal.endpoints.mqtts!, ca: readFileSync(ca!.caCert), username: SERVER_ID, password: PASSWORD, serverId: SERVER_ID,
        privateKey: hexToBytes(serverKey.privateKey, 32), domain: chain.domain, pods: opts.simPods ?? opts.pods, replyTimeoutMs: 30_000,
      });
      extra.push(s);
      return s;
    },
    async simAs(serverId, key, pods) {
      const pw = opts.extraAccounts?.find((a) => a.username === serverId)?.password ?? PASSWORD;
      const s = await simAs(serverId, key, pods, pw);
      extra.push(s);
      return s;
    },
    async metric(name, labels = {}) {
      const text = await (await get('/metrics', 'text/plain')).text();
      const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
        if (want.every((w) => line.includes(w))) return Number(line.slice(line.lastIndexOf(' ') + 1));
      }
      return 0;
    },
    async close() {
      for (const s of [sim, ...extra]) await s.close().catch(() => {});
      await bal.stop();
      await chain.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll `fn` until it returns true (generous deadline; the machine is shared). */
export async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}
