/**
 * The embedded MQTT broker (DESIGN §7 default): aedes in the BAL process on TCP and optionally
 * TLS, with per-device credentials and the ACL of acl.ts enforced on every PUBLISH and
 * SUBSCRIBE. A refused PUBLISH disconnects the client (MQTT 3.1.1 has no refusal for QoS 0/1);
 * a refused SUBSCRIBE gets the failure return code 0x80.
 * Data users (docs/data-access.md) log in through the `dataUsers` hook when the credentials
 * file has no such account; they publish nothing, and subscribe and receive by the grant table
 * (grants.ts), checked again on every delivery so a revoked grant stops the next message.
 * Every login's client id must be its account's (client-id.ts): another id is refused with
 * CONNACK 5, so no login can close another account's connection or resume its session; a
 * connection replaced by a new one with its own id (a session takeover) is logged and counted.
 */
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { LightNodeError } from '@lightnode/shared/errors';
import { createServer, type Server, type AddressInfo } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mayPublish, maySubscribe } from './acl.js';
import { clientIdAllowed, type ClientIdAccount } from './client-id.js';
import { GrantTable, dataMayReceive, dataMaySubscribe } from './grants.js';
import type { UserRole } from '../access/types.js';
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
  /** Data users' logins (the access user store's password check), asked when the credentials file has no such account. */
  dataUsers?: DataUserDirectory;
}

/** A data user as the broker knows it after login. */
export interface DataUserAccount { username: string; role: UserRole }

/** Checks a data user's password; null when unknown, disabled, wrong or rate-limited. */
export interface DataUserDirectory {
  /** `remoteAddress`: the client's address, for per-address failure limits. */
  authenticate(username: string, password: string, remoteAddress: string): Promise<DataUserAccount | null>;
}

export interface EmbeddedBroker {
  aedes: Aedes;
  /** `mqtt://host:port`, null without a plain listener. */
  url: string | null;
  /** `mqtts://host:port`, null without TLS. */
  tlsUrl: string | null;
  /** The BAL's own account (random per process; role `bal`) and the client id its connection uses. */
  internal: { username: string; password: string; clientId: string };
  /**
   * Swap in a reloaded accounts list (e.g. the credentials file after `bal passwd`); clients of
   * removed or changed accounts are disconnected. Returns how many were disconnected.
   */
  replaceAccounts(accounts: readonly BrokerAccount[]): number;
  /** Data users' grants, consulted on every SUBSCRIBE and every delivery to a data user. */
  grants: GrantTable;
  /** Refuse (false) or allow again (true) a data user's logins; disabling closes its clients. Returns clients closed. */
  setDataUserEnabled(username: string, enabled: boolean): number;
  /** Close every client logged in as data user `username`; returns how many. */
  disconnectDataUser(username: string): number;
  close(): Promise<void>;
}

export const INTERNAL_USERNAME = 'bal.internal';
/** The client id of the BAL's own connection to its embedded broker (reserved: only the internal account may present it). */
export const INTERNAL_CLIENT_ID = INTERNAL_USERNAME;

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

/** CONNACK 5 "not authorized": the password is right but the client id is another account's. */
function clientIdError(clientId: string): AuthenticateError {
  const err = new LightNodeError('BAL_BROKER_CLIENT_ID_REFUSED', `client id ${clientId} is not this account's`, { clientId }) as LightNodeError & AuthenticateError;
  err.returnCode = 5;
  return err;
}

