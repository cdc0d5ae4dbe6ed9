#!/usr/bin/env node
/**
 * fleet — the DSO's provisioning CLI. See scripts/README.md for every command and option.
 * Exit codes: 0 done, 1 a FLEET_ error (code printed), 2 usage.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runIfMain } from '../invocation-dir.js';
import { Wallet } from 'ethers';
import { openContext, type GlobalOptions } from './context.js';
import { readPodsCsv } from './csv.js';
import { FleetCode, FleetError } from './errors.js';
import { jsonLine } from './json-out.js';
import { fetchBalNodes, formatStatus, joinStatus } from './fleet-status.js';
import { formatImportSummary, importPods } from './import-pods.js';
import { makeProgress } from './progress.js';
import { encryptKeystore, parseScryptN } from './keys.js';
import { formatPodTable, listPods } from './list-pods.js';
import { enrollPod, registerPod, revokePod, rotatePod, type WriteResult } from './registry-ops.js';
import { runBundleCommand, runFlashCommand } from './cli-bundle.js';
import { validateAddress, validatePod } from './validate.js';

export const USAGE = `usage: fleet <command> [options]
global: --rpc URL  --deployment FILE  --keystore FILE (password: FLEET_KEYSTORE_PASSWORD or prompt)
        or FLEET_PRIVATE_KEY env; --dry-run on every write; --json for machine output
commands:
  register --pod POD --address ADDR          bind a device to a PoD
  import FILE.csv [--batch-size N] [--include-revoked]
                                             bulk register (pod,address[,site]); resumable
  rotate --pod POD --address ADDR            replace a PoD's device
  revoke --pod POD                           revoke a PoD's device
  enroll --pod POD --address ADDR [--replace] [--bundle DIR]
                                             register the address a device showed at first boot
  list [--json]                              PoDs and devices from the registry's events
  status --bal URL [--api-key K] [--silent-after-min M] [--json]
                                             registry joined with the BAL's /api/nodes
  bundle (--pod POD | --from FILE.csv) --out DIR [--key-mode device|cli] [--template NAME|FILE]
         --broker URL [--ca FILE] [--mqtt-user-prefix P] [--agent FILE.mjs] [--agent-rpc URL] [--scrypt-n N]
                                             build Light Node image bundles
  flash --bundle DIR --target ROOTFS [--password-file F] [--node-modules-from DIR]
                                             install a bundle into a root filesystem tree
  image --image STOCK.img[.xz] (--pod POD | --from FILE.csv) --out DIR --runtime-dir DIR|npm [--node FILE]
        [bundle options | --bundles DIR] [--password-file F]
                                             one flashable Raspberry Pi OS image per PoD
  keystore-new --out FILE [--scrypt-n N]     create an encrypted DSO keystore (password: FLEET_KEYSTORE_PASSWORD)`;

const OPTIONS = {
  rpc: { type: 'string' }, deployment: { type: 'string' }, keystore: { type: 'string' },
  'dry-run': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
  pod: { type: 'string' }, address: { type: 'string' }, 'batch-size': { type: 'string' },
  replace: { type: 'boolean' }, bundle: { type: 'string' }, bal: { type: 'string' }, 'api-key': { type: 'string' },
  'silent-after-min': { type: 'string' }, from: { type: 'string' }, out: { type: 'string' },
  'key-mode': { type: 'string' }, template: { type: 'string' }, broker: { type: 'string' }, ca: { type: 'string' },
  'mqtt-user-prefix': { type: 'string' }, agent: { type: 'string' }, target: { type: 'string' },
  'password-file': { type: 'string' }, 'scrypt-n': { type: 'string' }, 'node-modules-from': { type: 'string' }, 'include-revoked': { type: 'boolean' }, 'agent-rpc': { type: 'string' },
  image: { type: 'string' }, bundles: { type: 'string' }, 'runtime-dir': { type: 'string' }, node: { type: 'string' },
} as const;

export type CliValues = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

export interface CliIo { out(s: string): void; err(s: string): void; env: NodeJS.ProcessEnv; errIsTTY?: boolean }

const defaultIo: CliIo = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), env: process.env, errIsTTY: Boolean(process.stderr.isTTY) };

/** Run the fleet CLI; returns the exit code. */
export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let values: CliValues; let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true }) as { values: CliValues; positionals: string[] });
  } catch (err) {
    io.err(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const [command, ...rest] = positionals;
  if (values.help || !command) { io.out(`${USAGE}\n`); return command || values.help ? 0 : 2; }
  const g: GlobalOptions = { ...(values.rpc ? { rpc: values.rpc } : {}), ...(values.deployment ? { deployment: values.deployment } : {}), ...(values.keystore ? { keystore: values.keystore } : {}), dryRun: values['dry-run'] ?? false, env: io.env };
  try {
    return await dispatch(command, rest, values, g, io);
  } catch (err) {
    if (err instanceof FleetError || (err as { code?: string }).code?.startsWith?.('FLEET_')) {
      const e = err as FleetError;
      if (values.json) io.out(jsonLine({ ok: false, error: { code: e.code, message: e.message } }));
      io.err(`${e.code}: ${e.message}\n`);
      return e.code === FleetCode.USAGE ? 2 : 1;
    }
    io.err(`unexpected error: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

function need(v: string | undefined, flag: string): string {
  if (!v) throw new FleetError(FleetCode.USAGE, `missing ${flag}\n${USAGE}`);
  return v;
}

// Arguments are checked before the deployment file and the chain are touched, so a typo is
// reported as itself (FLEET_USAGE / FLEET_POD_INVALID / FLEET_ADDRESS_INVALID) wherever it is run.
const podArg = (values: CliValues): string => validatePod(need(values.pod, '--pod'), '--pod');
const addressArg = (values: CliValues): string => validateAddress(need(values.address, '--address'), '--address');

function printWrite(io: CliIo, values: CliValues, r: WriteResult): void {
  if (values.json) { io.out(jsonLine({ ok: true, ...r })); return; }
  const pre = r.dryRun ? '[dry run] would ' : '';
  if (r.action === 'none') io.out(`${r.pod}: nothing to do (${r.note})\n`);
  else if (r.action === 'register') io.out(`${pre}register ${r.pod} → ${r.device}${r.tx ? ` (tx ${r.tx}, block ${r.blockNumber})` : ''}\n`);
  else if (r.action === 'rotate') io.out(`${pre}rotate ${r.pod}: ${r.previous} → ${r.device}${r.tx ? ` (tx ${r.tx}, block ${r.blockNumber})` : ''}\n`);
  else io.out(`${pre}revoke ${r.pod} (was ${r.previous})${r.tx ? ` (tx ${r.tx}, block ${r.blockNumber})` : ''}\n`);
}

async function withContext<T>(g: GlobalOptions, write: boolean, fn: (ctx: Awaited<ReturnType<typeof openContext>>) => Promise<T>): Promise<T> {
  const ctx = await openContext(g, write);
  try { return await fn(ctx); } finally { ctx.close(); }
}

async function dispatch(command: string, rest: string[], values: CliValues, g: GlobalOptions, io: CliIo): Promise<number> {
  switch (command) {
    case 'register': {
      const [pod, address] = [podArg(values), addressArg(values)];
      printWrite(io, values, await withContext(g, true, (ctx) => registerPod(ctx, pod, address)));
      return 0;
    }
    case 'rotate': {
      const [pod, address] = [podArg(values), addressArg(values)];
      printWrite(io, values, await withContext(g, true, (ctx) => rotatePod(ctx, pod, address)));
      return 0;
    }
    case 'revoke': {
      const pod = podArg(values);
      printWrite(io, values, await withContext(g, true, (ctx) => revokePod(ctx, pod)));
      return 0;
    }
    case 'enroll': {
      const [pod, address] = [podArg(values), addressArg(values)];
      if (values.bundle) (await import('./bundle-manifest.js')).checkEnrollBundle(values.bundle, pod);
      printWrite(io, values, await withContext(g, true, (ctx) => enrollPod(ctx, pod, address, values.replace ?? false)));
      return 0;
    }
    case 'import': {
      const file = rest[0] ?? need(undefined, 'pods.csv argument');
      const rows = readPodsCsv(file);
      const batchSize = values['batch-size'] ? Number(values['batch-size']) : 100;
      if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 1000) throw new FleetError(FleetCode.USAGE, `--batch-size: expected an integer 1..1000, found ${values['batch-size']}`);
      const summary = await withContext(g, true, (ctx) => importPods(ctx, rows, { batchSize, includeRevoked: values['include-revoked'] ?? false, progress: (n) => makeProgress(n, 'import', { write: io.err, isTTY: io.errIsTTY ?? false }) }));
      io.out(values.json ? jsonLine({ ok: summary.conflicts.length === 0, ...summary }) : `${formatImportSummary(summary)}\n`);
      return summary.conflicts.length === 0 ? 0 : 1;
    }
    case 'list': {
      const entries = await withContext(g, false, (ctx) => listPods(ctx));
      io.out(values.json ? jsonLine(entries) : `${formatPodTable(entries)}\n`);
      return 0;
    }
    case 'status': {
      const bal = need(values.bal ?? io.env.FLEET_BAL_URL, '--bal');
      if (!URL.canParse(bal) || !/^https?:$/.test(new URL(bal).protocol)) throw new FleetError(FleetCode.USAGE, `--bal: expected the BAL's http(s)://host:port, found ${bal}`);
      const silentMin = Number(values['silent-after-min'] ?? 60);
      if (!Number.isFinite(silentMin) || silentMin <= 0) throw new FleetError(FleetCode.USAGE, `--silent-after-min: expected minutes > 0, found ${values['silent-after-min']}`);
      const entries = await withContext(g, false, (ctx) => listPods(ctx));
      const nodes = await fetchBalNodes(bal, values['api-key'] ?? io.env.FLEET_BAL_API_KEY);
      const now = Date.now();
      const rows = joinStatus(entries, nodes, now, silentMin * 60_000);
      io.out(values.json ? jsonLine(rows) : `${formatStatus(rows, now)}\n`);
      return 0;
    }
    case 'bundle':
      return runBundleCommand(values, g, io);
    case 'flash':
      return runFlashCommand(values, g, io);
    case 'image':
      return (await import('./cli-image.js')).runImageCommand(values, g, io);
    case 'keystore-new': {
      const out = need(values.out, '--out');
      const password = need(io.env.FLEET_KEYSTORE_PASSWORD, 'FLEET_KEYSTORE_PASSWORD (the new keystore\'s password)');
      const scryptN = parseScryptN(values['scrypt-n'], 1 << 15);
      // an existing file may be the DSO's only key: never overwritten
      if (existsSync(out)) throw new FleetError(FleetCode.USAGE, `--out ${out} exists; a keystore is never overwritten (the key in it would be lost): choose another file`);
      const w = Wallet.createRandom();
      const json = await encryptKeystore(w.privateKey, password, scryptN);
      if (!g.dryRun) {
        try { writeFileSync(out, json, { mode: 0o600, flag: 'wx' }); } catch (err) {
          throw new FleetError(FleetCode.USAGE, `--out ${out}: cannot create the keystore (${(err as Error).message})`);
        }
      }
      const address = w.address.toLowerCase();
      io.out(values.json ? jsonLine({ ok: true, keystore: out, address, dryRun: g.dryRun }) : `${g.dryRun ? '[dry run] would write' : 'wrote'} keystore ${out} for ${address}\n`);
      return 0;
    }
    default:
      io.err(`unknown command ${command}\n${USAGE}\n`);
      return 2;
  }
}

runIfMain(import.meta.url, 'fleet', (argv) => main(argv));
