/**
 * The embedded MQTT broker (DESIGN §7 default): aedes in the BAL process on TCP and optionally
 * TLS, with per-device credentials and the ACL of acl.ts enforced on every PUBLISH and
 * SUBSCRIBE. A refused PUBLISH disconnects the client (MQTT 3.1.1 has no refusal for QoS 0/1);
 * a refused SUBSCRIBE gets the failure return code 0x80.
 */
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { LightNodeError } from '@lightnode/shared/errors';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mayPublish, maySubscribe } from './acl.js';
import { CredentialStore, type BrokerAccount } from './credentials.js';
import { hashPassword } from './password-hash.js';
import type { MetricsRegistry } from '../metrics.js';
import { silentLogger, type Logger } from '../log.js';

export interface BrokerTlsOptions {
  /** TLS listener port; 0 = any free port. */
  port: number;
  certPath: string;
  keyPath: string;
  /** CA bundle for client certificates (optional; passwords stay required). */
  caPath?: string;
}

export interface EmbeddedBrokerOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Plain MQTT port (0 = free port, null = no plain listener); default 1883. */
  port?: number | null;
  tls?: BrokerTlsOptions | null;
  credentials: CredentialStore;
  /** Largest PUBLISH payload accepted, bytes; default 2 MiB (ingest refuses > 1 MiB with a code). */
  maxPayloadBytes?: number;
  metrics?: MetricsRegistry;
  log?: Logger;
}

export interface EmbeddedBroker {
  aedes: Aedes;
  /** `mqtt://host:port`, null without a plain listener. */
  url: string | null;
  /** `mqtts://host:port`, null without TLS. */
  tlsUrl: string | null;
  /** The BAL's own account (random per process; role `bal`). */
  internal: { username: string; password: string };
  /**
   * Swap in a reloaded accounts list (e.g. the credentials file after `bal passwd`); clients of
   * removed or changed accounts are disconnected. Returns how many were disconnected.
   */
  replaceAccounts(accounts: readonly BrokerAccount[]): number;
  close(): Promise<void>;
}

export const INTERNAL_USERNAME = 'bal.internal';

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => { server.off('error', reject); resolve((server.address() as AddressInfo).port); });
  });
}

function authError(): AuthenticateError {
  const err = new LightNodeError('BAL_BROKER_AUTH_FAILED', 'bad username or password') as LightNodeError & AuthenticateError;
  err.returnCode = 4;
  return err;
}

/** Start aedes with authentication and the ACL on the configured listeners. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = opts.log ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const maxPayload = opts.maxPayloadBytes ?? 2 * 1024 * 1024;
  const accounts = new WeakMap<Client, BrokerAccount>();
  const internal = { username: INTERNAL_USERNAME, password: randomBytes(24).toString('hex') };
  opts.credentials.add({ username: internal.username, role: 'bal', passwordHash: await hashPassword(internal.password, { iterations: 1 }) }, { pinned: true });

  const authFailures = opts.metrics?.counter('bal_broker_auth_failures_total', 'MQTT connections refused for bad credentials');
  const denied = opts.metrics?.counter('bal_broker_denied_total', 'MQTT publish/subscribe refused by the ACL', ['action']);
  const oversized = opts.metrics?.counter('bal_broker_oversized_total', 'MQTT PUBLISH payloads over broker.maxPayloadBytes refused (the client is disconnected)');

  const aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      opts.credentials.authenticate(username, password).then((acct) => {
        if (!acct) {
          authFailures?.inc();
          log.warn('mqtt auth refused', { clientId: client.id, username });
          done(authError(), false);
          return;
        }
        accounts.set(client, acct);
        done(null, true);
      }, (err: unknown) => { log.error('mqtt auth error', { err }); done(authError(), false); });
    },
    authorizePublish: (client, packet, done) => {
      if (!client) { done(null); return; } // in-process publish by the BAL itself
      const acct = accounts.get(client);
      const size = packet.payload?.length ?? 0;
      if (acct && size <= maxPayload && mayPublish(acct.role, acct.username, packet.topic)) { done(null); return; }
      if (size > maxPayload) oversized?.inc(); else denied?.inc({ action: 'publish' });
      log.warn('mqtt publish refused', { clientId: client.id, username: acct?.username, topic: packet.topic, bytes: size });
      done(new LightNodeError('BAL_BROKER_PUBLISH_REFUSED', size > maxPayload ? 'payload too large' : 'not authorized'));
    },
    authorizeSubscribe: (client, sub, done) => {
      const acct = accounts.get(client);
      if (acct && maySubscribe(acct.role, acct.username, sub.topic)) { done(null, sub); return; }
      denied?.inc({ action: 'subscribe' });
      log.warn('mqtt subscribe refused', { clientId: client.id, username: acct?.username, filter: sub.topic });
      done(null, null);
    },
  });
  opts.metrics?.gauge('bal_broker_clients', 'MQTT clients connected to the embedded broker', [], () => aedes.connectedClients);

  const servers: Server[] = [];
  let url: string | null = null;
  let tlsUrl: string | null = null;
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  try {
    const plainPort = opts.port === undefined ? 1883 : opts.port;
    if (plainPort !== null) {
      const s = createServer(aedes.handle);
      servers.push(s);
      url = `mqtt://${hostForUrl}:${await listen(s, host, plainPort)}`;
    }
    if (opts.tls) {
      const s = createTlsServer({
        cert: readFileSync(opts.tls.certPath), key: readFileSync(opts.tls.keyPath),
        ...(opts.tls.caPath ? { ca: readFileSync(opts.tls.caPath) } : {}),
      }, aedes.handle);
      servers.push(s);
      tlsUrl = `mqtts://${hostForUrl}:${await listen(s, host, opts.tls.port)}`;
    }
  } catch (err) {
    await new Promise<void>((r) => aedes.close(() => r()));
    for (const s of servers) s.close();
    throw err;
  }
  log.info('embedded broker listening', { url, tlsUrl });

  let closing: Promise<void> | null = null;
  return {
    aedes, url, tlsUrl, internal,
    replaceAccounts(list) {
      const gone = new Set(opts.credentials.replaceAll(list));
      let kicked = 0;
      const clients = (aedes as unknown as { clients: Record<string, Client> }).clients ?? {};
      for (const c of Object.values(clients)) {
        const acct = accounts.get(c);
        if (acct && gone.has(acct.username)) { accounts.delete(c); c.close(); kicked++; }
      }
      log.info('broker accounts reloaded', { accounts: list.length, disconnected: kicked });
      return kicked;
    },
    close() {
      closing ??= (async () => {
        await new Promise<void>((r) => aedes.close(() => r()));
        await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
      })();
      return closing;
    },
  };
}
