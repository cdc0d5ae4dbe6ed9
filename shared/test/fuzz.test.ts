// "Bad input never crashes": every entry point that takes untrusted input, fed with seeded random
// mutations of valid payloads, either returns a value or throws a LightNodeError with a code —
// never a TypeError/RangeError from deep inside.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { parseReadingsBatch, splitReadingsBatch, parseAck, parseStatus, parseSetpointCommand, parseActivation } from '../src/messages.js';
import { parseChain2Message } from '../src/chain2.js';
import { validateSignedReading } from '../src/reading.js';
import { validateReceipt } from '../src/receipt.js';
import { parseConfigText } from '../src/config.js';
import { verifyMerkleProof } from '../src/merkle.js';
import { recoverReadingSigner, parseSignature } from '../src/eip712.js';
import { LightNodeError } from '../src/errors.js';

const load = (f: string) => JSON.parse(readFileSync(new URL(`../vectors/${f}`, import.meta.url), 'utf8'));
const readings = load('readings.json').vectors;
const setpoints = load('setpoints.json').vectors;
const chain2 = Object.values(load('chain2-examples.json').messages);

let seed = 7;
const rnd = (): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x80000000; };
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const WEIRD: unknown[] = [null, true, false, 0, -1, 1.5, NaN, 1e308, -0, '', 'x', '0x', '1', [], {}, [null], { v: 1 }, 2 ** 53, '__proto__'];

/** Replace a random node of a JSON value with a weird one, or delete/duplicate a key. */
function mutate(x: unknown, depth = 0): unknown {
  if (depth > 0 && rnd() < 0.25) return pick(WEIRD);
  if (Array.isArray(x)) {
    if (x.length === 0 || rnd() < 0.2) return rnd() < 0.5 ? [] : [...x, pick(WEIRD)];
    const i = Math.floor(rnd() * x.length);
    return x.map((e, j) => (j === i ? mutate(e, depth + 1) : e));
  }
  if (x && typeof x === 'object') {
    const keys = Object.keys(x);
    const o = { ...(x as Record<string, unknown>) };
    const r = rnd();
    if (r < 0.15 && keys.length) delete o[pick(keys)];
    else if (r < 0.25) o[pick(['extra', 'v', '__proto__', 'constructor'])] = pick(WEIRD);
    else if (keys.length) { const k = pick(keys); o[k] = mutate(o[k], depth + 1); }
    return o;
  }
  return pick(WEIRD);
}

function garble(text: string): string {
  const r = rnd();
  const i = Math.floor(rnd() * text.length);
  if (r < 0.3) return text.slice(0, i);
  if (r < 0.6) return text.slice(0, i) + pick(['{', '}', '"', '\\', '\u0000', '\ud800', ',', '1e999']) + text.slice(i);
  return text.slice(0, i) + text.slice(i + 1);
}

function survives(name: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof LightNodeError) || !/^[A-Z][A-Z0-9_]+$/.test(e.code)) {
      assert.unreachable(`${name} threw a non-coded error: ${String(e)}`);
    }
  }
}

const r0 = readings[1].reading;
const payloads: [string, unknown, (p: string) => unknown][] = [
  ['batch', { v: 1, readings: [r0, readings[0].reading] }, (p) => parseReadingsBatch(p, r0.pod)],
  ['split', { v: 1, readings: [r0, readings[0].reading] }, (p) => splitReadingsBatch(p, r0.pod)],
  ['ack', { v: 1, stored: [1, 2], duplicate: [3], rejected: [{ seq: 4, code: 'BAL_X', reason: 'r' }] }, parseAck],
  ['status', { v: 1, pod: r0.pod, device: readings[1].address, state: 'online', ts: 1.7e12, lastSeq: 3, spoolDepth: 0, quarantined: 0, agentVersion: '1' }, parseStatus],
  ['setpoint', { v: 1, setpoint: setpoints[0].setpoint }, parseSetpointCommand],
  ['activation', { v: 1, setpointId: 'sp-1', status: 'refused', code: 'EDGE_X' }, parseActivation],
  ...chain2.map((m, i): [string, unknown, (p: string) => unknown] => [`chain2 #${i}`, m, parseChain2Message]),
];

test('message and Chain 2 parsers: 3000 mutated objects and 3000 garbled texts never crash', () => {
  for (let i = 0; i < 3000; i++) {
    const [name, good, parse] = pick(payloads);
    survives(name, () => parse(JSON.stringify(mutate(good))));
    survives(name, () => parse(garble(JSON.stringify(good))));
  }
});

test('reading, receipt and signature entry points: 2000 mutations never crash', () => {
  const domain = readings[1].domain;
  for (let i = 0; i < 2000; i++) {
    const m = mutate(r0) as never;
    survives('validateSignedReading', () => validateSignedReading(m));
    survives('recover', () => recoverReadingSigner(domain, validateSignedReading(m)));
    survives('parseSignature', () => parseSignature(pick(WEIRD) as never));
    survives('validateReceipt', () => validateReceipt(mutate({ v: 1, reading: r0, digest: readings[1].digest, signer: readings[1].address, chainId: 1, contracts: {}, anchor: {}, proof: [] })));
    survives('config', () => parseConfigText({ a: { type: 'integer', default: 1, doc: '' } }, garble('{"a": 5}')));
    assert.type(verifyMerkleProof(pick(WEIRD) as never, pick(WEIRD) as never, pick(WEIRD) as never), 'boolean');
  }
});

test.run();
