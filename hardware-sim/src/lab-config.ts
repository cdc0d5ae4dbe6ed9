/**
 * The lab config file: one JSON object describing a whole lab (endpoints, devices, slave ids,
 * profiles, faults, time acceleration). Validated once with the shared schema validator; the
 * cross-field rules (references, unique slave ids) are checked here with the field named.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { defineConfig, parseConfigOf, type ConfigOf, type FieldSpec, type Schema } from '@lightnode/shared/config';
import { validateFaults } from './faults.js';
import { PROFILE_KINDS } from './physics/profiles.js';

const hostPort = (what: string) => ({
  host: { type: 'string', default: '127.0.0.1', doc: `interface the ${what} listens on` },
  port: { type: 'integer', min: 0, max: 65535, default: 0, unit: 'TCP port', doc: `${what} port (0 = a free port chosen by the OS)` },
} as const);

export const DEVICE_TYPES = ['sdm630', 'sdm120', 'sunspec-meter', 'meter', 'chain2', 'ems', 'pmu'] as const;

const deviceSchema = {
  id: { type: 'string', pattern: /^[A-Za-z0-9._-]{1,64}$/, doc: 'device id, unique in the lab (used by the control API)' },
  type: { type: 'string', enum: DEVICE_TYPES, doc: 'bundled meter model, `meter` (with `template`), `chain2` gateway, `ems` or `pmu` (C37.118.2 over TCP)' },
  template: { type: 'string', optional: true, doc: 'path of a device data file (type `meter`)' },
  slaveId: { type: 'integer', min: 1, max: 247, optional: true, doc: 'Modbus slave / unit id (meters and EMS)' },
  tcp: { type: 'string', optional: true, doc: 'name of the Modbus TCP endpoint that serves this device' },
  rtu: { type: 'string', optional: true, doc: 'name of the serial line (Modbus RTU) that serves this device' },
  profile: {
    type: 'object', optional: true, doc: 'load profile (meters, chain2; default household)',
    fields: {
      kind: { type: 'string', enum: PROFILE_KINDS, default: 'household', doc: 'household | pv | prosumer | constant' },
      baseW: { type: 'number', optional: true, unit: 'W', defaultDoc: '250', doc: 'household base load' },
      peakW: { type: 'number', optional: true, unit: 'W', defaultDoc: '2500 / 4000', doc: 'household evening peak / PV peak' },
      pvPeakW: { type: 'number', optional: true, unit: 'W', defaultDoc: '4000', doc: 'prosumer PV peak' },
      powerW: { type: 'number', optional: true, unit: 'W', defaultDoc: '0', doc: 'constant profile power, + import − export' },
      seed: { type: 'integer', optional: true, defaultDoc: 'the lab `seed`', doc: 'profile seed (appliance bursts and clouds)' },
    },
  },
  initialImportWh: { type: 'number', min: 0, default: 0, unit: 'Wh', doc: 'import energy counter at start' },
  initialExportWh: { type: 'number', min: 0, default: 0, unit: 'Wh', doc: 'export energy counter at start (meters)' },
  faults: {
    type: 'object', optional: true, doc: 'faults active from the start (see faults.ts)',
    fields: {
      timeout: { type: 'boolean', optional: true, doc: 'never answer' },
      exception: { type: 'integer', optional: true, doc: 'answer with exception 2, 4 or 6 (0 = off)' },
      exceptionRequests: { type: 'integer', min: 1, max: 1_000_000, optional: true, unit: 'requests', defaultDoc: 'every request', doc: 'only this many requests get `exception`, then the device recovers' },
      corruptCrc: { type: 'boolean', optional: true, doc: 'RTU responses with a bad CRC' },
      delayMs: { type: 'integer', min: 0, max: 60_000, optional: true, unit: 'ms', doc: 'answer late' },
      wordOrder: { type: 'string', enum: ['ABCD', 'CDAB', 'BADC', 'DCBA'], optional: true, doc: '32-bit word order override' },
      offline: { type: 'boolean', optional: true, doc: 'device gone' },
      values: { type: 'string', enum: ['normal', 'nan', 'outOfRange'], optional: true, doc: 'NaN or out-of-range values' },
      malformed: { type: 'boolean', optional: true, doc: 'Chain 2: malformed frames' },
    },
  },
  pod: { type: 'string', optional: true, doc: 'Chain 2: PoD code stated in CF20 (required for chain2)' },
  contractPowerW: { type: 'integer', min: 1, optional: true, unit: 'W', defaultDoc: '3000', doc: 'Chain 2: contract power; available power (CF22 threshold) is 110 %' },
  ws: { type: 'object', optional: true, doc: 'Chain 2: WebSocket listener', fields: hostPort('Chain 2 WebSocket') },
  serialPath: { type: 'string', optional: true, doc: 'Chain 2: serial device to write JSON lines to' },
  serialBaudRate: { type: 'integer', min: 300, default: 115200, unit: 'baud', doc: 'Chain 2: serial baud rate' },
  limits: {
    type: 'object', optional: true, doc: 'EMS limits',
    fields: {
      minW: { type: 'integer', default: -10_000, unit: 'W', doc: 'lowest accepted setpoint' },
      maxW: { type: 'integer', default: 10_000, unit: 'W', doc: 'highest accepted setpoint' },
      rampWPerSec: { type: 'number', min: 0.001, default: 500, unit: 'W/s (simulated)', doc: 'ramp rate of the applied setpoint' },
    },
  },
  rest: { type: 'object', optional: true, doc: 'EMS: REST API listener', fields: hostPort('EMS REST API') },
  pmu: {
    type: 'object', optional: true, doc: 'PMU: C37.118.2 server (type `pmu`; runs in real time, so the lab needs `timeAcceleration` 1)',
    fields: {
      ...hostPort('PMU'),
      idcode: { type: 'integer', min: 1, max: 65534, default: 1, doc: 'data stream IDCODE' },
      stn: { type: 'string', pattern: /^[\x20-\x7e]{1,16}$/, expected: '1..16 printable ASCII characters', optional: true, defaultDoc: 'the device id', doc: 'station name in CFG-2' },
      rateFps: { type: 'integer', min: 1, max: 50, default: 50, unit: 'frames/s', doc: 'DATA_RATE' },
      voltages: { type: 'integer', min: 1, max: 3, default: 3, doc: 'voltage phasors (phases A, B, C)' },
      currents: { type: 'integer', min: 0, max: 3, default: 3, doc: 'current phasors (phases A, B, C)' },
      float: { type: 'boolean', default: true, doc: 'float32 polar phasors (false: int16 polar with PHUNIT)' },
      version: { type: 'integer', enum: [1, 2], default: 2, doc: 'C37.118 version of the frames: 2 (2011) or 1 (2005)' },
      fnomHz: { type: 'integer', enum: [50, 60], default: 50, unit: 'Hz', doc: 'nominal frequency' },
    },
  },
  mqtt: {
    type: 'object', optional: true, doc: 'EMS: MQTT broker connection',
    fields: {
      url: { type: 'string', doc: 'broker URL, e.g. mqtt://127.0.0.1:1883' },
      topic: { type: 'string', optional: true, defaultDoc: '`sim/ems/<id>`', doc: 'base topic: subscribes `<topic>/set`, publishes `<topic>/state` and `<topic>/result`' },
      publishIntervalMs: { type: 'integer', min: 0, default: 5000, unit: 'ms', doc: 'state publication period (0 = on change only)' },
    },
  },
} as const satisfies Schema;

export const LAB_SCHEMA = {
  startTime: { type: 'string', optional: true, env: true, defaultDoc: 'now', doc: 'simulated time at start, ISO 8601' },
  timeAcceleration: { type: 'number', min: 0.001, max: 10_000_000, default: 1, unit: 'simulated s per real s', env: true, doc: 'time-acceleration factor' },
  seed: { type: 'integer', default: 1, env: true, doc: 'seed for profiles and noise' },
  tickMs: { type: 'integer', min: 10, default: 100, unit: 'ms', env: true, doc: 'Chain 2 generator tick (real time)' },
  control: { type: 'object', doc: 'HTTP control API', fields: { host: { ...hostPort('control API').host, env: true }, port: { ...hostPort('control API').port, env: true } } },
  tcp: {
    type: 'array', default: [], env: true, doc: 'Modbus TCP endpoints',
    items: { type: 'object', doc: 'endpoint', fields: { name: { type: 'string', doc: 'endpoint name' }, ...hostPort('Modbus TCP endpoint') } },
  },
  serial: {
    type: 'array', default: [], env: true, doc: 'Modbus RTU serial lines',
    items: {
      type: 'object', doc: 'serial line',
      fields: {
        name: { type: 'string', doc: 'line name' },
        path: { type: 'string', doc: 'serial device path (a real port or a pty link)' },
        baudRate: { type: 'integer', min: 300, default: 9600, unit: 'baud', doc: 'baud rate' },
      },
    },
  },
  devices: { type: 'array', minItems: 1, env: true, doc: 'the simulated devices (JSON in the environment)', items: { type: 'object', doc: 'device', fields: deviceSchema } satisfies FieldSpec },
} as const satisfies Schema;

/** The lab config (env prefix `SIM`, shared/src/config-env.ts: `SIM_TIME_ACCELERATION`, `SIM_CONTROL_PORT`, …). */
export const LAB_CONFIG = defineConfig('hardware-sim', 'SIM', LAB_SCHEMA);

