/**
 * `bal` — the Blockchain Access Layer command line.
 *
 *   bal run --config bal.json [--roles r,…]   start the BAL (roles ingest, api, anchor; default the config's); prints one JSON line with the endpoints;
 *                                             SIGHUP re-reads the broker credentials file and brings the
 *                                             broker's data users and grants in line with the store
 *   bal check-config --config bal.json        validate the config and the files it names
 *   bal mosquitto-config --config bal.json --out dir [--cert f --key f [--ca f] [--tls-port 8883]] [--port 1883] [--host h] [--no-plain] [--run-as-user u] [--dynsec plugin.so [--dynsec-admin u]]
 *                                             write mosquitto.conf + passwd + acl for a production broker:
 *                                             MQTTS with --cert/--key, else plain on 127.0.0.1 only (warned)
 *   bal nats-config --config bal.json --out dir --name n1 [--cluster ln --routes nats-route://h:6222,…] [--cert f --key f]
 *                                             write nats-server.conf (JetStream + MQTT listener, users with
 *                                             permissions from the ACL) for the JetStream transport
 *   bal passwd --credentials creds.json --user U --role device|bal|operator|data-server [--password P]
 *                                             add/replace a broker account (prints a generated password)
 *   bal api-key --name N [--role dso] [--token]
 *                                             make an API key (or bearer token) for a DSO machine client and its config entry
 *   bal users add <username> --config bal.json --role admin|producer|consumer [--pod P ...] [--wallet 0x…] [--wallet-key f] [--password-file f]
 *   bal users list|passwd <username>|disable <username>|enable <username> --config bal.json
 *   bal archive --config bal.json [--days YYYY-MM-DD[..YYYY-MM-DD]]
 *                                             retention pass now (days of arrival older than retention.days,
 *                                             all confirmed, to archives, then out of the store), or those days
 *   bal restore --config bal.json --days YYYY-MM-DD[..YYYY-MM-DD]
 *                                             load archived days back into the store (every line checked first)
 *   bal subscriptions list --config bal.json [--status s] [--topic t]
 *                                             data users and subscriptions (docs/data-access.md); a password
 *                                             comes from --password-file, env BAL_USER_PASSWORD or stdin, never argv
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 bad usage or bad config.
 */
import { existsSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import { loadConfig, withRoles, type BalConfig } from './config.js';
import { createLogger, parseLogLevel } from './log.js';
import { loadCredentialsFile, parseCredentials, type CredentialsFile } from './broker/credentials.js';
import { ROLES, type Role } from './broker/acl.js';
import { hashNatsPassword, hashPassword } from './broker/password-hash.js';
import { writeNatsConfig } from './broker/nats-config.js';
import { writeMosquittoConfig } from './broker/mosquitto-config.js';
import { isLoopback } from './plaintext.js';
import { BAL_BROKER_DYNSEC_HASH } from './broker/mosquitto-dynsec.js';
import { newSecret } from './api/auth.js';
import { MetricsRegistry } from './metrics.js';
import { loadOrCreateMasterKey } from './access/wallets.js';
import type { AccessUser, DataAccessService } from './access/service.js';
import { SUBSCRIPTION_STATUSES, type AccessEnforcer, type DecisionCertifier, type SubscriptionStatus } from './access/types.js';

const USAGE = `usage:
  bal run --config <file> [--roles ingest,api,anchor]
  bal check-config --config <file>
  bal mosquitto-config --config <file> --out <dir> [--cert <f> --key <f> [--ca <f>] [--tls-port 8883]] [--port 1883] [--host <addr>] [--no-plain] [--run-as-user <u>] [--dynsec <mosquitto_dynamic_security.so> [--dynsec-admin <user>]]
  bal nats-config --config <file>|--credentials <file> --out <dir> --name <server> [--host <addr>] [--port 4222] [--mqtt-port 1883] [--cert <f> --key <f> [--ca <f>]] [--store-dir <d>] [--monitor-port <p>] [--mqtt-ack-wait <s>] [--cluster <name> [--cluster-port 6222] [--routes nats-route://h:p,...]]
  bal passwd --credentials <file> --user <name> --role device|bal|operator|data-server [--password <p>]
  bal api-key --name <name> [--role dso] [--token]
  bal users add <username> --config <file> --role admin|producer|consumer [--pod <PoD> ...] [--wallet 0x...] [--wallet-key <file>] [--password-file <file>]
  bal users list --config <file>
  bal users passwd|disable|enable <username> --config <file> [--password-file <file>]
  bal archive --config <file> [--days YYYY-MM-DD[..YYYY-MM-DD]]
  bal restore --config <file> --days YYYY-MM-DD[..YYYY-MM-DD]
  bal subscriptions list --config <file> [--status requested|accepted|refused|revoked|cancelled] [--topic <topic>]
  (a user's password: --password-file, env BAL_USER_PASSWORD or stdin; never on the command line)`;

/** A bad command line: printed with the usage text, exit 2. */
class UsageError extends LightNodeError {
  constructor(message: string) { super('BAL_USAGE', message); }
}

/** Where the CLI writes, and where it reads a piped password (injected by tests). */
export interface CliIo { out(line: string): void; err(text: string): void; stdin?(): Promise<string> }
const stdio: CliIo = {
  out: (line) => { process.stdout.write(line + '\n'); },
  err: (text) => { process.stderr.write(text); },
  ...(process.stdin.isTTY ? {} : { stdin: () => text(process.stdin) }),
};

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let s = '';
  for await (const chunk of stream) { s += String(chunk); if (s.length > 4096) break; }
  return s;
}
let io: CliIo = stdio;
const out = (line: string): void => io.out(line);

