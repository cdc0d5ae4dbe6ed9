/**
 * The shared protocol core's untrusted-input entry points as fuzz targets (engine.ts): MQTT
 * payloads both sides parse (readings batches, acks, status, setpoint commands, activations),
 * Chain 2 messages, CIM MeterReadings XML and JSON, C37.118.2 frames, Platone PMU JSON, and
 * receipts. Each mutates valid samples from shared/vectors (the same vectors the unit tests use).
 */
import { readFileSync } from 'node:fs';
import { parseReadingsBatch, parseAck, parseStatus, parseSetpointCommand, parseActivation } from '../src/messages.js';
import { parseChain2Message } from '../src/chain2.js';
import { decodeCimXml } from '../src/cim/xml-codec.js';
import { decodeCimJson } from '../src/cim/json-codec.js';
import { decodeFrame } from '../src/c37118/decode-frame.js';
import type { ConfigFrame } from '../src/c37118/config-frame.js';
import { parsePlatonePayload } from '../src/platone-pmu.js';
import { validateReceipt } from '../src/receipt.js';
import { recoverDigestSigner, setpointDigest } from '../src/eip712.js';
import * as C37 from '../test/c37118-vectors.js';
import { jsonTextInput, mutateBytes, mutateJson, mutateText, type FuzzTarget, type Rng } from './engine.js';

const vector = (f: string): string => readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8');
const load = (f: string) => JSON.parse(vector(f));

const readings = load('readings.json').vectors;
const setpoints = load('setpoints.json').vectors;
const chain2 = Object.values(load('chain2-examples.json').messages) as unknown[];
const r0 = readings[1].reading;
const pod: string = r0.pod;

/** XML attacks the codec must refuse without resolving anything. */
const XML_ATTACKS = [
  '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xxxxxxxx"><!ENTITY y "&x;&x;&x;&x;&x;&x;&x;&x;">]><a>&y;</a>',
  '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>',
  `${'<a>'.repeat(5000)}${'</a>'.repeat(5000)}`,
  '<a xmlns="http://iec.ch/TC57/2011/schema/message"><![CDATA[x]]></a>',
  '<?xml-stylesheet href="http://x"?><a/>',
];

function textTarget(name: string, side: string, samples: readonly string[], run: (t: string) => unknown, attacks: readonly string[] = []): FuzzTarget<string> {
  return {
    name, side, run,
    input: (rnd: Rng) => (attacks.length && rnd.chance(0.02) ? rnd.pick(attacks) : mutateText(rnd, rnd.pick(samples))),
  };
}

function jsonTarget(name: string, side: string, samples: readonly unknown[], run: (t: string) => unknown): FuzzTarget<string> {
  return { name, side, run, input: (rnd: Rng) => jsonTextInput(rnd, samples) };
}

function bytesTarget(name: string, side: string, samples: readonly Uint8Array[], run: (b: Uint8Array) => unknown): FuzzTarget<Uint8Array> {
  return { name, side, run, input: (rnd: Rng) => mutateBytes(rnd, rnd.pick(samples), samples) };
}

const cfgA = C37.cfgA as unknown as ConfigFrame;
const cfgB = C37.cfgB as unknown as ConfigFrame;

/** Every shared parser that takes bytes or text from outside. */
export function sharedTargets(): FuzzTarget<unknown>[] {
  const cimXml = ['created-two-meters.xml', 'reply-partial.xml', 'reply-foreign-style.xml'].map((f) => vector(`cim/${f}`));
  const cimJson = ['created-two-meters.json', 'reply-partial.json'].map((f) => JSON.parse(vector(`cim/${f}`)) as unknown);
  const domain = setpoints[0].domain;
  const targets: FuzzTarget<never>[] = [
    jsonTarget('readings batch (envelope)', 'shared', [{ v: 1, readings: [r0, readings[0].reading] }], (p) => parseReadingsBatch(p, pod)),
    jsonTarget('ack', 'edge', [{ v: 1, stored: [1, 2], duplicate: [3], rejected: [{ seq: 4, code: 'BAL_X', reason: 'r' }] }], parseAck),
    jsonTarget('status', 'bal', [{ v: 1, pod, device: readings[1].address, state: 'online', ts: 1.7e12, lastSeq: 3, spoolDepth: 0, quarantined: 0, agentVersion: '1' }], parseStatus),
    jsonTarget('setpoint command', 'edge', setpoints.map((s: { setpoint: unknown }) => ({ v: 1, setpoint: s.setpoint })), (p) => {
      const cmd = parseSetpointCommand(p);
      return recoverDigestSigner(setpointDigest(domain, cmd.setpoint), cmd.setpoint.signature);
    }),
    jsonTarget('activation', 'bal', [{ v: 1, setpointId: 'sp-1', status: 'refused', code: 'EDGE_X' }, { v: 1, setpointId: 'sp-2', status: 'applied', reading: r0 }], parseActivation),
    jsonTarget('chain 2 message', 'edge', chain2, parseChain2Message),
    textTarget('CIM MeterReadings XML', 'bal', cimXml, (t) => decodeCimXml(t), XML_ATTACKS),
    jsonTarget('CIM MeterReadings JSON', 'bal', cimJson, (t) => decodeCimJson(t)),
    bytesTarget('C37.118.2 frame', 'edge', [C37.cfgABytes, C37.dataABytes, C37.cfgBBytes, C37.dataBBytes], (b) => {
      // As the PMU source does: the stream's configuration for data frames, by IDCODE.
      const idcode = b.length >= 6 ? (b[4]! << 8) | b[5]! : -1;
      return decodeFrame(b, idcode === cfgA.idcode ? cfgA : cfgB);
    }),
    jsonTarget('Platone PMU JSON', 'edge', [{ device: 'pmu-1', timestamp: '2026-01-01T00:00:00.000000001Z', readings: [{ component: 'bus1', measurand: 'voltmagnitude', phase: 'A', data: 230.1 }, { component: 'bus1', measurand: 'frequency', phase: 'A', data: 50.01 }] }], parsePlatonePayload),
    {
      // The verifier parses the receipt's JSON itself; what it hands to validateReceipt is a value.
      name: 'receipt', side: 'verifier', run: validateReceipt,
      input: (rnd: Rng) => mutateJson(rnd, { v: 1, reading: r0, digest: readings[1].digest, signer: readings[1].address, chainId: 1, contracts: {}, anchor: {}, proof: [] }),
    },
  ] as FuzzTarget<never>[];
  return targets as FuzzTarget<unknown>[];
}
