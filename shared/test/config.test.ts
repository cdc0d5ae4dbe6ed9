import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig, parseConfigText, describeSchema, envName, type Schema, type ConfigOf } from '../src/config.js';
import { isLightNodeError, type LightNodeError } from '../src/errors.js';

const schema = {
  deviceName: { type: 'string', doc: 'name shown in status', minLength: 1 },
  logLevel: { type: 'string', enum: ['debug', 'info', 'warn'] as const, default: 'info', doc: 'log level' },
  pollIntervalSec: { type: 'number', min: 0.1, max: 3600, default: 10, unit: 's', doc: 'poll period' },
  verbose: { type: 'boolean', default: false, doc: 'extra logs' },
  mqtt: {
    type: 'object', doc: 'uplink',
    fields: {
      url: { type: 'string', pattern: /^mqtts?:\/\//, default: 'mqtt://127.0.0.1:1883', doc: 'broker URL' },
      keepaliveSec: { type: 'integer', min: 1, default: 30, unit: 's', doc: 'keepalive' },
      clientId: { type: 'string', optional: true, doc: 'client id' },
    },
  },
  meters: { type: 'array', default: [], doc: 'meters', items: { type: 'object', doc: 'meter', fields: { id: { type: 'string', doc: 'id' }, unitId: { type: 'integer', min: 1, max: 247, doc: 'Modbus unit id' } } } },
} as const satisfies Schema;

test('defaults fill in, nested objects too, and the result is typed', () => {
  const cfg = parseConfig(schema, { deviceName: 'pi-1' });
  assert.equal(cfg, { deviceName: 'pi-1', logLevel: 'info', pollIntervalSec: 10, verbose: false, mqtt: { url: 'mqtt://127.0.0.1:1883', keepaliveSec: 30 }, meters: [] });
  const typed: ConfigOf<typeof schema> = cfg;
  const level: 'debug' | 'info' | 'warn' = typed.logLevel;
  const port: number = typed.mqtt.keepaliveSec;
  const cid: string | undefined = typed.mqtt.clientId;
  assert.ok(level && port && cid === undefined);
});

test('environment overrides: PREFIX_FIELD and PREFIX_OBJ__FIELD, typed by the schema', () => {
  const env = { LN_POLL_INTERVAL_SEC: '2.5', LN_VERBOSE: 'true', LN_MQTT__KEEPALIVE_SEC: '60', LN_MQTT__CLIENT_ID: 'x', LN_METERS: '[{"id":"a","unitId":3}]', OTHER: '1' };
  const cfg = parseConfig(schema, { deviceName: 'pi-1', mqtt: { url: 'mqtts://b:8883' } }, { env, envPrefix: 'LN' });
  assert.is(cfg.pollIntervalSec, 2.5);
  assert.is(cfg.verbose, true);
  assert.equal(cfg.mqtt, { url: 'mqtts://b:8883', keepaliveSec: 60, clientId: 'x' });
  assert.equal(cfg.meters, [{ id: 'a', unitId: 3 }]);
  assert.is(envName('keepaliveSec'), 'KEEPALIVE_SEC');
});

function err(fn: () => unknown): LightNodeError {
  try { fn(); } catch (e) { if (isLightNodeError(e, 'CONFIG_INVALID')) return e; throw e; }
  assert.unreachable('accepted');
  throw new Error('unreachable');
}

test('every bad config names the field path, what was expected and what was found', () => {
  const cases: [unknown, string, RegExp][] = [
    [{}, 'deviceName', /required/],
    [{ deviceName: '' }, 'deviceName', /string/],
    [{ deviceName: 'a', logLevel: 'trace' }, 'logLevel', /"debug" \| "info" \| "warn"/],
    [{ deviceName: 'a', pollIntervalSec: '10' }, 'pollIntervalSec', /number in 0.1..3600 \(s\)/],
    [{ deviceName: 'a', pollIntervalSec: 0 }, 'pollIntervalSec', /0.1..3600/],
    [{ deviceName: 'a', mqtt: { keepaliveSec: 1.5 } }, 'mqtt.keepaliveSec', /integer/],
    [{ deviceName: 'a', mqtt: { url: 'http://x' } }, 'mqtt.url', /matching/],
    [{ deviceName: 'a', mqtt: 'mqtt://x' }, 'mqtt', /object/],
    [{ deviceName: 'a', mqtt: { port: 1 } }, 'mqtt.port', /no such field/],
    [{ deviceName: 'a', meters: [{ id: 'm', unitId: 0 }] }, 'meters[0].unitId', /1..247/],
    [{ deviceName: 'a', meters: [{ id: 'm' }] }, 'meters[0].unitId', /required/],
    [{ deviceName: 'a', typo: 1 }, 'typo', /no such field/],
    [[], 'config', /object/],
  ];
  for (const [input, field, expected] of cases) {
    const e = err(() => parseConfig(schema, input));
    assert.is(e.details['field'], field, JSON.stringify(input));
    assert.match(e.message, expected);
    assert.ok(e.message.includes('found'), e.message);
  }
});

test('bad environment values name the variable and the field', () => {
  const e = err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_MQTT__KEEPALIVE_SEC: 'soon' }, envPrefix: 'LN' }));
  assert.is(e.details['field'], 'mqtt.keepaliveSec');
  assert.match(e.message, /LN_MQTT__KEEPALIVE_SEC/);
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_VERBOSE: 'maybe' }, envPrefix: 'LN' })).details['field'], 'verbose');
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_METERS: '[' }, envPrefix: 'LN' })).details['field'], 'meters');
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_POLL_INTERVAL_SEC: '' }, envPrefix: 'LN' })).details['field'], 'pollIntervalSec');
});

test('parseConfigText reports JSON syntax errors with the source name', () => {
  const e = err(() => parseConfigText(schema, '{"deviceName": ', { source: 'edge.json' }));
  assert.match(e.message, /edge\.json: not valid JSON/);
  assert.is(parseConfigText(schema, '{"deviceName":"x"}').deviceName, 'x');
});

test('describeSchema lists every field with env name, unit and default', () => {
  const rows = describeSchema(schema, 'LN');
  const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
  assert.is(byPath['mqtt.keepaliveSec']?.env, 'LN_MQTT__KEEPALIVE_SEC');
  assert.is(byPath['pollIntervalSec']?.unit, 's');
  assert.is(byPath['pollIntervalSec']?.default, '10');
  assert.is(byPath['deviceName']?.default, '(required)');
  assert.is(rows.length, 9);
});

test.run();