function checkFiles(config: BalConfig): string[] {
  const files: [string, string | undefined | null][] = [];
  if (config.chain.kind === 'deployment') files.push(['chain.deploymentPath', config.chain.deploymentPath]);
  if (config.broker.kind === 'embedded') {
    files.push(['broker.credentialsPath', config.broker.credentialsPath]);
    if (config.broker.tls) files.push(['broker.tls.certPath', config.broker.tls.certPath], ['broker.tls.keyPath', config.broker.tls.keyPath], ['broker.tls.caPath', config.broker.tls.caPath]);
  } else files.push(['broker.caPath', config.broker.caPath]);
  if (config.api.tls) files.push(['api.tls.certPath', config.api.tls.certPath], ['api.tls.keyPath', config.api.tls.keyPath], ['api.tls.caPath', config.api.tls.caPath]);
  return files.filter(([, p]) => p && !existsSync(p)).map(([f, p]) => `${f}: file not found: ${p}`);
}

async function cmdCheckConfig(file: string): Promise<number> {
  const config = loadConfig(file);
  const { resolveAnchorKey, resolveChain } = await import('./bal.js'); // heavy (ethers, workers): load on use
  const problems = checkFiles(config);
  if (problems.length === 0) {
    try { resolveChain(config); } catch (err) { problems.push((err as Error).message); }
    if (config.broker.kind === 'embedded' && config.broker.credentialsPath) {
      try { loadCredentialsFile(config.broker.credentialsPath); } catch (err) { problems.push((err as Error).message); }
    }
    if (config.anchoring.enabled && config.roles.includes('anchor')) {
      try { if (!resolveAnchorKey(config)) problems.push('chain.anchorKeyPath: anchoring is enabled but no key is configured (file or env BAL_ANCHOR_KEY)'); }
      catch (err) { problems.push((err as Error).message); }
    }
  }
  if (problems.length) { for (const p of problems) io.err(`config problem: ${p}\n`); return 2; }
  out(JSON.stringify({ ok: true, store: config.store.kind, broker: config.broker.kind, chain: config.chain.kind, apiClients: config.api.clients.length }));
  return 0;
}

