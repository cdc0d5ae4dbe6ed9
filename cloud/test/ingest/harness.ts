// Test harness for the ingest (chain and aedes broker: `@lightnode/test-kit`): MQTT clients, a
// Light Node stand-in and scratch folders for suites over the real store, mirror, pool and ingest.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Wallet } from 'ethers';
import type { ChainFixture } from '@lightnode/test-kit/chain';
import { signReading, type Eip712Domain } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import type { Reading, SignedReading } from '@lightnode/shared/reading';
import type { Ack as AckMessage } from '@lightnode/shared/messages';

/** Send a registry tx; returns the block time in ms (= the change's atMs). */
export async function registryTx(chain: ChainFixture, fn: string, ...args: unknown[]): Promise<number> {
  const receipt = await (await chain.registry.getFunction(fn)(...args)).wait();
  const block = await chain.registry.runner!.provider!.getBlock(receipt!.blockNumber);
  return block!.timestamp * 1000;
}

export async function connect(url: string, clientId: string): Promise<MqttClient> {
  return mqtt.connectAsync(url, { clientId, reconnectPeriod: 200, connectTimeout: 5000 });
}

export function tmpDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}


/** A Light Node stand-in: a key, a PoD, an MQTT connection, signed readings and received acks. */
export class FakeDevice {
  readonly wallet = Wallet.createRandom();
  readonly address = this.wallet.address.toLowerCase() as `0x${string}`;
  readonly acks: AckMessage[] = [];
  private waiters: ((a: AckMessage) => void)[] = [];
  private constructor(readonly pod: string, readonly client: MqttClient, readonly domain: Eip712Domain) {}

  static async connect(url: string, pod: string, domain: Eip712Domain): Promise<FakeDevice> {
    const client = await connect(url, `dev-${pod}-${Math.random().toString(36).slice(2)}`);
    const d = new FakeDevice(pod, client, domain);
    client.on('message', (topic, payload) => {
      if (topic !== `ln/v1/${pod}/ack`) return;
      const ack = JSON.parse(payload.toString()) as AckMessage;
      d.acks.push(ack);
      d.waiters.shift()?.(ack);
    });
    await client.subscribeAsync(`ln/v1/${pod}/ack`, { qos: 1 });
    return d;
  }

  reading(seq: number, timestamp: number, over: Partial<Reading> = {}, key: { privateKey: string } = this.wallet): SignedReading {
    const r: Reading = { pod: this.pod, meter: 'mt1', seq, timestamp, source: 'modbus',
      values: [{ quantity: '1-0:1.8.0', value: 1_000_000 + seq, scale: 0, unit: 'Wh' }, { quantity: '1-0:1.7.0', value: 1500, scale: 0, unit: 'W' }], ...over };
    return signReading(this.domain, r, hexToBytes(key.privateKey));
  }

  /** Publish a payload and wait for the next ack on this PoD. */
  async send(payload: string | Buffer | { v: 1; readings: unknown[] }, topicPod = this.pod, timeoutMs = 10_000): Promise<AckMessage> {
    const p = new Promise<AckMessage>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no ack for ${this.pod} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((a) => { clearTimeout(t); resolve(a); });
    });
    await this.publish(payload, topicPod);
    return p;
  }

  async publish(payload: string | Buffer | { v: 1; readings: unknown[] }, topicPod = this.pod): Promise<void> {
    const body = typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : JSON.stringify(payload);
    await this.client.publishAsync(`ln/v1/${topicPod}/readings`, body, { qos: 1 });
  }

  async close(): Promise<void> { await this.client.endAsync(true); }
}

/** Poll `fn` until it returns true (or time out). */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
