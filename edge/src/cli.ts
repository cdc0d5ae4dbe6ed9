#!/usr/bin/env node
/**
 * `lightnode` — the Light Node agent's command line.
 *
 *   lightnode init    --pod <PoD> [--config <file>] [--force]     write a config skeleton
 *   lightnode keygen  [--config <file>] [--import <keyfile>|--import-stdin] [--force]
 *                                                               create (or import) the device key, print its address
 *   lightnode address [--config <file>]                         print the device address (no password needed)
 *   lightnode run     [--config <file>]                         run the agent (SIGTERM/SIGINT stop it cleanly)
 *   lightnode status  [--config <file>]                         spool depth, quarantine, last seq, last ack (JSON)
 *   lightnode spool inspect [--limit N] [--quarantine] [--config <file>]
 *   lightnode spool export  [--format jsonl|csv] [--quarantine] [--out <file>] [--config <file>]
 *
 * The config file defaults to $LIGHTNODE_CONFIG, else ./lightnode.json. The keystore password
 * comes from $LIGHTNODE_KEYSTORE_PASSWORD or `keystore.passwordFile`; it is never an argument
 * (arguments are visible to every user in `ps`).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import { configSkeleton, loadConfig, type AgentConfig } from './config.js';
import { DeviceKey } from './identity/device-key.js';
import { encryptKeystore, keystoreAddress, writeKeystoreFile } from './identity/keystore.js';
import { Spool } from './spool/spool.js';
import { exportSpool } from './spool/export.js';
import { startAgent } from './agent.js';
import { createLogger } from './ops/logger.js';

const USAGE = `usage:
  lightnode init    --pod <PoD> [--config <file>] [--force]
  lightnode keygen  [--config <file>] [--import <keyfile> | --import-stdin] [--force]
  lightnode address [--config <file>]
  lightnode run     [--config <file>]
  lightnode status  [--config <file>]
  lightnode spool inspect [--limit N] [--quarantine] [--config <file>]
  lightnode spool export  [--format jsonl|csv] [--quarantine] [--out <file>] [--config <file>]
config: --config, else $LIGHTNODE_CONFIG, else ./lightnode.json
keystore password: $LIGHTNODE_KEYSTORE_PASSWORD or keystore.passwordFile
`;

interface Args { cmd: string[]; flags: Map<string, string | true> }

function parseArgs(argv: string[]): Args {
  const cmd: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [k, v] = a.slice(2).split('=', 2) as [string, string | undefined];
      if (v !== undefined) flags.set(k, v);
      else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') && !['force', 'quarantine', 'import-stdin', 'help'].includes(k)) flags.set(k, argv[++i]!);
      else flags.set(k, true);
    } else cmd.push(a);
  }
  return { cmd, flags };
}

const out = (s: string): void => { process.stdout.write(s.endsWith('\n') ? s : s + '\n'); };

function configPath(a: Args): string {
  const f = a.flags.get('config');
  return resolve(typeof f === 'string' ? f : process.env.LIGHTNODE_CONFIG ?? 'lightnode.json');
}

function password(cfg: AgentConfig): string {
  if (process.env.LIGHTNODE_KEYSTORE_PASSWORD) return process.env.LIGHTNODE_KEYSTORE_PASSWORD;
  if (cfg.keystore.passwordFile && existsSync(cfg.keystore.passwordFile)) return readFileSync(cfg.keystore.passwordFile, 'utf8').replace(/\r?\n$/, '');
  throw new LightNodeError('EDGE_KEYSTORE_PASSWORD', 'no keystore password: set LIGHTNODE_KEYSTORE_PASSWORD or create keystore.passwordFile');
}

function openSpoolReadOnlyish(cfg: AgentConfig): Spool {
  // Status and export never sign; the agent may be running (WAL allows a concurrent reader).
  return Spool.open({ path: cfg.spool.path, pod: cfg.pod, sign: () => { throw new LightNodeError('EDGE_SPOOL_READONLY', 'not signing from the CLI'); } });
}

async function main(argv: string[]): Promise<number> {
  const a = parseArgs(argv);
  const [cmd, sub] = a.cmd;
  switch (cmd) {
    case 'init': {
      const pod = a.flags.get('pod');
      if (typeof pod !== 'string' || !POD_RE.test(pod)) throw new LightNodeError('CONFIG_INVALID', '--pod: expected a PoD code like IT001E12345678');
      const file = configPath(a);
      if (existsSync(file) && !a.flags.has('force')) throw new LightNodeError('CONFIG_EXISTS', `${file} exists (use --force to overwrite)`);
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      writeFileSync(file, JSON.stringify(configSkeleton(pod), null, 2) + '\n', { mode: 0o600 });
      out(`wrote ${file}`);
      return 0;
    }
    case 'keygen': {
      const cfg = loadConfig(configPath(a));
      mkdirSync(dirname(cfg.keystore.path), { recursive: true, mode: 0o700 });
      let key: DeviceKey;
      const imp = a.flags.get('import');
      if (typeof imp === 'string') key = DeviceKey.fromHex(readFileSync(imp, 'utf8'));
      else if (a.flags.has('import-stdin')) key = DeviceKey.fromHex(readFileSync(0, 'utf8'));
      else key = DeviceKey.generate();
      const doc = await encryptKeystore(key, password(cfg), { n: cfg.keystore.scryptN, r: 8, p: 1 });
      writeKeystoreFile(cfg.keystore.path, doc, { overwrite: a.flags.has('force') });
      out(JSON.stringify({ address: key.address, keystore: cfg.keystore.path }));
      return 0;
    }
    case 'address': {
      const cfg = loadConfig(configPath(a));
      const addr = keystoreAddress(cfg.keystore.path);
      if (!addr) throw new LightNodeError('EDGE_KEYSTORE_MISSING', `no keystore at ${cfg.keystore.path}`);
      out(addr);
      return 0;
    }
    case 'run': {
      process.umask(0o077); // every file the agent makes is its user's only (the unit says UMask=0077 too)
      const cfg = loadConfig(configPath(a));
      const log = createLogger({ level: cfg.log.level, fields: { pod: cfg.pod } });
      const agent = await startAgent(cfg, { logger: log });
      await new Promise<void>((resolveStop) => {
        const stop = (sig: string): void => {
          log.info('stopping', { signal: sig });
          void agent.stop().then(() => resolveStop());
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      return 0;
    }
    case 'status': {
      const cfg = loadConfig(configPath(a));
      const spool = openSpoolReadOnlyish(cfg);
      try {
        const st = spool.status();
        out(JSON.stringify({ pod: cfg.pod, device: keystoreAddress(cfg.keystore.path), spool: st, evictions: spool.evictions().slice(-10) }, null, 2));
      } finally { spool.close(); }
      return 0;
    }
    case 'spool': {
      const cfg = loadConfig(configPath(a));
      const spool = openSpoolReadOnlyish(cfg);
      try {
        const table = a.flags.has('quarantine') ? 'quarantine' : 'readings';
        if (sub === 'inspect') {
          const limit = Number(a.flags.get('limit') ?? 20);
          exportSpool(spool, { format: 'jsonl', table, limit }, (l) => process.stdout.write(l));
          return 0;
        }
        if (sub === 'export') {
          const format = a.flags.get('format') ?? 'jsonl';
          if (format !== 'jsonl' && format !== 'csv') throw new LightNodeError('CONFIG_INVALID', '--format: expected jsonl|csv');
          const file = a.flags.get('out');
          const fd = typeof file === 'string' ? openSync(file, 'w', 0o600) : 1;
          try {
            const n = exportSpool(spool, { format, table }, (l) => { writeSync(fd, l); });
            if (fd !== 1) out(`exported ${n} rows to ${String(file)}`);
          } finally { if (fd !== 1) closeSync(fd); }
          return 0;
        }
      } finally { spool.close(); }
      break;
    }
    default:
      break;
  }
  process.stderr.write(USAGE);
  return cmd === undefined || a.flags.has('help') ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const e = isLightNodeError(err) ? { code: err.code, message: err.message } : { code: 'EDGE_INTERNAL', message: (err as Error).message };
    process.stderr.write(JSON.stringify({ level: 'error', ...e }) + '\n');
    process.exitCode = 1;
  },
);
