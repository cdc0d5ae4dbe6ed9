/**
 * The demo BAL's config file (cloud/src/config.ts format), written to `<data>/bal.json` so the
 * same BAL can be re-run with `bal run --config <data>/bal.json` (anchoring key from
 * `BAL_ANCHOR_KEY`, relay key from `BAL_RELAY_KEY`). Data access is on. Embedded defaults: aedes on a free port, SQLite in the data folder, short
 * anchoring windows so a newcomer sees anchors within seconds.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type BalConfig } from '@lightnode/cloud/config';
import type { Login } from './broker.js';

export interface DemoBalConfigOptions {
  dataDir: string;
  deploymentPath: string;
  credentialsPath: string;
  apiKeyHash: string;
  /** External broker (own Mosquitto with the dynamic-security plugin) instead of the embedded aedes. */
  external?: { url: string; login: Login; dynsecAdmin: Login } | null;
  /** Anchor window, ms (a window closes this long after its oldest pending reading). */
  anchorWindowMs: number;
  /** Accepted clock lead of reading timestamps over the BAL's clock, ms. */
  futureSkewMs: number;
}

/** Build, write and validate the BAL config; the anchoring and relay keys are passed separately (env, never the file). */
export function demoBalConfig(o: DemoBalConfigOptions, keys: { anchorKey: string; relayKey: string }): { config: BalConfig; path: string } {
  const raw = {
    chain: { deploymentPath: o.deploymentPath },
    broker: o.external
      ? { kind: 'external', url: o.external.url, username: o.external.login.username, clientId: `${o.external.login.username}@demo-${process.pid}`, dynsecUsername: o.external.dynsecAdmin.username }
      : { kind: 'embedded', host: '127.0.0.1', port: 0, credentialsPath: o.credentialsPath },
    store: { kind: 'sqlite', path: 'bal/bal.db' },
    anchoring: { enabled: true, windowMs: o.anchorWindowMs, maxLeaves: 10_000, pollIntervalMs: 250, confirmations: 1 },
    ingest: { futureSkewMs: o.futureSkewMs, verifyThreads: 1 },
    registry: { pollIntervalMs: 250 },
    api: { host: '127.0.0.1', port: 0, clients: [{ name: 'demo-dso', role: 'dso', apiKeyHash: o.apiKeyHash }] },
    dataAccess: { enabled: true, walletKeyPath: 'bal/wallet-master.key' },
    log: { level: 'info' },
  };
  const path = join(o.dataDir, 'bal.json');
  writeFileSync(path, `${JSON.stringify(raw, null, 2)}\n`);
  const env: Record<string, string> = { BAL_ANCHOR_KEY: keys.anchorKey, BAL_RELAY_KEY: keys.relayKey };
  if (o.external) Object.assign(env, { BAL_BROKER_PASSWORD: o.external.login.password, BAL_BROKER_DYNSEC_PASSWORD: o.external.dynsecAdmin.password });
  return { config: parseConfig(raw, o.dataDir, env), path };
}
