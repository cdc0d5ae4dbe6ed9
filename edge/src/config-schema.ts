/**
 * The agent's config file declared once, as data (DESIGN §8): every field with its type, bounds,
 * unit, default, doc and env variable. config.ts validates against it and derives the runtime
 * config; edge/README.md's table is generated from it (test: edge/test/agent/config-readme.test.ts).
 */
import { defineConfig } from '@lightnode/shared/config';
import { POD_RE, METER_RE } from '@lightnode/shared/reading';

const ADDRESS = { type: 'string', pattern: /^0x[0-9a-fA-F]{40}$/, expected: 'a 20-byte 0x address', unit: 'address' } as const;
const path = (doc: string, dflt?: string) => (dflt === undefined
  ? { type: 'string', unit: 'path', optional: true, doc } as const
  : { type: 'string', unit: 'path', default: dflt, doc } as const);
const ms = (min: number, max: number, dflt: number, doc: string) => ({ type: 'integer', min, max, default: dflt, unit: 'ms', doc } as const);
const sec = (min: number, max: number, dflt: number, doc: string) => ({ type: 'integer', min, max, default: dflt, unit: 's', doc } as const);
const emsTimeout = ms(10, 60_000, 2000, 'request timeout');

/** The agent config (env prefix `LIGHTNODE`). */
export const EDGE_CONFIG = defineConfig('edge', 'LIGHTNODE', {
  pod: { type: 'string', pattern: POD_RE, expected: 'a PoD code like IT001E12345678', env: true, doc: 'PoD code, put in every reading and topic' },
  dataDir: { ...path('base of relative paths (itself relative to the config file\'s folder)', '.'), env: true },
  keystore: {
    type: 'object', doc: 'the device key at rest',
    fields: {
      path: path('v3 keystore file (mode 0600 enforced on read)', 'keystore.json'),
      passwordFile: path('file holding the keystore password (first line); `LIGHTNODE_KEYSTORE_PASSWORD` (the password itself) wins'),
      scryptN: { type: 'integer', min: 1 << 10, max: 1 << 20, default: 1 << 15, doc: 'scrypt cost for `keygen` (2^15); any N is read' },
    },
  },
  chain: {
    type: 'object', doc: 'EIP-712 domain and chain access: `deploymentFile`, or `chainId` + `podRegistry`',
    fields: {
      deploymentFile: path('deployment JSON of `pnpm chain` (`rpcUrl`, `chainId`, `podRegistry`)'),
      rpcUrl: { type: 'string', unit: 'URL', optional: true, env: true, defaultDoc: 'from file', doc: 'JSON-RPC endpoint for `setpointSigners()` (only needed with `ems.enabled`)' },
      chainId: { type: 'integer', min: 1, max: 2 ** 48, optional: true, defaultDoc: 'from file', doc: 'EIP-712 domain chain id (inline wins over the file)' },
      podRegistry: { ...ADDRESS, optional: true, defaultDoc: 'from file', doc: 'EIP-712 `verifyingContract` and the registry read for setpoint signers' },
      rpcTimeoutMs: ms(100, 120_000, 5000, 'timeout of one RPC call'),
    },
  },
  spool: {
    type: 'object', doc: 'the local store of signed readings awaiting their ack',
    fields: {
      path: path('SQLite file (plus `-wal`, `-shm`)', 'spool.db'),
      maxBytes: { type: 'integer', min: 64 * 1024, max: 2 ** 45, default: 512 * 1024 * 1024, unit: 'bytes', doc: 'bound on the summed size of spooled signed readings (512 MiB)' },
      maxAgeDays: { type: 'integer', min: 1, max: 3650, default: 30, unit: 'days', doc: 'bound on how long a reading may wait for its ack' },
      synchronous: { type: 'string', enum: ['full', 'normal'], default: 'full', doc: 'SQLite `synchronous`; `normal` is faster but a power cut may lose the last commits and let a seq be reused' },
      boundsCheckIntervalSec: sec(1, 86_400, 60, 'how often the bounds are enforced'),
      coalesceMs: ms(0, 5000, 50, 'drafts arriving within this window are signed and committed in one transaction (one fsync, one publish); 0 = per event-loop turn'),
    },
  },
  mqtt: {
    type: 'object', doc: 'the uplink to the BAL\'s broker',
    fields: {
      url: { type: 'string', pattern: /^(mqtts?|wss?|tcp|ssl):\/\/.+/, expected: 'an mqtt(s)://, ws(s)://, tcp:// or ssl:// URL', unit: 'URL', default: 'mqtt://127.0.0.1:1883', env: true, doc: 'broker' },
      protocolVersion: { type: 'integer', enum: [4, 5], default: 5, doc: '5 (MQTT 5) or 4 (3.1.1); 5 falls back to 3.1.1 when the broker refuses it (see Uplink)' },
      clientId: { type: 'string', pattern: /^[A-Za-z0-9._:-]{1,64}$/, optional: true, defaultDoc: 'mqtt.username, else ln-<pod>', doc: "MQTT client id; the BAL's brokers accept only the username (cloud README \"Client ids\"): leave it unset" },
      username: { type: 'string', optional: true, env: true, doc: 'broker user name' },
      password: { type: 'string', optional: true, env: true, secret: true, doc: 'broker password' },
      tls: {
        type: 'object', doc: 'TLS towards the broker (`mqtts://`, `wss://`)',
        fields: {
          caFile: path('CA bundle'),
          certFile: path('client certificate (with `keyFile`)'),
          keyFile: path('client key (with `certFile`)'),
          rejectUnauthorized: { type: 'boolean', default: true, doc: 'verify the broker certificate' },
        },
      },
      keepaliveSec: sec(5, 3600, 30, 'MQTT keepalive'),
      batchSize: { type: 'integer', min: 1, max: 1000, default: 200, unit: 'readings', doc: 'readings per published batch (batches are also cut at the shared 1 MiB message limit)' },
      inFlightBatches: { type: 'integer', min: 1, max: 64, default: 8, unit: 'batches', doc: 'published batches awaiting their ack before the uplink pauses' },
      ackTimeoutSec: sec(1, 3600, 30, 'no ack for this long → resend from the oldest unacked reading'),
      lingerMs: ms(0, 60_000, 0, 'sparse readings: wait up to this long after a new reading so the readings of the window share one message (0 = publish each at once; see Uplink)'),
      reconnectMinMs: ms(50, 600_000, 1000, 'reconnect backoff floor (exponential, full jitter)'),
      reconnectMaxMs: ms(50, 3_600_000, 60_000, 'reconnect backoff ceiling'),
      takeoverBackoffMinMs: ms(100, 3_600_000, 30_000, 'first wait after another client took the session over (same client id: MQTT 5 reason 0x8E, or 3 drops right after connecting); doubles per takeover'),
      takeoverBackoffMaxMs: ms(100, 86_400_000, 600_000, 'longest wait after a takeover; a connection held this long ends the doubling'),
      statusIntervalSec: sec(1, 86_400, 60, 'period of the retained `online` status refresh'),
    },
  },
  meters: {
    type: 'array', default: [], doc: 'acquisition sources',
    items: {
      type: 'object', doc: 'one meter',
      additionalDoc: 'the rest belongs to the acquisition config (template, link, device, …: `src/meters/README.md`)',
      fields: {
        id: { type: 'string', pattern: METER_RE, expected: 'a meter id of [A-Za-z0-9._:-], 1..64', doc: 'unique meter id (not `ems`, which the EMS readings use)' },
        kind: { type: 'string', enum: ['modbus', 'chain2', 'pmu', 'pmu-json'], doc: 'acquisition kind (`pmu`: IEEE C37.118.2 over TCP; `pmu-json`: Platone PMU JSON over MQTT)' },
        intervalMs: { type: 'integer', min: 100, max: 86_400_000, optional: true, unit: 'ms', doc: 'poll period (Modbus), aligned to multiples of the period' },
        cron: { type: 'string', optional: true, doc: 'instead of `intervalMs`: 6-field node-cron expression with seconds, e.g. `0 */15 * * * *`' },
        rating: {
          type: 'object', optional: true, doc: 'what the meter is built for: the plausibility windows of its values (values outside are dropped before signing, `acquisition_values_dropped_total`); each field wins over the template\'s `rating` and the kind\'s default (Chain 2: 230 V, 50 Hz, 3 × 100 A; PMU: 50 Hz)',
          fields: {
            nominalVoltageV: { type: 'number', min: 1, max: 1_000_000, optional: true, unit: 'V', doc: 'nominal phase-to-neutral voltage: voltages above 2 × this are dropped' },
            nominalFrequencyHz: { type: 'number', min: 1, max: 1000, optional: true, unit: 'Hz', doc: 'nominal grid frequency: frequencies outside ± 10 % are dropped' },
            maxCurrentA: { type: 'number', min: 0.001, max: 1_000_000, optional: true, unit: 'A', doc: 'rated maximum current per phase (Imax): larger currents, and powers above 1.15 × nominal V × this (× phases for totals), are dropped' },
            phases: { type: 'integer', enum: [1, 3], optional: true, doc: '1 or 3' },
          },
        },
      },
    },
  },
  ems: {
    type: 'object', doc: 'the EMS the DSO\'s setpoints drive (see Setpoint policy)',
    fields: {
      enabled: { type: 'boolean', default: false, doc: 'accept setpoints and drive the EMS' },
      transport: { type: 'string', enum: ['modbus', 'rest', 'mqtt'], default: 'modbus', doc: 'how the EMS is reached' },
      modbus: {
        type: 'object', optional: true, doc: 'Modbus TCP EMS (required with `transport` `modbus`)',
        fields: {
          host: { type: 'string', default: '127.0.0.1', doc: 'EMS Modbus TCP host' },
          port: { type: 'integer', min: 1, max: 65535, default: 502, unit: 'TCP port', doc: 'EMS Modbus TCP port' },
          unitId: { type: 'integer', min: 0, max: 255, default: 1, doc: 'Modbus unit id' },
          timeoutMs: ms(10, 60_000, 1000, 'Modbus request timeout'),
          modeRegister: { type: 'integer', min: 0, max: 65535, default: 0, unit: 'register', doc: 'holding register: 0 off, 1 limit, 2 target' },
          powerRegister: { type: 'integer', min: 0, max: 65534, default: 1, unit: 'register', doc: 'holding registers (2): setpoint int32 W, most significant word first' },
          readbackModeRegister: { type: 'integer', min: 0, max: 65535, optional: true, unit: 'register', defaultDoc: '= modeRegister', doc: 'where the EMS reports the mode it holds' },
          readbackPowerRegister: { type: 'integer', min: 0, max: 65534, optional: true, unit: 'register', defaultDoc: '= powerRegister', doc: 'where the EMS reports the setpoint it holds' },
        },
      },
      rest: {
        type: 'object', optional: true, doc: 'REST EMS (required with `transport` `rest`)',
        fields: {
          url: { type: 'string', pattern: /^https?:\/\//, expected: 'an http(s):// URL', unit: 'URL', doc: 'EMS base URL (lab: `http://host:port/ems`): `PUT {url}/setpoint` with `{mode, setpointW}`, `GET {url}/setpoint` reads back' },
          timeoutMs: emsTimeout,
        },
      },
      mqtt: {
        type: 'object', optional: true, doc: 'MQTT EMS on the uplink\'s broker `mqtt.url` (required with `transport` `mqtt`)',
        fields: {
          commandTopic: { type: 'string', doc: '`{mode, setpointW}` is published here (lab: `<base>/set`)' },
          stateTopic: { type: 'string', doc: 'retained state `{mode, setpointW, …}` is read here (lab: `<base>/state`)' },
          timeoutMs: emsTimeout,
        },
      },
      fallback: { type: 'string', enum: ['release', 'hold'], default: 'release', doc: 'what to do when a setpoint expires (see Setpoint policy)' },
      pollIntervalMs: ms(0, 86_400_000, 0, 'also spool the EMS state as readings (meter `ems`, source `ems`); 0 = off'),
      signersCacheFile: path('last known setpoint-signer list', 'setpoint-signers.json'),
      signersRefreshSec: sec(1, 86_400, 300, 'how often the list is re-read from the chain'),
      maxClockSkewMs: ms(0, 3_600_000, 5000, 'a setpoint whose `validFrom` is this close is applied at once'),
    },
  },
  http: {
    type: 'object', doc: 'the local health and metrics endpoint (`/healthz`, `/metrics`)',
    fields: {
      host: { type: 'string', default: '127.0.0.1', doc: 'interface to bind' },
      port: { type: 'integer', min: 0, max: 65535, default: 9464, unit: 'TCP port', env: true, doc: 'port (0 = any free port)' },
      enabled: { type: 'boolean', default: true, doc: 'serve it' },
    },
  },
  log: {
    type: 'object', doc: 'logging (JSON lines on stderr)',
    fields: { level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'], default: 'info', env: true, doc: 'lowest level written' } },
  },
  watchdogIntervalMs: ms(1000, 600_000, 10_000, 'sd_notify period when `WATCHDOG_USEC` is not set'),
});