async function cmdRun(file: string, roles: string | undefined): Promise<number> {
  process.umask(0o077); // every file the BAL makes is its user's only (cloud/systemd/bal.service says UMask=0077 too)
  const loaded = loadConfig(file);
  const config = roles === undefined ? loaded : withRoles(loaded, roles);
  const { startBal } = await import('./bal.js');
  const log = createLogger({ level: parseLogLevel(process.env.LOG_LEVEL ?? config.log.level) });
  const bal = await startBal(config, { log });
  out(JSON.stringify({ event: 'started', endpoints: bal.endpoints, chainId: bal.chain.chainId }));
  const onHup = (): void => {
    if (config.broker.kind === 'embedded') {
      try { out(JSON.stringify({ event: 'credentials-reloaded', ...bal.reloadCredentials() })); }
      catch (err) { log.error('credentials reload failed; keeping the running accounts', { err }); }
    }
    // Users and streams changed by `bal users` in another process reach the broker's grants.
    if (bal.access) {
      bal.access.syncBroker().then((r) => out(JSON.stringify({ event: 'access-synchronised', ...r })), (err: unknown) => log.error('access sync failed', { err }));
    }
  };
  process.on('SIGHUP', onHup);
  await new Promise<void>((resolveStop) => {
    const onSignal = (sig: NodeJS.Signals): void => {
      log.info('signal received', { signal: sig });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('SIGHUP', onHup);
      resolveStop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  const hardStop = setTimeout(() => { log.error('shutdown took too long; exiting'); process.exit(1); }, 30_000);
  hardStop.unref();
  await bal.stop();
  out(JSON.stringify({ event: 'stopped' }));
  return 0;
}

function int(v: string | undefined, name: string, def?: number): number | undefined {
  if (v === undefined) return def;
  if (!/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new UsageError(`--${name}: expected a port number, got ${v}`);
  return Number(v);
}

/**
 * The listeners of `bal mosquitto-config` (S-BAP-01, TLS by default where it matters): with
 * --cert/--key an MQTTS listener (--tls-port, default 8883) and a plain one only if --port is
 * given; without them a plain listener on loopback only, with a warning that devices on the
 * network cannot reach it. A plain listener on a named non-loopback --host is written as asked,
 * with a warning.
 */
function mosquittoListeners(v: Record<string, string | boolean | undefined>, tlsPort: number | undefined): { listener: { port: number; host: string } | null; tls: { port: number; certPath: string; keyPath: string; caPath?: string } | null; warnings: string[] } {
  const warnings: string[] = [];
  const tls = typeof v.cert === 'string' && typeof v.key === 'string'
    ? { port: tlsPort ?? 8883, certPath: v.cert, keyPath: v.key, ...(typeof v.ca === 'string' ? { caPath: v.ca } : {}) }
    : null;
  const port = int(v.port as string | undefined, 'port');
  const host = typeof v.host === 'string' ? v.host : '127.0.0.1';
  let listener: { port: number; host: string } | null = null;
  if (!v['no-plain'] && (!tls || port !== undefined)) listener = { port: port ?? 1883, host };
  if (!listener && !tls) throw new UsageError('--no-plain needs --cert and --key (a TLS listener)');
  if (listener && !isLoopback(listener.host)) warnings.push(`plain MQTT on ${listener.host}:${listener.port}: device passwords and readings cross the network unencrypted (S-BAP-01); use --cert/--key and --no-plain`);
  if (listener && !tls) warnings.push(`no --cert/--key: only plain MQTT${isLoopback(listener.host) ? ` on ${listener.host}:${listener.port}, which devices on the network cannot reach` : ''}; give --cert and --key for an MQTTS listener (S-BAP-01)`);
  return { listener, tls, warnings };
}

/** The accounts of `--credentials`, or of the config's `broker.credentialsPath`. */
function credentialsFromArgs(v: Record<string, string | boolean | undefined>): CredentialsFile {
  if (typeof v.credentials === 'string') return loadCredentialsFile(v.credentials);
  if (typeof v.config !== 'string') throw new UsageError('--config <file> or --credentials <file> is required');
  const config = loadConfig(v.config);
  if (config.broker.kind !== 'embedded' || !config.broker.credentialsPath) throw new UsageError('the config has no broker.credentialsPath; pass --credentials');
  return loadCredentialsFile(config.broker.credentialsPath);
}

async function cmdMosquittoConfig(v: Record<string, string | boolean | undefined>): Promise<number> {
  const outDir = v.out as string | undefined;
  if (!outDir) throw new UsageError('--out <dir> is required');
  const creds = credentialsFromArgs(v);
  const tlsPort = int(v['tls-port'] as string | undefined, 'tls-port');
  if (tlsPort !== undefined && (typeof v.cert !== 'string' || typeof v.key !== 'string')) throw new UsageError('--tls-port needs --cert and --key');
  if ((typeof v.cert === 'string') !== (typeof v.key === 'string')) throw new UsageError('--cert and --key go together');
  const { listener, tls, warnings } = mosquittoListeners(v, tlsPort);
  // The account the BAL follows subscription decisions with (broker.dynsecUsername); its password
  // from env BAL_BROKER_DYNSEC_PASSWORD, else generated and printed once.
  let dynsecAdmin: { username: string; password: string; generated: boolean } | null = null;
  if (typeof v['dynsec-admin'] === 'string') {
    if (typeof v.dynsec !== 'string') throw new UsageError('--dynsec-admin needs --dynsec <plugin.so>');
    const env = process.env.BAL_BROKER_DYNSEC_PASSWORD;
    dynsecAdmin = { username: v['dynsec-admin'], password: env || randomBytes(18).toString('base64url'), generated: !env };
  }
  const files = writeMosquittoConfig({
    outDir, accounts: creds.accounts,
    listener, tls,
    ...(typeof v['run-as-user'] === 'string' ? { runAsUser: v['run-as-user'] } : {}),
    ...(typeof v.dynsec === 'string' ? { dynsecPluginPath: v.dynsec } : {}),
    ...(dynsecAdmin ? { dynsecAdmin: { username: dynsecAdmin.username, passwordHash: await hashPassword(dynsecAdmin.password) } } : {}),
  });
  for (const w of warnings) io.err(`WARNING ${w}\n`);
  out(JSON.stringify({
    ...files, accounts: creds.accounts.length,
    listeners: [...(listener ? [{ port: listener.port, host: listener.host, tls: false }] : []), ...(tls ? [{ port: tls.port, host: null, tls: true }] : [])],
    ...(dynsecAdmin ? { dynsecAdmin: { username: dynsecAdmin.username, ...(dynsecAdmin.generated ? { password: dynsecAdmin.password } : {}) } } : {}),
  }));
  return 0;
}

/**
 * `bal nats-config`: a nats-server 2.9 config (JetStream transport, cloud/README) with the same
 * accounts and rules as `bal mosquitto-config`; one run per node of a cluster (`--name`).
 */
async function cmdNatsConfig(v: Record<string, string | boolean | undefined>): Promise<number> {
  const outDir = v.out as string | undefined;
  if (!outDir) throw new UsageError('--out <dir> is required');
  if (typeof v.name !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(v.name)) throw new UsageError('--name <server name>: 1..64 of [A-Za-z0-9._-], unique in the cluster');
  const creds = credentialsFromArgs(v);
  const host = typeof v.host === 'string' ? v.host : '127.0.0.1';
  if ((typeof v.cert === 'string') !== (typeof v.key === 'string')) throw new UsageError('--cert and --key go together');
  const routes = typeof v.routes === 'string' ? v.routes.split(',').map((r) => r.trim()).filter(Boolean) : [];
  if (routes.some((r) => !/^nats-route:\/\/[^\s]+:\d+$/.test(r))) throw new UsageError('--routes: comma-separated nats-route://host:port');
  if ((routes.length > 0 || v['cluster-port'] !== undefined) && typeof v.cluster !== 'string') throw new UsageError('--routes and --cluster-port need --cluster <name>');
  const tls = typeof v.cert === 'string' && typeof v.key === 'string' ? { certPath: v.cert, keyPath: v.key, ...(typeof v.ca === 'string' ? { caPath: v.ca } : {}) } : null;
  const mqtt = { host, port: int(v['mqtt-port'] as string | undefined, 'mqtt-port') ?? (tls ? 8883 : 1883), tls };
  const { configPath } = writeNatsConfig(outDir, {
    serverName: v.name, storeDir: typeof v['store-dir'] === 'string' ? v['store-dir'] : resolve(outDir, 'jetstream'),
    listen: { host, port: int(v.port as string | undefined, 'port') ?? 4222 }, mqtt,
    monitorPort: int(v['monitor-port'] as string | undefined, 'monitor-port') ?? null,
    ...(v['mqtt-ack-wait'] !== undefined ? { mqttAckWaitMs: 1000 * int(v['mqtt-ack-wait'] as string, 'mqtt-ack-wait')! } : {}),
    cluster: typeof v.cluster === 'string' ? { name: v.cluster, listen: { host, port: int(v['cluster-port'] as string | undefined, 'cluster-port') ?? 6222 }, routes } : null,
    accounts: creds.accounts,
  });
  if (!tls && !isLoopback(host)) io.err(`WARNING plain MQTT on ${host}:${mqtt.port}: device passwords and readings cross the network unencrypted (S-BAP-01); use --cert/--key\n`);
  out(JSON.stringify({ configPath, accounts: creds.accounts.length, mqtt: { host, port: mqtt.port, tls: tls !== null }, cluster: typeof v.cluster === 'string' ? v.cluster : null }));
  return 0;
}

async function cmdPasswd(v: Record<string, string | boolean | undefined>): Promise<number> {
  const file = v.credentials;
  const user = v.user;
  const role = v.role;
  if (typeof file !== 'string' || typeof user !== 'string' || typeof role !== 'string') throw new UsageError('--credentials, --user and --role are required');
  if (!ROLES.includes(role as Role)) throw new UsageError(`--role: expected ${ROLES.join(' | ')}`);
  const creds: CredentialsFile = existsSync(file) ? loadCredentialsFile(file) : { v: 1, accounts: [] };
  const generated = typeof v.password !== 'string';
  const password = generated ? randomBytes(18).toString('base64url') : (v.password as string);
  // Both hashes of the one password: mosquitto / the embedded broker, and NATS (bcrypt).
  const account = { username: user, role: role as Role, passwordHash: await hashPassword(password), natsPasswordHash: await hashNatsPassword(password) };
  const next = parseCredentials({ v: 1, accounts: [...creds.accounts.filter((a) => a.username !== user), account] }, file);
  const tmp = `${resolve(file)}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(next, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  out(JSON.stringify({ username: user, role, ...(generated ? { password } : {}) }));
  return 0;
}

async function cmdApiKey(v: Record<string, string | boolean | undefined>): Promise<number> {
  const name = v.name;
  const role = v.role;
  if (typeof name !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(name)) throw new UsageError('--name: 1..64 of [A-Za-z0-9._:-]');
  // Consumers are data users (`bal users add --role consumer`): their PoDs follow their accepted subscriptions.
  if (role === 'consumer') throw new UsageError('--role consumer: consumers are data users now — bal users add <name> --role consumer; their PoDs follow their accepted subscriptions');
  if (role !== undefined && role !== 'dso') throw new UsageError('--role: dso');
  if (v.pods !== undefined) throw new UsageError('--pods: a dso client reads every PoD');
  const { secret, hash } = newSecret();
  const entry = { name, role: 'dso', ...(v.token ? { tokenHash: hash } : { apiKeyHash: hash }) };
  out(JSON.stringify({ [v.token ? 'token' : 'apiKey']: secret, configEntry: entry }));
  return 0;
}

/** A user's password: --password-file, env BAL_USER_PASSWORD, or piped stdin; never argv. */
async function readUserPassword(v: Record<string, unknown>): Promise<string> {
  const strip = (x: string): string => x.replace(/\r?\n$/, '');
  if (typeof v['password-file'] === 'string') return strip(readFileSync(v['password-file'], 'utf8'));
  const env = process.env.BAL_USER_PASSWORD;
  if (env) return env;
  if (io.stdin) return strip(await io.stdin());
  throw new UsageError('a password is needed: --password-file <file>, env BAL_USER_PASSWORD or stdin');
}

/** The BAL's DecisionCertifier from its config: the SubscriptionRegistry, relayed by the relay account (TOPIC_ADMIN_ROLE). */
async function certifierFromConfig(config: BalConfig): Promise<DecisionCertifier> {
  const [{ resolveRelayKey, resolveChain }, { jsonRpcProvider }, { subscriptionRegistryClient }, { createChainCertifier }, { Wallet }] = await Promise.all([
    import('./bal.js'), import('@lightnode/contracts/connect'),
    import('@lightnode/contracts/subscriptions/client'), import('./access/chain-certifier.js'), import('ethers'),
  ]);
  const chain = resolveChain(config);
  if (!chain.subscriptionRegistry) throw new UsageError('chain: registering streams needs a SubscriptionRegistry (chain.subscriptionRegistry, or a deployment file with one: redeploy with pnpm chain)');
  const key = resolveRelayKey(config);
  if (!key) throw new UsageError('the relay key (TOPIC_ADMIN_ROLE) is needed: chain.relayKeyPath or env BAL_RELAY_KEY');
  return createChainCertifier(subscriptionRegistryClient(chain.subscriptionRegistry, new Wallet(key, jsonRpcProvider(chain.rpcUrl, chain.chainId))));
}

/** Refuses every chain call: the commands that do not touch the chain run without one. */
const OFFLINE_CERTIFIER: DecisionCertifier = {
  setTopicProvider: () => Promise.reject(new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', 'this command runs without the chain')),
  nonceOf: () => Promise.reject(new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', 'this command runs without the chain')),
  record: () => Promise.reject(new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', 'this command runs without the chain')),
  certifiedOfTopic: () => Promise.reject(new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', 'this command runs without the chain')),
  typedData: () => { throw new LightNodeError('BAL_ACCESS_CHAIN_UNAVAILABLE', 'this command runs without the chain'); },
};

/**
 * The broker side of CLI changes. Mosquitto (external broker with a dynsec admin): changed at once
 * through its dynamic-security API. The embedded broker lives in the running BAL: it checks data
 * users' passwords and enabled flags against the store at every login, and takes new grants (a
 * producer's stream) at its next start or SIGHUP (`syncBroker`).
 */
const NO_BROKER: AccessEnforcer = { upsertUser: async () => {}, grant: async () => {}, revoke: async () => {}, reconcile: async () => {}, close: async () => {} };

async function enforcerFromConfig(config: BalConfig): Promise<AccessEnforcer> {
  const b = config.broker;
  if (b.kind !== 'external' || !b.dynsec) return NO_BROKER;
  const { startDynsecEnforcer } = await import('./broker/dynsec-enforcer.js');
  return startDynsecEnforcer({ url: b.url, username: b.dynsec.username, password: b.dynsec.password, mqttOptions: { clientId: `bal-cli-${process.pid}`, ...(b.caPath ? { ca: readFileSync(b.caPath) } : {}) } });
}

/** Open the config's store and a data-access service over it; `chain` connects the SubscriptionRegistry. */
async function accessFromConfig(file: string, opts: { chain: boolean; walletKeyPath?: string }): Promise<{ service: DataAccessService; close(): Promise<void> }> {
  const config = loadConfig(file);
  const certifier = opts.chain ? await certifierFromConfig(config) : OFFLINE_CERTIFIER;
  // The master key the running BAL uses (dataAccess.walletKeyPath), unless --wallet-key names another.
  const masterKey = loadOrCreateMasterKey(opts.walletKeyPath ?? config.dataAccess.walletKeyPath);
  const [{ openStore }, { createDataAccessService }] = await Promise.all([import('./store/open-store.js'), import('./access/service.js')]);
  const store = await openStore(config.store);
  const enforcer = await enforcerFromConfig(config).catch(async (err: unknown) => { await store.close(); throw err; });
  const service = createDataAccessService({ store, certifier, enforcer, masterKey, metrics: new MetricsRegistry(), log: createLogger({ level: 'warn' }) });
  return { service, close: async () => { await enforcer.close(); await store.close(); } };
}

const publicUser = ({ id: _id, ...u }: AccessUser): Omit<AccessUser, 'id'> => u;
const CLI_ADMIN: AccessUser = { id: 0, username: 'bal-cli', role: 'admin', wallet: `0x${'00'.repeat(20)}`, custody: 'external', enabled: true, createdAtMs: 0, updatedAtMs: 0, pods: [] };

async function cmdUsers(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({
    args, strict: true, allowPositionals: true,
    options: { config: { type: 'string' }, role: { type: 'string' }, pod: { type: 'string', multiple: true }, wallet: { type: 'string' }, 'wallet-key': { type: 'string' }, 'password-file': { type: 'string' } },
  });
  const [sub, username, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected arguments: ${extra.join(' ')}`);
  if (typeof v.config !== 'string') throw new UsageError('--config <file> is required');
  const needName = (): string => { if (!username) throw new UsageError(`users ${sub} <username>`); return username; };
  if (sub === 'list') {
    if (username) throw new UsageError('users list takes no username');
    const a = await accessFromConfig(v.config, { chain: false });
    try { out(JSON.stringify({ users: (await a.service.listUsers()).map(publicUser) })); } finally { await a.close(); }
    return 0;
  }
  if (sub === 'add') {
    const name = needName();
    if (typeof v.role !== 'string') throw new UsageError('--role admin|producer|consumer is required');
    const pods = v.pod ?? [];
    const password = await readUserPassword(v);
    const a = await accessFromConfig(v.config, { chain: pods.length > 0, ...(typeof v['wallet-key'] === 'string' ? { walletKeyPath: v['wallet-key'] } : {}) });
    try {
      const user = await a.service.createUser({ username: name, role: v.role, password, ...(v.wallet !== undefined ? { wallet: v.wallet } : {}), ...(pods.length ? { pods } : {}) });
      out(JSON.stringify(publicUser(user)));
    } finally { await a.close(); }
    return 0;
  }
  if (sub === 'passwd' || sub === 'disable' || sub === 'enable') {
    const name = needName();
    const password = sub === 'passwd' ? await readUserPassword(v) : null;
    const a = await accessFromConfig(v.config, { chain: false });
    try {
      if (password !== null) { await a.service.setPassword(name, password); out(JSON.stringify({ username: name, password: 'changed' })); }
      else out(JSON.stringify(publicUser(await a.service.setEnabled(name, sub === 'enable'))));
    } finally { await a.close(); }
    return 0;
  }
  throw new UsageError(`users: expected add | list | passwd | disable | enable, got ${sub ?? 'nothing'}`);
}

async function cmdSubscriptions(args: string[]): Promise<number> {
  const { values: v, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { config: { type: 'string' }, status: { type: 'string' }, topic: { type: 'string' } } });
  if (positionals.length !== 1 || positionals[0] !== 'list') throw new UsageError('subscriptions list --config <file> [--status s] [--topic t]');
  if (typeof v.config !== 'string') throw new UsageError('--config <file> is required');
  if (v.status !== undefined && !SUBSCRIPTION_STATUSES.includes(v.status as SubscriptionStatus)) throw new UsageError(`--status: ${SUBSCRIPTION_STATUSES.join(' | ')}`);
  const a = await accessFromConfig(v.config, { chain: false });
  try {
    const items = await a.service.listSubscriptions(CLI_ADMIN, { ...(v.status ? { status: v.status as SubscriptionStatus } : {}), ...(v.topic ? { topic: v.topic } : {}) });
    out(JSON.stringify({ subscriptions: items }));
  } finally { await a.close(); }
  return 0;
}

/** `bal archive` / `bal restore`: the retention of the config's store and archive folder, run once. */
async function cmdRetention(cmd: 'archive' | 'restore', file: string, days: string | undefined): Promise<number> {
  const config = loadConfig(file);
  const [{ resolveChain }, { openStore }, { createRetention }, { parseDayRange }] = await Promise.all([
    import('./bal.js'), import('./store/open-store.js'), import('./retention/retention.js'), import('./retention/archive-record.js'),
  ]);
  if (cmd === 'restore' && days === undefined) throw new UsageError('restore needs --days YYYY-MM-DD[..YYYY-MM-DD]');
  let list: number[] | null = null;
  if (days !== undefined) {
    try { list = parseDayRange(days, '--days'); } catch (err) { throw new UsageError((err as Error).message); }
  }
  const chain = resolveChain(config);
  const store = await openStore(config.store);
  try {
    const r = config.retention;
    const retention = createRetention({ days: r.days, archiveDir: r.archiveDir, deleteBatchSize: r.deleteBatchSize }, {
      store, deployment: { chainId: chain.chainId, podRegistry: chain.podRegistry, readingAnchor: chain.readingAnchor, dataServerRegistry: chain.dataServerRegistry },
      metrics: new MetricsRegistry(), log: createLogger({ level: 'warn' }),
    });
    if (cmd === 'restore') {
      out(JSON.stringify({ restored: await retention.restoreDays(list!) }));
      return 0;
    }
    const res = list === null ? await retention.pass() : await retention.archiveDays(list);
    out(JSON.stringify({ archiveDir: r.archiveDir, ...res, cutoff: new Date(res.cutoffMs).toISOString().slice(0, 10), cutoffMs: undefined }));
    return res.errors.length ? 1 : 0;
  } finally {
    await store.close();
  }
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], cliIo: CliIo = stdio): Promise<number> {
  io = cliIo;
  const [cmd, ...rest] = argv;
  try {
    if (cmd === 'users') return await cmdUsers(rest);
    if (cmd === 'subscriptions') return await cmdSubscriptions(rest);
    const { values } = parseArgs({
      args: rest, strict: true, allowPositionals: false,
      options: {
        config: { type: 'string' }, out: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, 'tls-port': { type: 'string' },
        cert: { type: 'string' }, key: { type: 'string' }, ca: { type: 'string' }, 'run-as-user': { type: 'string' }, 'no-plain': { type: 'boolean' }, dynsec: { type: 'string' }, 'dynsec-admin': { type: 'string' },
        credentials: { type: 'string' }, user: { type: 'string' }, role: { type: 'string' }, password: { type: 'string' },
        'mqtt-port': { type: 'string' }, 'store-dir': { type: 'string' }, 'monitor-port': { type: 'string' }, cluster: { type: 'string' }, 'cluster-port': { type: 'string' }, routes: { type: 'string' }, 'mqtt-ack-wait': { type: 'string' },
        name: { type: 'string' }, pods: { type: 'string' }, token: { type: 'boolean' }, help: { type: 'boolean' }, days: { type: 'string' }, roles: { type: 'string' },
      },
    });
    if (values.help || cmd === 'help' || cmd === '--help' || cmd === undefined) { out(USAGE); return cmd === undefined ? 2 : 0; }
    const needConfig = (): string => { if (typeof values.config !== 'string') throw new UsageError('--config <file> is required'); return values.config; };
    switch (cmd) {
      case 'run': return await cmdRun(needConfig(), values.roles);
      case 'check-config': return await cmdCheckConfig(needConfig());
      case 'mosquitto-config': return await cmdMosquittoConfig(values);
      case 'nats-config': return await cmdNatsConfig(values);
      case 'passwd': return await cmdPasswd(values);
      case 'api-key': return await cmdApiKey(values);
      case 'archive': case 'restore': return await cmdRetention(cmd, needConfig(), values.days);
      default: throw new UsageError(`unknown command ${cmd}`);
    }
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(err as Error).message}\n${USAGE}\n`);
      return 2;
    }
    if (isLightNodeError(err) && (err.code === 'CONFIG_INVALID' || err.code === 'BAL_CREDENTIALS_INVALID' || err.code === BAL_BROKER_DYNSEC_HASH)) {
      io.err(`config error [${err.code}] ${err.message}\n`);
      return 2;
    }
    io.err(`bal: ${isLightNodeError(err) ? `[${err.code}] ` : ''}${(err as Error).message}\n`);
    return isLightNodeError(err, 'BAL_ACCESS_USER_INVALID') ? 2 : 1;
  }
}

const isEntry = process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A leftover handle (a socket in TIME_WAIT, a worker) must not keep a stopped BAL alive.
    setTimeout(() => process.exit(code), 2000).unref();
  }, (err) => { process.stderr.write(`${String(err)}\n`); process.exit(1); });
}