export type LabConfig = ConfigOf<typeof LAB_SCHEMA>;
export type LabDeviceConfig = LabConfig['devices'][number];

const fail = (field: string, expected: string, found: unknown): never => { throw new ValidationError('CONFIG_INVALID', field, expected, found); };

/** Validates a parsed lab config (schema, then cross-field rules); throws `CONFIG_INVALID` naming the field. */
export function validateLabConfig(x: unknown, env?: Record<string, string | undefined>): LabConfig {
  const c = parseConfigOf(LAB_CONFIG, x, env);
  if (c.startTime !== undefined && Number.isNaN(Date.parse(c.startTime))) fail('startTime', 'an ISO 8601 time', c.startTime);
  const tcp = new Set(c.tcp.map((t) => t.name));
  const rtu = new Set(c.serial.map((s) => s.name));
  const ids = new Set<string>();
  const taken = new Set<string>();
  c.devices.forEach((d, i) => {
    const f = `devices[${i}]`;
    if (ids.has(d.id)) fail(`${f}.id`, 'a unique id', d.id);
    ids.add(d.id);
    if (d.faults && d.type !== 'pmu') validateFaults(d.faults, `${f}.faults`);
    if (d.type === 'pmu') {
      if (!d.pmu) fail(`${f}.pmu`, 'the PMU server settings (type pmu)', undefined);
      if (c.timeAcceleration !== 1) fail('timeAcceleration', '1 (a PMU streams in real time)', c.timeAcceleration);
      return;
    }
    if (d.type === 'chain2') {
      if (!d.pod) fail(`${f}.pod`, 'a PoD code (required for chain2)', d.pod);
      if (!d.ws && !d.serialPath) fail(`${f}.ws`, 'ws and/or serialPath for a chain2 gateway', undefined);
      return;
    }
    if (d.type === 'meter' && !d.template) fail(`${f}.template`, 'a data file path (type meter)', d.template);
    if (d.tcp !== undefined && !tcp.has(d.tcp)) fail(`${f}.tcp`, `one of the tcp endpoint names [${[...tcp].join(', ')}]`, d.tcp);
    if (d.rtu !== undefined && !rtu.has(d.rtu)) fail(`${f}.rtu`, `one of the serial line names [${[...rtu].join(', ')}]`, d.rtu);
    if ((d.tcp !== undefined || d.rtu !== undefined) && d.slaveId === undefined) fail(`${f}.slaveId`, 'a slave id 1..247 (device is on a Modbus endpoint)', undefined);
    for (const [kind, name] of [['tcp', d.tcp], ['rtu', d.rtu]] as const) {
      if (name === undefined) continue;
      const key = `${kind}:${name}:${d.slaveId}`;
      if (taken.has(key)) fail(`${f}.slaveId`, `a slave id not already used on ${kind} ${name}`, d.slaveId);
      taken.add(key);
    }
  });
  return c;
}
