import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig, parseConfigText, defineConfig, type Schema, type ConfigOf } from '../src/config.js';
import { applyEnvOverrides, envName, envVarName } from '../src/config-env.js';
import { configTable, describeSchema, readmeConfigTable, withConfigTable } from '../src/config-table.js';
import { isLightNodeError, type LightNodeError } from '../src/errors.js';

const schema = {
  deviceName: { type: 'string', doc: 'name shown in status', minLength: 1 },
  logLevel: { type: 'string', enum: ['debug', 'info', 'warn'] as const, default: 'info', doc: 'log level' },
  pollIntervalSec: { type: 'number', min: 0.1, max: 3600, default: 10, unit: 's', env: true, doc: 'poll period' },
  verbose: { type: 'boolean', default: false, env: true, doc: 'extra logs' },
  mqtt: {
    type: 'object', doc: 'uplink',
    fields: {
      url: { type: 'string', pattern: /^mqtts?:\/\//, default: 'mqtt://127.0.0.1:1883', doc: 'broker URL' },
      keepaliveSec: { type: 'integer', min: 1, default: 30, unit: 's', env: true, doc: 'keepalive' },
      clientId: { type: 'string', optional: true, env: true, doc: 'client id' },
    },
  },
  meters: { type: 'array', default: [], env: true, doc: 'meters', items: { type: 'object', doc: 'meter', fields: { id: { type: 'string', doc: 'id' }, unitId: { type: 'integer', min: 1, max: 247, doc: 'Modbus unit id' } } } },
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

test('environment overrides: PREFIX_PATH in upper snake case, typed by the schema; only `env` fields', () => {
  const env = { LN_POLL_INTERVAL_SEC: '2.5', LN_VERBOSE: 'true', LN_MQTT_KEEPALIVE_SEC: '60', LN_MQTT_CLIENT_ID: 'x', LN_METERS: '[{"id":"a","unitId":3}]', LN_LOG_LEVEL: 'debug', LN_MQTT_URL: 'mqtt://ignored', OTHER: '1' };
  const cfg = parseConfig(schema, { deviceName: 'pi-1', mqtt: { url: 'mqtts://b:8883' } }, { env, envPrefix: 'LN' });
  assert.is(cfg.pollIntervalSec, 2.5);
  assert.is(cfg.verbose, true);
  assert.equal(cfg.mqtt, { url: 'mqtts://b:8883', keepaliveSec: 60, clientId: 'x' }, 'mqtt.url is not env-settable');
  assert.equal(cfg.meters, [{ id: 'a', unitId: 3 }]);
  assert.is(cfg.logLevel, 'info', 'logLevel is not env-settable');
  assert.is(envName('keepaliveSec'), 'KEEPALIVE_SEC');
  assert.is(envVarName('BAL', ['store', 'url']), 'BAL_STORE_URL');
  assert.is(envVarName('LIGHTNODE', ['mqtt', 'tls', 'caFile']), 'LIGHTNODE_MQTT_TLS_CA_FILE');
});

test('an empty variable counts as unset; the input is not mutated; objects on the way are created', () => {
  const input = { deviceName: 'pi-1' };
  assert.equal(parseConfig(schema, input, { env: { LN_POLL_INTERVAL_SEC: '', LN_VERBOSE: '' }, envPrefix: 'LN' }).pollIntervalSec, 10);
  const out = applyEnvOverrides(schema, 'LN', input, { LN_MQTT_CLIENT_ID: 'c' });
  assert.equal(out, { deviceName: 'pi-1', mqtt: { clientId: 'c' } });
  assert.equal(input, { deviceName: 'pi-1' });
});

test('env only fields: refused in the file, taken from the environment; secrets never in messages', () => {
  const s = { key: { type: 'string', secret: true, env: 'only', optional: true, doc: 'signing key' } } as const satisfies Schema;
  assert.equal(parseConfig(s, {}, { env: { X_KEY: 'k' }, envPrefix: 'X' }), { key: 'k' });
  const e = err(() => parseConfig(s, { key: 'k' }, { env: {}, envPrefix: 'X' }));
  assert.is(e.details['field'], 'key');
  assert.match(e.message, /absent from the file \(set X_KEY in the environment\), found "a value \(not shown\)"/);
  const p = { pw: { type: 'string', pattern: /^[a-z]+$/, secret: true, env: true, optional: true, doc: 'password' }, n: { type: 'integer', secret: true, env: true, optional: true, doc: 'pin' } } as const satisfies Schema;
  for (const [input, env] of [[{ pw: 'Hunter2' }, {}], [{}, { X_N: 'Hunter2' }]] as const) {
    const s = err(() => parseConfig(p, input, { env, envPrefix: 'X' }));
    assert.not.match(s.message, /Hunter2/);
    assert.not.match(JSON.stringify(s.details), /Hunter2/);
    assert.match(s.message, /not shown/);
  }
});

test('defineConfig refuses two fields with one env variable', () => {
  assert.throws(() => defineConfig('x', 'X', { aB: { type: 'string', env: true, doc: '' }, a: { type: 'object', doc: '', fields: { b: { type: 'string', env: true, doc: '' } } } }),
    (e: unknown) => isLightNodeError(e, 'CONFIG_SCHEMA') && /X_A_B/.test((e as Error).message));
  assert.is(defineConfig('x', 'X', { aB: { type: 'string', env: true, doc: '' }, a: { type: 'object', doc: '', fields: { b: { type: 'string', doc: '' } } } }).envPrefix, 'X');
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
    [{ deviceName: 'a', pollIntervalSec: '10' }, 'pollIntervalSec', /pollIntervalSec: expected number 0.1..3600, found "10"/],
    [{ deviceName: 'a', pollIntervalSec: 0 }, 'pollIntervalSec', /0.1..3600/],
    [{ deviceName: 'a', mqtt: { keepaliveSec: 1.5 } }, 'mqtt.keepaliveSec', /integer/],
    [{ deviceName: 'a', mqtt: { url: 'http://x' } }, 'mqtt.url', /matching/],
    [{ deviceName: 'a', mqtt: 'mqtt://x' }, 'mqtt', /object/],
    [{ deviceName: 'a', mqtt: { port: 1 } }, 'mqtt.port', /no such field/],
    [{ deviceName: 'a', meters: [{ id: 'm', unitId: 0 }] }, 'meters[0].unitId', /1..247/],
    [{ deviceName: 'a', meters: [{ id: 'm' }] }, 'meters[0].unitId', /required/],
    [{ deviceName: 'a', typo: 1 }, 'typo', /no such field/],

    [[], 'config', /^config: expected object/],
    [{ deviceName: 'a', verbose: 'yes' }, 'verbose', /^verbose: expected boolean, found "yes"/],
  ];
  for (const [input, field, expected] of cases) {
    const e = err(() => parseConfig(schema, input));
    assert.is(e.details['field'], field, JSON.stringify(input));
    assert.match(e.message, expected);
    assert.ok(e.message.includes('found'), e.message);
  }
});

test('bad environment values name the variable and the field', () => {
  const e = err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_MQTT_KEEPALIVE_SEC: 'soon' }, envPrefix: 'LN' }));
  assert.is(e.details['field'], 'mqtt.keepaliveSec');
  assert.match(e.message, /LN_MQTT_KEEPALIVE_SEC \(mqtt\.keepaliveSec\): expected integer >= 1, found "soon"/);
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_VERBOSE: 'maybe' }, envPrefix: 'LN' })).details['field'], 'verbose');
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_METERS: '[' }, envPrefix: 'LN' })).details['field'], 'meters');
  assert.is(err(() => parseConfig(schema, { deviceName: 'a' }, { env: { LN_POLL_INTERVAL_SEC: ' ' }, envPrefix: 'LN' })).details['field'], 'pollIntervalSec');
});

