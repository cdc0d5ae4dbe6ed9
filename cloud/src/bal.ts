/**
 * Composition root of the BAL (DESIGN §1, §7): store + broker (embedded aedes or an external
 * Mosquitto) + registry mirror + verify pool + ingest + status recorder + anchorer + REST API,
 * from one validated config. `startBal(config)` returns the endpoints and a `stop()` that shuts
 * down in dependency order (API first so no request sees a closed store; ingest before the
 * store so in-flight batches commit and ack).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { readFileSync } from 'node:fs';
import { Wallet } from 'ethers';
import { LightNodeError, ValidationError } from '@lightnode/shared/errors';
import { makeDomain } from '@lightnode/shared/eip712';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { readDeployment } from '@lightnode/contracts/deploy';
import { CONFIG_INVALID, type BalConfig, type JetStreamConfig } from './config.js';
import type { Hex } from '@lightnode/shared/hex';
import { MetricsRegistry } from './metrics.js';
import { createLogger, type Logger } from './log.js';
import { openStore } from './store/open-store.js';
import type { BalStore } from './store/types.js';
import { CredentialStore, loadCredentialsFile } from './broker/credentials.js';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker/embedded-broker.js';
import { attachStatusRecorder } from './broker/status-recorder.js';
import { watchConnection } from './broker/connection-watch.js';
import { createApiApp } from './api/app.js';
import { listenApi } from './api/server.js';
import { createVerifyPool } from './verify/pool.js';
import { startRegistryMirror } from './registry/mirror.js';
import { startIngest, type Ingest } from './ingest/ingest.js';
import { mqttReadingsSource } from './ingest/source.js';
import { jetStreamReadingsSource } from './ingest/jetstream-source.js';
import { startCimIngest, type CimIngest } from './cim-import/cim-ingest.js';
import { startDataServerMirror } from './registry/data-server-mirror.js';
import { startAnchorer, type Anchorer } from './anchor/anchorer.js';
import { RETENTION_LEASE, startLease, type Lease } from './anchor/lease.js';
import { createChainGuard } from './chain/chain-guard.js';
import type { ExpectedChain } from './chain/identity.js';
import { createRetention, startRetentionTimer } from './retention/retention.js';
import { systemClock } from './clock.js';
import { subscriptionRegistryClient } from '@lightnode/contracts/subscriptions/client';
import { createDataAccessService, type DataAccessService } from './access/service.js';
import { createChainCertifier, serialisedCertifier } from './access/chain-certifier.js';
import { loadOrCreateMasterKey } from './access/wallets.js';
import type { AccessEnforcer } from './access/types.js';
import { createEmbeddedEnforcer } from './broker/embedded-enforcer.js';
import { startDynsecEnforcer } from './broker/dynsec-enforcer.js';
import { createCertifiedPublisher } from './delivery/certified-publisher.js';
import { createEventBus, type EventBus } from './events/event-bus.js';
import { startStoreFeed } from './events/store-feed.js';
import type { StoredReadingNotice } from './ingest/ingest.js';
import type { AnchorRecord } from './store/types.js';

/** Where the BAL can be reached. */
export interface BalEndpoints {
  /** REST API base URL (http:// or https://). */
  api: string;
  /** MQTT URL devices connect to: the embedded broker's, or the external broker's. */
  mqtt: string | null;
  /** TLS MQTT URL of the embedded broker, if enabled. */
  mqtts: string | null;
  broker: 'embedded' | 'external';
  /** The web dashboard's URL (`<api>/ui/`), null when `dashboard.enabled` is false. */
  dashboard: string | null;
}

/** The chain the BAL works with (deployment file or direct config). */
export interface ResolvedChain {
  rpcUrl: string; chainId: number; podRegistry: Hex; readingAnchor: Hex; deployBlock: number;
  /** Hash of `deployBlock` when the config or deployment file knows it (else pinned by the chain guard). */
  deployBlockHash: Hex | null;
  subscriptionRegistry: Hex | null;
  dataServerRegistry: Hex | null;
}

