/**
 * `sim` — start a whole lab from one JSON config file, print its endpoints as one JSON line on
 * stdout, log to stderr as JSON lines, stop cleanly on SIGINT/SIGTERM.
 *
 *   sim <lab.json>          start the lab
 *   sim --example           print an example config
 *   sim cim-server …        the DSO data-server simulator (signed CIM feed; ./cim-server/cli.ts)
 *   sim --help
 *
 * Environment overrides: SIM_<PATH> (e.g. SIM_TIME_ACCELERATION=3600, SIM_CONTROL_PORT=8000; README "Config file").
 */
import { readFileSync } from 'node:fs';
import { isLightNodeError } from '@lightnode/shared/errors';
import { startLab } from './lab.js';
import { CIM_SERVER_USAGE, cimServerMain } from './cim-server/cli.js';

const EXAMPLE = {
  startTime: '2026-06-01T06:00:00Z',
  timeAcceleration: 60,
  seed: 1,
  control: { port: 0 },
  tcp: [{ name: 'lan', port: 0 }],
  serial: [{ name: 'rs485', path: '/tmp/sim-rs485', baudRate: 9600 }],
  devices: [
    { id: 'main-meter', type: 'sdm630', slaveId: 1, tcp: 'lan', rtu: 'rs485', profile: { kind: 'household' }, initialImportWh: 1234000 },
    { id: 'pv-meter', type: 'sunspec-meter', slaveId: 2, tcp: 'lan', profile: { kind: 'pv', peakW: 4500 } },
    { id: 'heat-pump', type: 'sdm120', slaveId: 3, rtu: 'rs485', profile: { kind: 'constant', powerW: 1800 } },
    { id: 'ems', type: 'ems', slaveId: 10, tcp: 'lan', rest: { port: 0 }, limits: { minW: -6000, maxW: 6000, rampWPerSec: 500 } },
    { id: 'chain2', type: 'chain2', pod: 'IT001E12345678', ws: { port: 0 }, initialImportWh: 1500000 },
  ],
};

const log = (level: string, msg: string, extra: Record<string, unknown> = {}) =>
  process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...extra })}\n`);

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'cim-server') {
    if (argv.includes('--help')) { process.stdout.write(`${CIM_SERVER_USAGE}\n`); return 0; }
    return cimServerMain(argv.slice(1), (line) => process.stdout.write(`${line}\n`));
  }
  if (argv.includes('--help') || argv.includes('-h') || argv.length === 0) {
    process.stdout.write('usage: sim <lab.json> | sim --example | sim cim-server --help\nStarts the simulated lab described by the config file; prints its endpoints as JSON.\n');
    return argv.length === 0 ? 2 : 0;
  }
  if (argv.includes('--example')) {
    process.stdout.write(`${JSON.stringify(EXAMPLE, null, 2)}\n`);
    return 0;
  }
  const file = argv[0]!;
  let config: unknown;
  try {
    config = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    log('error', `cannot read config ${file}: ${(e as Error).message}`, { code: 'CONFIG_INVALID' });
    return 1;
  }
  const lab = await startLab(config, { env: process.env });
  process.stdout.write(`${JSON.stringify(lab.endpoints)}\n`);
  log('info', 'lab started', { devices: lab.devices.size, control: lab.endpoints.control });
  await new Promise<void>((resolve) => {
    const onSignal = (sig: string) => {
      log('info', 'stopping', { signal: sig });
      resolve();
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  });
  await lab.stop();
  log('info', 'stopped');
  return 0;
}

// `pnpm --filter @lightnode/hardware-sim sim lab.json` runs in hardware-sim/; a relative config
// (or template) path means the folder the command was typed in, which pnpm passes as INIT_CWD.
const typedIn = process.env.INIT_CWD;
if (process.env.npm_lifecycle_event === 'sim' && typedIn && typedIn !== process.cwd()) process.chdir(typedIn);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    log('error', (e as Error).message, isLightNodeError(e) ? { code: e.code, details: e.details } : { code: 'SIM_START_FAILED' });
    process.exit(1);
  },
);