test('parseConfigText reports JSON syntax errors with the source name', () => {
  const e = err(() => parseConfigText(schema, '{"deviceName": ', { source: 'edge.json' }));
  assert.match(e.message, /edge\.json: not valid JSON/);
  assert.is(parseConfigText(schema, '{"deviceName":"x"}').deviceName, 'x');
});

test('optional: null is absent; nullable: null is kept; open objects pass extra fields on', () => {
  const s = {
    port: { type: 'integer', min: 0, max: 65535, default: 1883, nullable: true, doc: 'port (null = none)' },
    name: { type: 'string', optional: true, doc: 'name' },
    version: { type: 'integer', enum: [4, 5], default: 5, doc: 'protocol' },
    m: { type: 'object', doc: 'meter', additionalDoc: 'the rest', fields: { id: { type: 'string', doc: 'id' } } },
  } as const satisfies Schema;
  const c = parseConfig(s, { port: null, name: null, m: { id: 'a', link: { kind: 'tcp' } } });
  assert.equal(c, { port: null, version: 5, m: { id: 'a', link: { kind: 'tcp' } } });
  const v: 4 | 5 = c.version;
  const p: number | null = c.port;
  assert.ok(v && p === null);
  assert.match(err(() => parseConfig(s, { version: 3, m: { id: 'a' } })).message, /^version: expected 4 \| 5, found number 3/);
  assert.is(err(() => parseConfig(s, { m: {} })).details['field'], 'm.id');
});

test('describeSchema lists every field with env name, unit and default', () => {
  const rows = describeSchema(schema, 'LN');
  const byPath = Object.fromEntries(rows.map((r) => [r.path, r]));
  assert.is(byPath['mqtt.keepaliveSec']?.env, 'LN_MQTT_KEEPALIVE_SEC');
  assert.is(byPath['mqtt.url']?.env, '');
  assert.is(byPath['pollIntervalSec']?.unit, 's');
  assert.is(byPath['pollIntervalSec']?.default, '10');
  assert.is(byPath['deviceName']?.default, '(required)');
  assert.is(byPath['meters[].unitId']?.type, 'integer 1..247');
  assert.is(byPath['meters[].unitId']?.env, '', 'no variable inside arrays');
  assert.is(rows.length, 11);
});

test('configTable renders Markdown; README markers are read and replaced', () => {
  const table = configTable(defineConfig('t', 'LN', schema));
  assert.match(table, /^\| field \| type \| unit \| default \| env \| meaning \|\n/);
  assert.match(table, /\n\| `logLevel` \| "debug" \\\| "info" \\\| "warn" \|  \| `info` \|  \| log level \|\n/);
  assert.match(table, /\n\| `mqtt.keepaliveSec` \| integer >= 1 \| s \| `30` \| `LN_MQTT_KEEPALIVE_SEC` \| keepalive \|\n/);
  const readme = '# x\n\n<!-- config-table:t -->\nold\n<!-- /config-table -->\nafter\n';
  assert.is(readmeConfigTable(readme, 't'), 'old\n');
  assert.is(readmeConfigTable(readme, 'other'), undefined);
  const next = withConfigTable(readme, 't', table);
  assert.is(readmeConfigTable(next, 't'), table);
  assert.ok(next.endsWith('<!-- /config-table -->\nafter\n'));
  assert.throws(() => withConfigTable('# none', 't', table), (e: unknown) => isLightNodeError(e, 'CONFIG_TABLE_MARKERS'));
});

test.run();