export interface RunningBal {
  endpoints: BalEndpoints;
  chain: ResolvedChain;
  store: BalStore;
  metrics: MetricsRegistry;
  /** null without the `ingest` role. */
  ingest: Ingest | null;
  /** The data-server feed (CIM import); null without a DataServerRegistry or the `ingest` role. */
  cimIngest: CimIngest | null;
  /** null when anchoring is disabled or the instance has no `anchor` role. */
  anchorer: Anchorer | null;
  /** The anchor lease this instance competes for; null without anchoring. */
  lease: Lease | null;
  /** The retention lease this instance competes for; null unless `retention.enabled`. */
  retentionLease: Lease | null;
  /** This instance's id and roles (config `instanceId`, `roles`). */
  instance: { id: string; roles: readonly string[] };
  /** Data access management (users, subscriptions); null unless `dataAccess.enabled`. */
  access: DataAccessService | null;
  /** What happens (node status, stored readings, confirmed anchors, decisions), for the dashboard's live view. */
  events: EventBus;
  /**
   * Re-read `broker.credentialsPath` into the embedded broker (SIGHUP in `bal run`); clients of
   * removed or changed accounts are disconnected. Throws for an external broker (reload
   * Mosquitto instead) or an invalid file (the running accounts stay).
   */
  reloadCredentials(): { accounts: number; disconnected: number };
  /** Stop everything (idempotent). */
  stop(): Promise<void>;
}

export interface StartBalOptions {
  log?: Logger;
  /** Clock, ms since epoch (ingest skew, store timestamps); default Date.now. */
  now?: () => number;
  /** Delay before the first retention pass (when `retention.enabled`); default one minute. */
  retentionFirstDelayMs?: number;
}

/** Resolve the chain section (reads the deployment file). */
export function resolveChain(config: BalConfig): ResolvedChain {
  const c = config.chain;
  if (c.kind === 'direct') {
    return {
      rpcUrl: c.rpcUrl, chainId: c.chainId, podRegistry: c.podRegistry, readingAnchor: c.readingAnchor, deployBlock: c.deployBlock, deployBlockHash: c.deployBlockHash,
      subscriptionRegistry: c.subscriptionRegistry ?? null, dataServerRegistry: c.dataServerRegistry ?? null,
    };
  }
  let d;
  try { d = readDeployment(c.deploymentPath); } catch (err) { throw new ValidationError(CONFIG_INVALID, 'chain.deploymentPath', 'a valid deployment file', (err as Error).message); }
  return {
    rpcUrl: c.rpcUrl ?? d.rpcUrl, chainId: d.chainId, podRegistry: d.podRegistry, readingAnchor: d.readingAnchor, deployBlock: d.deployBlock,
    deployBlockHash: d.deployBlockHash ?? null, subscriptionRegistry: c.subscriptionRegistry ?? d.subscriptionRegistry,
    dataServerRegistry: c.dataServerRegistry ?? d.dataServerRegistry,
  };
}

/** What the chain guard checks: chain id, deploy block and every configured contract's code. */
export function expectedChain(chain: ResolvedChain): ExpectedChain {
  return {
    chainId: chain.chainId, deployBlock: chain.deployBlock, deployBlockHash: chain.deployBlockHash,
    contracts: {
      PodRegistry: chain.podRegistry, ReadingAnchor: chain.readingAnchor,
      ...(chain.subscriptionRegistry ? { SubscriptionRegistry: chain.subscriptionRegistry } : {}),
      ...(chain.dataServerRegistry ? { DataServerRegistry: chain.dataServerRegistry } : {}),
    },
  };
}

/** The anchoring private key (env BAL_ANCHOR_KEY or chain.anchorKeyPath), or null if none. */
export function resolveAnchorKey(config: BalConfig): string | null {
  return resolveAccountKey(config.chain.anchorKey, config.chain.anchorKeyPath, 'chain.anchorKey');
}

