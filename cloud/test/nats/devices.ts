/**
 * Simulated Light Nodes for multi-instance tests (issue 16): each is the edge's real Uplink
 * (MQTT 5 → 3.1.1 fallback, resend from the oldest unacked reading after an ack timeout or a
 * reconnect) over an in-memory spool signing with its own device key. A device is done when its
 * spool is empty: every reading acked by a BAL. Broker-agnostic: give each device an MQTT URL.
 */
import { DeviceKey, MemorySpool, Uplink, readingSigner, type MqttConfig } from '@lightnode/edge/sim-parts';
import type { Eip712Domain } from '@lightnode/shared/eip712';
import type { Hex } from '@lightnode/shared/hex';

export interface SimDevice {
  pod: string;
  /** Device address, lower-case (the store's `device`). */
  address: Hex;
  spool: MemorySpool;
  uplink: Uplink;
  /** Readings made so far (seqs 0..made-1). */
  made(): number;
}

export interface Fleet {
  devices: SimDevice[];
  /** Each device makes one reading every `periodMs` until stopProducing(). */
  startProducing(periodMs: number): void;
  stopProducing(): void;
  /** Readings still in spools (not acked). */
  unacked(): number;
  stop(): Promise<void>;
}

/** The PoD of device `i` of a fleet (`IT001E9…`). */
export const fleetPod = (i: number, base = 90_000_000): string => `IT001E${String(base + i).padStart(8, '0')}`;

/** `count` PoDs `IT001E9xxxxxxx` with fresh keys; `url(i)` picks device i's broker. */
export function makeFleet(opts: {
  count: number; domain: Eip712Domain; url: (i: number) => string; password: (pod: string) => string;
  ackTimeoutMs?: number; batchSize?: number; podBase?: number;
}): Fleet {
  const devices: SimDevice[] = [];
  for (let i = 0; i < opts.count; i++) {
    const pod = fleetPod(i, opts.podBase);
    const key = DeviceKey.generate();
    const spool = new MemorySpool({ pod, sign: readingSigner(opts.domain, key) });
    const config: MqttConfig = {
      url: opts.url(i), protocolVersion: 5, clientId: pod, username: pod, password: opts.password(pod), tls: { rejectUnauthorized: true },
      keepaliveSec: 10, batchSize: opts.batchSize ?? 20, inFlightBatches: 4, ackTimeoutMs: opts.ackTimeoutMs ?? 4000, lingerMs: 20,
      reconnectMinMs: 100, reconnectMaxMs: 1000, takeoverBackoffMinMs: 30_000, takeoverBackoffMaxMs: 600_000, statusIntervalMs: 60_000,
    };
    const uplink = new Uplink({ config, pod, device: key.address, agentVersion: 'sim', spool });
    let made = 0;
    devices.push({ pod, address: key.address.toLowerCase() as Hex, spool, uplink, made: () => made });
    (devices[i] as SimDevice & { bump(): void }).bump = () => {
      spool.appendMany([{ meter: 'm1', timestamp: Date.now(), source: 'modbus', values: [{ quantity: '1-0:1.8.0', value: made, scale: 0, unit: 'Wh' }] }]);
      made++;
      uplink.notify();
    };
  }
  let timer: NodeJS.Timeout | null = null;
  return {
    devices,
    startProducing(periodMs) {
      for (const d of devices) d.uplink.start();
      timer = setInterval(() => { for (const d of devices) (d as SimDevice & { bump(): void }).bump(); }, periodMs);
    },
    stopProducing() { if (timer) clearInterval(timer); timer = null; },
    unacked: () => devices.reduce((n, d) => n + d.spool.status().depth, 0),
    async stop() {
      if (timer) clearInterval(timer);
      await Promise.all(devices.map((d) => d.uplink.stop().catch(() => {})));
    },
  };
}