/** Start aedes with authentication and the ACL on the configured listeners. */
export async function startEmbeddedBroker(opts: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const log = opts.log ?? silentLogger;
  const host = opts.host ?? '127.0.0.1';
  const maxPayload = opts.maxPayloadBytes ?? 2 * 1024 * 1024;
  const accounts = new WeakMap<Client, BrokerAccount>();
  const dataAccounts = new WeakMap<Client, DataUserAccount>();
  const grants = new GrantTable();
  const disabled = new Set<string>();
  const internal = { username: INTERNAL_USERNAME, password: randomBytes(24).toString('hex'), clientId: INTERNAL_CLIENT_ID };
  opts.credentials.add({ username: internal.username, role: 'bal', passwordHash: await hashPassword(internal.password, { iterations: 1 }) }, { pinned: true });

  const authFailures = opts.metrics?.counter('bal_broker_auth_failures_total', 'MQTT connections refused for bad credentials');
  const denied = opts.metrics?.counter('bal_broker_denied_total', 'MQTT publish/subscribe refused by the ACL (action deliver: a message withheld from a data user without the grant)', ['action']);
  const oversized = opts.metrics?.counter('bal_broker_oversized_total', 'MQTT PUBLISH payloads over broker.maxPayloadBytes refused (the client is disconnected)');
  const idRefused = opts.metrics?.counter('bal_broker_client_id_refused_total', "MQTT connections refused (CONNACK 5) for a client id that is not the account's (role: device, bal, operator, data)", ['role']);
  const takeovers = opts.metrics?.counter('bal_broker_session_takeovers_total', 'connected MQTT clients closed by a new connection of the same account with the same client id (role of the account)', ['role']);
  let aedes: Aedes;

  /** The last step of a login whose password is right: the client id rule, then note a takeover. */
  const admit = (client: Client, kind: ClientIdAccount, username: string, done: (err: AuthenticateError | null, ok: boolean) => void): boolean => {
    if (!clientIdAllowed(kind, username, client.id)) {
      idRefused?.inc({ role: kind });
      const fields = { clientId: client.id, username, role: kind };
      if (clientIdAllowed('bal', INTERNAL_USERNAME, client.id)) log.error("mqtt client id refused: a login presented the BAL's own client id", fields);
      else log.warn('mqtt client id refused', fields);
      done(clientIdError(client.id), false);
      return false;
    }
    const old = (aedes as unknown as { clients: Record<string, Client> }).clients?.[client.id];
    if (old && old !== client) {
      takeovers?.inc({ role: kind });
      const fields = { clientId: client.id, username, role: kind };
      if (username === INTERNAL_USERNAME) log.error("mqtt session taken over: the BAL's own connection is closed by a new one with its client id", fields);
      else log.warn('mqtt session taken over: a new connection with this client id closes the connected one (a second agent on the same config?)', fields);
    }
    return true;
  };

  aedes = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      const refuse = (): void => {
        authFailures?.inc();
        log.warn('mqtt auth refused', { clientId: client.id, username });
        done(authError(), false);
      };
      // The credentials file first: a data user can never take over a device or BAL account.
      if (username === undefined || password === undefined || opts.credentials.get(username) || !opts.dataUsers) {
        opts.credentials.authenticate(username, password).then((acct) => {
          if (!acct) { refuse(); return; }
          if (!admit(client, acct.role, acct.username, done)) return;
          accounts.set(client, acct);
          done(null, true);
        }, (err: unknown) => { log.error('mqtt auth error', { err }); done(authError(), false); });
        return;
      }
      if (disabled.has(username)) { refuse(); return; }
      const remote = (client.conn as { remoteAddress?: string } | undefined)?.remoteAddress ?? 'unknown';
      opts.dataUsers.authenticate(username, Buffer.from(password).toString('utf8'), remote).then((user) => {
        // Disabled while the password was checked: refused all the same.
        if (!user || user.username !== username || disabled.has(username)) { refuse(); return; }
        if (!admit(client, 'data', user.username, done)) return;
        dataAccounts.set(client, { username: user.username, role: user.role });
        done(null, true);
      }, (err: unknown) => { log.error('mqtt data-user auth error', { username, err }); done(authError(), false); });
    },
    authorizePublish: (client, packet, done) => {
      if (!client) { done(null); return; } // in-process publish by the BAL itself
      const acct = accounts.get(client); // data users publish nothing
      const size = packet.payload?.length ?? 0;
      if (acct && size <= maxPayload && mayPublish(acct.role, acct.username, packet.topic)) { done(null); return; }
      if (size > maxPayload) oversized?.inc(); else denied?.inc({ action: 'publish' });
      log.warn('mqtt publish refused', { clientId: client.id, username: acct?.username ?? dataAccounts.get(client)?.username, topic: packet.topic, bytes: size });
      done(new LightNodeError('BAL_BROKER_PUBLISH_REFUSED', size > maxPayload ? 'payload too large' : 'not authorized'));
    },
    authorizeSubscribe: (client, sub, done) => {
      const acct = accounts.get(client);
      if (acct && maySubscribe(acct.role, acct.username, sub.topic)) { done(null, sub); return; }
      const user = dataAccounts.get(client);
      if (user && dataMaySubscribe(user.role, grants.topicsOf(user.username), sub.topic)) { done(null, sub); return; }
      denied?.inc({ action: 'subscribe' });
      log.warn('mqtt subscribe refused', { clientId: client.id, username: acct?.username ?? user?.username, filter: sub.topic });
      done(null, null);
    },
    // Per message: a grant revoked after the SUBSCRIBE stops the very next delivery.
    authorizeForward: (client, packet) => {
      const user = dataAccounts.get(client);
      if (!user) return packet;
      if (dataMayReceive(user.role, grants.topicsOf(user.username), packet.topic)) return packet;
      denied?.inc({ action: 'deliver' });
      return null;
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

  const liveClients = (): Client[] => Object.values((aedes as unknown as { clients: Record<string, Client> }).clients ?? {});
  const disconnectDataUser = (username: string): number => {
    let n = 0;
    for (const c of liveClients()) {
      if (dataAccounts.get(c)?.username !== username) continue;
      dataAccounts.delete(c); // nothing more reaches it even before the socket is gone
      c.close();
      n++;
    }
    if (n > 0) log.info('data user disconnected', { username, clients: n });
    return n;
  };

  let closing: Promise<void> | null = null;
  return {
    aedes, url, tlsUrl, internal, grants, disconnectDataUser,
    setDataUserEnabled(username, enabled) {
      if (enabled) { disabled.delete(username); return 0; }
      disabled.add(username);
      return disconnectDataUser(username);
    },
    replaceAccounts(list) {
      const gone = new Set(opts.credentials.replaceAll(list));
      let kicked = 0;
      for (const c of liveClients()) {
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