/** The relay account's private key (env BAL_RELAY_KEY or chain.relayKeyPath), or null if none. */
export function resolveRelayKey(config: BalConfig): string | null {
  return resolveAccountKey(config.chain.relayKey, config.chain.relayKeyPath, 'chain.relayKey');
}

function resolveAccountKey(inline: string | undefined, file: string | undefined, field: string): string | null {
  let key = inline ?? null;
  if (!key && file) {
    try { key = readFileSync(file, 'utf8').trim(); } catch (err) {
      throw new ValidationError(CONFIG_INVALID, `${field}Path`, 'a readable file with a hex private key', (err as Error).message);
    }
  }
  if (key === null) return null;
  if (!/^(0x)?[0-9a-fA-F]{64}$/.test(key)) throw new ValidationError(CONFIG_INVALID, field, '32-byte hex private key', 'something else (not shown)');
  return key.startsWith('0x') ? key : `0x${key}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => { t = setTimeout(() => rej(new LightNodeError('BAL_TIMEOUT', `${what} timed out`)), ms); })]).finally(() => clearTimeout(t));
}

/** The NATS password of `ingest.jetstream` (inline, or read from `passwordPath`), or null. */
function jetstreamPassword(js: JetStreamConfig): string | null {
  if (js.password !== null) return js.password;
  if (js.passwordPath === null) return null;
  try { return readFileSync(js.passwordPath, 'utf8').replace(/\r?\n$/, ''); } catch (err) {
    throw new ValidationError(CONFIG_INVALID, 'ingest.jetstream.passwordPath', 'a readable file', (err as Error).message);
  }
}

/** Start the whole BAL from a validated config. */
export async function startBal(config: BalConfig, opts: StartBalOptions = {}): Promise<RunningBal> {
  const roles = new Set(config.roles);
  const log = (opts.log ?? createLogger({ level: config.log.level })).child({ instance: config.instanceId });
  const metrics = new MetricsRegistry({ constLabels: { instance_id: config.instanceId, roles: config.roles.join(',') } });
  const chain = resolveChain(config);
  const anchoring = config.anchoring.enabled && roles.has('anchor');
  const anchorKey = anchoring ? resolveAnchorKey(config) : null;
  if (anchoring && !anchorKey) {
    throw new ValidationError(CONFIG_INVALID, 'chain.anchorKeyPath', 'an anchoring key (file, or env BAL_ANCHOR_KEY) while anchoring.enabled', 'none');
  }
  const da = config.dataAccess;
  const relayKey = da.enabled ? resolveRelayKey(config) : null;
  if (da.enabled) {
    if (!relayKey) throw new ValidationError(CONFIG_INVALID, 'chain.relayKeyPath', 'a relay key (file, or env BAL_RELAY_KEY) while dataAccess.enabled', 'none');
    if (!chain.subscriptionRegistry) throw new ValidationError(CONFIG_INVALID, 'chain.subscriptionRegistry', 'a SubscriptionRegistry address (or a deployment file with one) while dataAccess.enabled', 'none');
    if (relayKey === anchorKey) throw new ValidationError(CONFIG_INVALID, 'chain.relayKeyPath', 'another account than the anchoring one (their transaction nonces would race)', 'the anchoring key');
  }
  // Late-bound: the embedded broker starts before the service exists; data users are refused until then.
  let access: DataAccessService | null = null;
  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  const stopAll = async (): Promise<void> => {
    while (closers.length) {
      const c = closers.pop()!;
      try { await c.close(); } catch (err) { log.warn('stop step failed', { step: c.name, err }); }
    }
  };

  try {
    const store = await openStore(config.store, opts.now ? { now: opts.now } : {});
    closers.push({ name: 'store', close: () => store.close() });

    let broker: EmbeddedBroker | null = null;
    let client: MqttClient;
    if (config.broker.kind === 'embedded') {
      const b = config.broker;
      const credentials = new CredentialStore(b.credentialsPath ? loadCredentialsFile(b.credentialsPath).accounts : []);
      broker = await startEmbeddedBroker({
        host: b.host, port: b.port, tls: b.tls, credentials, maxPayloadBytes: b.maxPayloadBytes, metrics, log: log.child({ component: 'broker' }),
        ...(da.enabled ? { dataUsers: { authenticate: (username: string, password: string, remote: string) => access?.brokerLogin(username, password, remote) ?? Promise.resolve(null) } } : {}),
      });
      const eb = broker;
      closers.push({ name: 'broker', close: () => eb.close() });
      client = await mqtt.connectAsync((broker.url ?? broker.tlsUrl)!, {
        username: broker.internal.username, password: broker.internal.password, clientId: broker.internal.clientId,
        reconnectPeriod: 1000, connectTimeout: 10_000, rejectUnauthorized: false, // own loopback listener
      });
    } else {
      const b = config.broker;
      client = await mqtt.connectAsync(b.url, {
        username: b.username, ...(b.password !== null ? { password: b.password } : {}), clientId: b.clientId,
        clean: b.clean, reconnectPeriod: 1000, connectTimeout: 10_000, ...(b.caPath ? { ca: readFileSync(b.caPath) } : {}),
      });
    }
    const mq = client;
    closers.push({ name: 'mqtt', close: () => mq.endAsync() });
    mq.on('error', (err) => log.warn('mqtt client error', { err }));
    watchConnection(mq, { clientId: mq.options.clientId ?? '', metrics, log: log.child({ component: 'mqtt' }) });

    const provider = jsonRpcProvider(chain.rpcUrl, chain.chainId, { timeoutMs: config.chain.rpcTimeoutMs });
    closers.push({ name: 'provider', close: async () => provider.destroy() });
    // Is the RPC still serving our chain (not a reset one on the same URL)? /healthz and the anchorer ask.
    const chainGuard = createChainGuard({ reader: provider, log: log.child({ component: 'chain' }), metrics, expected: expectedChain(chain) });
    const mirror = await startRegistryMirror({
      provider, podRegistry: chain.podRegistry, fromBlock: chain.deployBlock, pollIntervalMs: config.registry.pollIntervalMs,
      maxBlockRange: config.registry.maxBlockRange, confirmations: config.registry.confirmations, log: log.child({ component: 'registry' }), metrics,
    });
    closers.push({ name: 'registry', close: () => mirror.stop() });
    const pool = await createVerifyPool({ domain: makeDomain(chain.chainId, chain.podRegistry), threads: config.ingest.verifyThreads });
    closers.push({ name: 'verify-pool', close: () => pool.close() });

    // Certified delivery and data access (docs/data-access.md).
    const publisher = da.enabled ? createCertifiedPublisher({ mqtt: mq, store, metrics, log: log.child({ component: 'certified' }), cimFormats: da.cimFormats }) : null;
    // The dashboard's live view (api/event-stream.ts) listens here; certified delivery stays on MQTT.
    const events = createEventBus({ log: log.child({ component: 'events' }) });
    const onStored = (pod: string, stored: readonly StoredReadingNotice[]): void => {
      publisher?.publishStored(pod, stored);
      events.publish({
        type: 'readings', pod,
        readings: stored.map((s) => ({ id: s.id, seq: s.reading.seq, timestampMs: s.reading.timestamp, digest: s.digest, signer: s.signer, values: s.reading.values })),
      });
    };
    // An api instance that is not the whole BAL (not all three roles) learns what other instances
    // stored and anchored from the store (events/store-feed.ts): readings and node changes when it
    // does not ingest, anchors always (the anchor leader may be another instance).
    const allRoles = roles.has('ingest') && roles.has('api') && roles.has('anchor');
    const storeFeed = config.dashboard.enabled && roles.has('api') && !allRoles;
    const onConfirmed = async (a: AnchorRecord): Promise<void> => {
      if (!storeFeed) events.publish({ type: 'anchor', index: a.index, root: a.root, leafCount: a.leafCount, transaction: a.transaction, blockNumber: a.blockNumber });
      await publisher?.publishAnchor(a);
    };
    if (da.enabled) {
      const alog = log.child({ component: 'access' });
      const relay = new Wallet(relayKey!, provider);
      // One relay transaction at a time across every instance on the store (nonces).
      const certifier = serialisedCertifier(await createChainCertifier(subscriptionRegistryClient(chain.subscriptionRegistry!, relay)), (fn) => store.withLock('relay', fn));
      let enforcer: AccessEnforcer;
      if (broker) enforcer = createEmbeddedEnforcer({ broker, log: alog });
      else {
        const b = config.broker as Extract<BalConfig['broker'], { kind: 'external' }>;
        enforcer = await startDynsecEnforcer({
          url: b.url, username: b.dynsec!.username, password: b.dynsec!.password, log: alog,
          mqttOptions: { clientId: `${b.clientId}-dynsec`, ...(b.caPath ? { ca: readFileSync(b.caPath) } : {}) },
        });
      }
      const enf = enforcer;
      closers.push({ name: 'access-enforcer', close: () => enf.close() });
      access = createDataAccessService({
        store, certifier, enforcer, masterKey: loadOrCreateMasterKey(da.walletKeyPath), metrics, log: alog,
        sessionTtlMs: da.sessionTtlMs, deadlineSec: da.decisionDeadlineSec,
        loginLimits: { perUser: { maxFailures: da.loginMaxFailuresPerUser, windowMs: da.loginWindowMs }, perAddress: { maxFailures: da.loginMaxFailuresPerAddress, windowMs: da.loginWindowMs } },
        ...(opts.now ? { clock: { now: opts.now } } : {}),
      });
      await access.syncBroker();
    }

    let anchorer: Anchorer | null = null;
    let lease: Lease | null = null;
    if (anchorKey) {
      const an = config.anchoring;
      const l = startLease({
        store, holder: config.instanceId, clock: opts.now ? { ...systemClock, now: opts.now } : systemClock, log: log.child({ component: 'lease' }), metrics,
        timing: { ttlMs: an.leaseTtlMs, renewMs: an.leaseRenewMs, renewDeadlineMs: an.leaseRenewDeadlineMs },
      });
      lease = l;
      closers.push({ name: 'lease', close: () => l.stop() }); // after the anchorer stopped: release, so another takes over at once
      const a = startAnchorer({
        store, signer: new Wallet(anchorKey, provider), readingAnchor: chain.readingAnchor, metrics, log: log.child({ component: 'anchor' }),
        config: { windowMs: config.anchoring.windowMs, maxLeaves: config.anchoring.maxLeaves, pollIntervalMs: config.anchoring.pollIntervalMs,
          confirmations: config.anchoring.confirmations, rebroadcastMs: config.anchoring.rebroadcastMs },
        ...(opts.now ? { clock: { ...systemClock, now: opts.now } } : {}),
        onConfirmed, chainGuard, lease: l,
      });
      anchorer = a;
      closers.push({ name: 'anchorer', close: () => a.stop() });
    }

    // Statuses and readings are consumed by `ingest` instances only. With `ingest.shareGroup`
    // readings and the data-server feed are shared (each message to one instance of the group);
    // statuses stay a plain subscription on every ingest instance: a status is retained, small
    // and rare, and recording it is idempotent (the store keeps the newest by its `ts`), while
    // a shared subscription would not get the retained statuses when an instance (re)subscribes.
    const shareGroup = config.ingest.shareGroup;
    if (roles.has('ingest')) {
      const status = await attachStatusRecorder(mq, {
        store, metrics, log: log.child({ component: 'status' }), onRecorded: (s) => events.publish({ type: 'node', pod: s.pod }), ...(opts.now ? { now: opts.now } : {}),
      });
      closers.push({ name: 'status', close: () => status.detach() });
    }
    // With ingest.jetstream, readings come from the durable JetStream consumer, not from the MQTT client.
    const js = config.ingest.jetstream;
    const source = js && roles.has('ingest') ? jetStreamReadingsSource({
      servers: js.servers, stream: js.stream, consumer: js.consumer, replicas: js.replicas, ackWaitMs: js.ackWaitMs, maxAckPending: js.maxAckPending, nakDelayMs: js.nakDelayMs,
      ...(js.username ? { username: js.username } : {}), ...(jetstreamPassword(js) !== null ? { password: jetstreamPassword(js)! } : {}),
      name: `bal-ingest:${config.instanceId}`, metrics, log: log.child({ component: 'jetstream' }),
    }) : null;
    const ingest = !roles.has('ingest') ? null : await startIngest({
      mqtt: mq, source: source ?? mqttReadingsSource(mq, { shareGroup }), store, mirror, pool, metrics, log: log.child({ component: 'ingest' }),
      config: {
        futureSkewMs: config.ingest.futureSkewMs, maxInFlightBatches: config.ingest.maxInFlightBatches,
        ackMode: config.ingest.ackMode, ackMaxDelayMs: config.ingest.ackMaxDelayMs, ackMaxReadings: config.ingest.ackMaxReadings,
      },
      onStored,
      // Rejections, duplicates and equivocations change the node's row: the fleet view shows it live.
      onCounters: (pod) => events.publish({ type: 'node', pod }),
      ...(opts.now ? { now: opts.now } : {}),
    });
    if (ingest) closers.push({ name: 'ingest', close: () => ingest.stop() });

    let cimIngest: CimIngest | null = null;
    if (chain.dataServerRegistry && roles.has('ingest')) {
      const dsMirror = await startDataServerMirror({
        provider, address: chain.dataServerRegistry, fromBlock: chain.deployBlock, pollIntervalMs: config.registry.pollIntervalMs,
        maxBlockRange: config.registry.maxBlockRange, log: log.child({ component: 'data-servers' }), metrics,
      });
      closers.push({ name: 'data-server-registry', close: () => dsMirror.stop() });
      const ci = await startCimIngest({
        mqtt: mq, store, mirror: dsMirror, domain: makeDomain(chain.chainId, chain.podRegistry), metrics, log: log.child({ component: 'cim-import' }),
        futureSkewMs: config.ingest.futureSkewMs, onStored, shareGroup, ...(opts.now ? { now: opts.now } : {}),
      });
      cimIngest = ci;
      closers.push({ name: 'cim-ingest', close: () => ci.stop() });
    }

    let retentionLease: Lease | null = null;
    if (config.retention.enabled) {
      // A singleton job: of the instances with retention enabled, only the holder of the
      // `retention` lease archives and prunes (same timing as the anchor lease).
      const an = config.anchoring;
      const rl = startLease({
        store, holder: config.instanceId, name: RETENTION_LEASE, clock: opts.now ? { ...systemClock, now: opts.now } : systemClock, log: log.child({ component: 'lease' }), metrics,
        timing: { ttlMs: an.leaseTtlMs, renewMs: an.leaseRenewMs, renewDeadlineMs: an.leaseRenewDeadlineMs },
      });
      retentionLease = rl;
      closers.push({ name: 'retention-lease', close: () => rl.stop() });
      const retention = createRetention(
        { days: config.retention.days, archiveDir: config.retention.archiveDir, deleteBatchSize: config.retention.deleteBatchSize },
        { store, deployment: { chainId: chain.chainId, podRegistry: chain.podRegistry, readingAnchor: chain.readingAnchor, dataServerRegistry: chain.dataServerRegistry }, metrics, log: log.child({ component: 'retention' }),
          active: () => rl.isLeader(), ...(opts.now ? { now: opts.now } : {}) },
      );
      const rt = startRetentionTimer(retention, config.retention.intervalMs, opts.retentionFirstDelayMs ?? 60_000, { lease: rl, metrics });
      closers.push({ name: 'retention', close: () => rt.stop() });
    }

    if (storeFeed) {
      const feed = startStoreFeed({
        store, bus: events, log: log.child({ component: 'events' }), metrics,
        readings: !roles.has('ingest'), nodes: !roles.has('ingest'), anchors: true,
      });
      closers.push({ name: 'store-feed', close: () => feed.stop() });
    }

    const readingsGauge = metrics.gauge('bal_store_readings', 'Readings in the store');
    const pendingGauge = metrics.gauge('bal_store_pending_readings', 'Stored readings not yet anchored');
    const refresh = async (): Promise<void> => {
      try { const c = await store.counts(); readingsGauge.set(c.readings); pendingGauge.set(c.pending); } catch { /* store down: /healthz says so */ }
    };
    // Store-wide counts (COUNT(*) over readings: ~70 ms per million rows on PostgreSQL, cloud/README
    // "Running several instances"): not on ingest-only instances, the many; api and anchor ones say them.
    if (roles.has('api') || roles.has('anchor')) {
      await refresh();
      const timer = setInterval(() => { void refresh(); }, 5000);
      timer.unref();
      closers.push({ name: 'gauges', close: async () => clearInterval(timer) });
    }

    const instance = { id: config.instanceId, roles: [...config.roles] };
    const app = createApiApp({
      healthOnly: !roles.has('api'),
      instance: () => ({
        ...instance,
        ...(lease ? { anchor: { role: lease.status().role, epoch: lease.status().epoch } } : {}),
        ...(retentionLease ? { retention: { role: retentionLease.status().role, epoch: retentionLease.status().epoch } } : {}),
      }),
      store, deployment: { chainId: chain.chainId, podRegistry: chain.podRegistry, readingAnchor: chain.readingAnchor, dataServerRegistry: chain.dataServerRegistry },
      clients: config.api.clients, metrics, ...(access ? { access } : {}), log: log.child({ component: 'api' }), metricsPublic: config.api.metricsPublic, maxPageSize: config.api.maxPageSize,
      ...(config.dashboard.enabled ? {
        events, decisionsFromStore: storeFeed,
        dashboard: {
          offlineAfterMs: config.dashboard.offlineAfterMs, explorerBaseUrl: config.dashboard.explorerBaseUrl, eventHeartbeatMs: config.dashboard.eventHeartbeatMs,
          chainHead: () => withTimeout(provider.getBlockNumber(), 2000, 'rpc'),
        },
      } : {}),
      health: {
        mqtt: async () => (mq.connected ? 'ok' : 'disconnected'),
        chain: async () => {
          const v = await withTimeout(chainGuard.check(), 2000, 'rpc');
          if (v.state === 'unreachable') throw v.error;
          return v.state; // 'ok' or 'mismatch' (the reasons are in the log)
        },
      },
    });
    const api = await listenApi(app, { host: config.api.host, port: config.api.port, tls: config.api.tls, metrics });
    closers.push({ name: 'api', close: () => api.close() });

    const dashboard = config.dashboard.enabled ? `${api.url}/ui/` : null;
    const endpoints: BalEndpoints = config.broker.kind === 'embedded'
      ? { api: api.url, mqtt: broker!.url, mqtts: broker!.tlsUrl, broker: 'embedded', dashboard }
      : { api: api.url, mqtt: config.broker.url, mqtts: null, broker: 'external', dashboard };
    log.info('bal started', { ...endpoints, store: config.store.kind, chainId: chain.chainId, roles: config.roles, anchoring: anchorer !== null });

    let stopping: Promise<void> | null = null;
    return {
      endpoints, chain, store, metrics, ingest, cimIngest, anchorer, lease, retentionLease, instance, access, events,
      reloadCredentials() {
        if (config.broker.kind !== 'embedded' || !broker) throw new ValidationError(CONFIG_INVALID, 'broker.kind', "'embedded' to reload credentials", config.broker.kind);
        const accounts = config.broker.credentialsPath ? loadCredentialsFile(config.broker.credentialsPath).accounts : [];
        return { accounts: accounts.length, disconnected: broker.replaceAccounts(accounts) };
      },
      stop() {
        stopping ??= (async () => { log.info('bal stopping'); await stopAll(); log.info('bal stopped'); })();
        return stopping;
      },
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
