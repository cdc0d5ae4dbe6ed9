/** Building blocks for uplink/agent tests: a signed spool with a fresh device key. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDomain } from '@lightnode/shared/eip712';
import type { MqttConfig } from '../../src/config.js';
import { DeviceKey } from '../../src/identity/device-key.js';
import { readingSigner } from '../../src/identity/reading-signer.js';
import { Spool } from '../../src/spool/spool.js';
import { Metrics } from '../../src/ops/metrics.js';

export const TEST_REGISTRY = '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const;

export function mqttConfig(url: string, over: Partial<MqttConfig> = {}): MqttConfig {
  return {
    url, protocolVersion: 4, clientId: `ln-test-${Math.random().toString(16).slice(2)}`, tls: { rejectUnauthorized: true },
    keepaliveSec: 10, batchSize: 50, inFlightBatches: 4, ackTimeoutMs: 5000, lingerMs: 0, reconnectMinMs: 100, reconnectMaxMs: 400,
    takeoverBackoffMinMs: 30_000, takeoverBackoffMaxMs: 600_000,
    statusIntervalMs: 60_000, ...over,
  };
}

/** A tmp dir, a device key, a domain and a spool signing with them. */
export function signedSpool(pod: string, opts: { metrics?: Metrics } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'ln-edge-'));
  const key = DeviceKey.generate();
  const domain = makeDomain(31337, TEST_REGISTRY);
  const metrics = opts.metrics ?? new Metrics();
  const spool = Spool.open({ path: join(dir, 'spool.db'), pod, sign: readingSigner(domain, key), metrics });
  return { dir, key, domain, spool, metrics, cleanup: () => { spool.close(); rmSync(dir, { recursive: true, force: true }); } };
}
