/**
 * The DSO side of a setpoint: a key registered on chain as a setpoint signer signs an EIP-712
 * `Setpoint`, and the DSO's operator account publishes it on `ln/v1/{pod}/setpoints`; the
 * Light Node's prompt `Activation` notices come back on `…/activations`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Signer } from 'ethers';
import { makeDomain, signSetpoint } from '@lightnode/shared/eip712';
import { hexToBytes } from '@lightnode/shared/hex';
import { topicFor } from '@lightnode/shared/topics';
import { parseActivation, serializeSetpointCommand, type Activation } from '@lightnode/shared/messages';
import type { Setpoint, SetpointMode } from '@lightnode/shared/setpoint';
import { podRegistryAt } from '@lightnode/contracts/connect';
import type { Login } from './broker.js';

/** Register `signerAddress` as a DSO setpoint signer (PodRegistry.addSetpointSigner, DSO role). */
export async function registerSetpointSigner(dso: Signer, podRegistry: string, signerAddress: string): Promise<string> {
  const tx = await podRegistryAt(podRegistry as `0x${string}`, dso).getFunction('addSetpointSigner')(signerAddress);
  const rc = await tx.wait();
  return rc?.hash ?? tx.hash;
}

export interface OperatorChannel {
  /** Activation notices received so far (any PoD). */
  activations: Activation[];
  /** Sign and publish one setpoint; resolves with what was sent. */
  send(sp: { pod: string; activePowerW: number; mode: SetpointMode; validForMs: number }): Promise<Setpoint>;
  close(): Promise<void>;
}

/** Connect the DSO operator to the broker and listen for activations of `pods`. */
export async function openOperatorChannel(o: {
  url: string; login: Login; pods: string[]; chainId: number; podRegistry: `0x${string}`; signerKey: `0x${string}`; now?: () => number;
}): Promise<OperatorChannel> {
  const client: MqttClient = await mqtt.connectAsync(o.url, { username: o.login.username, password: o.login.password, clientId: `${o.login.username}@operator-${process.pid}`, reconnectPeriod: 1000, connectTimeout: 5000 });
  const activations: Activation[] = [];
  client.on('message', (_topic, payload) => {
    try { activations.push(parseActivation(payload)); } catch { /* not an activation: ignored */ }
  });
  for (const pod of o.pods) await client.subscribeAsync(topicFor(pod, 'activations'), { qos: 1 });
  const domain = makeDomain(o.chainId, o.podRegistry);
  const key = hexToBytes(o.signerKey);
  const now = o.now ?? Date.now;
  let n = 0;
  return {
    activations,
    async send(req) {
      const t = now();
      const sp: Setpoint = { pod: req.pod, id: `demo-${t.toString(36)}-${++n}`, activePowerW: req.activePowerW, mode: req.mode, validFrom: t - 1000, validUntil: t + req.validForMs };
      const signed = signSetpoint(domain, sp, key);
      await client.publishAsync(topicFor(req.pod, 'setpoints'), serializeSetpointCommand({ v: 1, setpoint: signed }), { qos: 1 });
      return sp;
    },
    close: () => client.endAsync(true),
  };
}
