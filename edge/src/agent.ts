/**
 * The Light Node agent: wires identity, spool, uplink, scheduler, meters, EMS and the ops
 * endpoints from one validated config. Every reading takes the same path:
 * source → draft → plausibility gate (meters/value-gate.ts: implausible values dropped, counted,
 * reported) → spool (seq + EIP-712 signature + commit, one transaction) → uplink → ack.
 */
import { readFileSync } from 'node:fs';
import { LightNodeError, isLightNodeError } from '@lightnode/shared/errors';
import { makeDomain, type Eip712Domain } from '@lightnode/shared/eip712';
import type { SignedReading } from '@lightnode/shared/reading';
import { serializeActivation } from '@lightnode/shared/messages';
import type { AgentConfig } from './config.js';
import { resolveChain } from './deployment.js';
import { readKeystoreFile } from './identity/keystore.js';
import type { DeviceKey } from './identity/device-key.js';
import { readingSigner } from './identity/reading-signer.js';
import { Spool } from './spool/spool.js';
import type { SpoolDraft } from './spool/port.js';
import { Uplink } from './uplink/uplink.js';
import { Scheduler } from './scheduler/scheduler.js';
import { systemClock, type Clock } from './scheduler/clock.js';
import { Metrics } from './ops/metrics.js';
import { createLogger, type Logger } from './ops/logger.js';
import { startOpsServer, type OpsServer } from './ops/http.js';
import { startWatchdog, type Watchdog } from './ops/watchdog.js';
import { acquireDataDirLock, type DataDirLock } from './ops/data-dir-lock.js';
import { defaultSourceFactory, type AnySource, type SourceFactory } from './sources.js';
import type { AcquisitionMetrics, ReadingDraft } from './meters/source.js';
import { createValueGate, type DraftGate } from './meters/value-gate.js';
import { SetpointSignerList } from './ems/registry-signers.js';
import { SetpointController, emsMeasurements } from './ems/setpoints.js';
import type { EmsDriver } from './ems/driver.js';
import { createEmsDriver } from './ems/create-driver.js';

export const AGENT_VERSION = '0.1.0';

export interface AgentDeps {
  /** Keystore password (else LIGHTNODE_KEYSTORE_PASSWORD, else keystore.passwordFile). */
  password?: string;
  /** An already-unlocked key (tests, benches) instead of the keystore. */
  key?: DeviceKey;
  sourceFactory?: SourceFactory;
  emsDriver?: EmsDriver;
  clock?: Clock;
  logger?: Logger;
  metrics?: Metrics;
  env?: NodeJS.ProcessEnv;
}

/** A running agent. */
export interface Agent {
  readonly address: string;
  readonly domain: Eip712Domain;
  readonly spool: Spool;
  readonly uplink: Uplink;
  readonly metrics: Metrics;
  readonly setpoints: SetpointController | undefined;
  readonly httpPort: number | undefined;
  /** Spool a draft now (used by sources, EMS polls and tests). */
  ingest(draft: SpoolDraft): SignedReading | undefined;
  health(): { ok: boolean; [k: string]: unknown };
  stop(): Promise<void>;
}

function keystorePassword(cfg: AgentConfig, deps: AgentDeps): string {
  if (deps.password !== undefined) return deps.password;
  const env = deps.env ?? process.env;
  if (env.LIGHTNODE_KEYSTORE_PASSWORD) return env.LIGHTNODE_KEYSTORE_PASSWORD;
  if (cfg.keystore.passwordFile) {
    try { return readFileSync(cfg.keystore.passwordFile, 'utf8').replace(/\r?\n$/, ''); } catch (err) {
      throw new LightNodeError('EDGE_KEYSTORE_PASSWORD', `keystore password file ${cfg.keystore.passwordFile}: ${(err as Error).message}`);
    }
  }
  throw new LightNodeError('EDGE_KEYSTORE_PASSWORD', 'no keystore password: set LIGHTNODE_KEYSTORE_PASSWORD or keystore.passwordFile');
}

/** Most drafts kept in memory while the spool is locked (EDGE_SPOOL_BUSY); beyond, the oldest are dropped and counted. */
const MAX_HELD_DRAFTS = 10_000;
/** Retry period of drafts the locked spool did not take, ms. */
const SPOOL_RETRY_MS = 1000;

/**
 * Start the agent; resolves once the spool is open and every component is started. Throws
 * EDGE_DATA_DIR_LOCKED when another agent runs on `cfg.dataDir` (ops/data-dir-lock.ts).
 */
export async function startAgent(cfg: AgentConfig, deps: AgentDeps = {}): Promise<Agent> {
  const log = deps.logger ?? createLogger({ level: cfg.log.level });
  const lock = acquireDataDirLock(cfg.dataDir);
  if (lock.replaced) log.warn('stale data-directory lock taken over (its agent is gone)', { path: lock.path, stalePid: lock.replaced.pid });
  try {
    return await runAgent(cfg, deps, log, lock);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function runAgent(cfg: AgentConfig, deps: AgentDeps, log: Logger, lock: DataDirLock): Promise<Agent> {
  const metrics = deps.metrics ?? new Metrics();
  const clock = deps.clock ?? systemClock;
  const startedMs = clock.now();
  const key = deps.key ?? (await readKeystoreFile(cfg.keystore.path, keystorePassword(cfg, deps)));
  const chain = resolveChain(cfg.chain);
  const domain = makeDomain(chain.chainId, chain.podRegistry);
  log.info('identity loaded', { address: key.address, pod: cfg.pod, chainId: chain.chainId, podRegistry: chain.podRegistry });

  const spool = Spool.open({
    path: cfg.spool.path, pod: cfg.pod, sign: readingSigner(domain, key), maxBytes: cfg.spool.maxBytes,
    maxAgeMs: cfg.spool.maxAgeMs, synchronous: cfg.spool.synchronous, now: () => clock.now(), metrics,
  });
  const uplink = new Uplink({ config: cfg.mqtt, pod: cfg.pod, device: key.address, agentVersion: AGENT_VERSION, spool, metrics, logger: log, clock });
  const scheduler = new Scheduler({ clock, metrics, onError: (job, err) => log.warn('job failed', { job, err }) });

  const ingested = metrics.counter('readings_ingested_total', 'Drafts signed and spooled, by meter');
  const ingestErrors = metrics.counter('reading_errors_total', 'Readings that could not be acquired or spooled, by meter and code');
  const acqEvents = metrics.counter('acquisition_events_total', 'Acquisition events and errors reported by the meter engine, by source and code');
  let firstReadingMs: number | undefined;
  metrics.gaugeFn('agent_first_reading_latency_ms', 'ms from agent start to the first signed reading', () => (firstReadingMs === undefined ? -1 : firstReadingMs - startedMs));
  metrics.gaugeFn('agent_up', '1 while the agent runs', () => 1);

  const ingest = (draft: SpoolDraft): SignedReading | undefined => {
    try {
      const r = spool.append(draft);
      ingested.inc({ meter: draft.meter });
      if (firstReadingMs === undefined) { firstReadingMs = clock.now(); log.info('first signed reading', { seq: r.seq, latencyMs: firstReadingMs - startedMs }); }
      uplink.notify();
      return r;
    } catch (err) {
      // A bad draft (e.g. a value the reading model refuses) is counted and dropped; the agent goes on.
      const code = isLightNodeError(err) ? err.code : 'EDGE_SPOOL_WRITE';
      ingestErrors.inc({ meter: draft.meter, code });
      log.error('reading not spooled', { meter: draft.meter, code, err });
      return undefined;
    }
  };

  // Drafts arriving within `spool.coalesceMs` of each other (meters polled on the same second
  // boundary answer a few ms apart) are spooled in ONE transaction and go out in one publish:
  // one fsync and one ack per tick instead of one per meter. A batch that fails (one bad draft) is retried one by one so the
  // good drafts are kept and only the bad one is counted.
  // A spool locked by another connection (EDGE_SPOOL_BUSY) keeps the drafts here and retries:
  // a reading waits, it is not dropped (up to MAX_HELD_DRAFTS).
  let pending: SpoolDraft[] = [];
  let cancelFlush: (() => void) | undefined;
  let stopping = false;
  const spoolBusy = metrics.counter('spool_busy_total', 'Spool writes that found the database locked by another connection (the drafts are kept and retried)');
  const flush = (): void => {
    cancelFlush = undefined;
    const drafts = pending;
    pending = [];
    if (drafts.length === 0) return;
    try {
      const out = spool.appendMany(drafts);
      for (const d of drafts) ingested.inc({ meter: d.meter });
      if (firstReadingMs === undefined && out.length) { firstReadingMs = clock.now(); log.info('first signed reading', { seq: out[0]!.seq, latencyMs: firstReadingMs - startedMs }); }
      uplink.notify();
    } catch (err) {
      if (isLightNodeError(err, 'EDGE_SPOOL_BUSY')) { holdForRetry(drafts, err); return; }
      for (const d of drafts) ingest(d);
    }
  };
  const holdForRetry = (drafts: SpoolDraft[], err: unknown): void => {
    spoolBusy.inc();
    pending = [...drafts, ...pending];
    const over = pending.length - MAX_HELD_DRAFTS;
    if (over > 0) {
      for (const d of pending.splice(0, over)) ingestErrors.inc({ meter: d.meter, code: 'EDGE_SPOOL_BUSY' });
      log.error('spool locked too long: oldest held drafts dropped', { dropped: over });
    }
    log.warn('spool locked by another connection; drafts held and retried', { held: pending.length, err });
    if (stopping) return;
    cancelFlush?.();
    const h = clock.setTimeout(flush, SPOOL_RETRY_MS);
    cancelFlush = () => clock.clearTimeout(h);
  };
  const enqueue = (draft: SpoolDraft): void => {
    if (pending.push(draft) !== 1 || cancelFlush) return;
    if (cfg.spool.coalesceMs > 0) {
      const h = clock.setTimeout(flush, cfg.spool.coalesceMs);
      cancelFlush = () => clock.clearTimeout(h);
    } else {
      const h = setImmediate(flush); // same turn of the loop: no clock time passes
      cancelFlush = () => clearImmediate(h);
    }
  };

  // --- meters: every draft passes the one plausibility gate before it is signed
  const gate = createValueGate({ metrics, log, now: () => clock.now() });
  const screened = (screen: DraftGate, meter: string, draft: ReadingDraft): ReadingDraft | null => {
    const d = screen(draft);
    if (!d) ingestErrors.inc({ meter, code: 'EDGE_VALUE_IMPLAUSIBLE' }); // no plausible value left: nothing to sign
    return d;
  };
  const acqMetrics: AcquisitionMetrics = { onEvent: (code, sourceId) => acqEvents.inc({ source: sourceId, code }) };
  const def = deps.sourceFactory ? undefined : defaultSourceFactory();
  const factory = deps.sourceFactory ?? def!.factory;
  const sources: AnySource[] = [];
  for (const m of cfg.meters) {
    const s = await factory(m, { metrics: acqMetrics, pod: cfg.pod, dataDir: cfg.dataDir });
    sources.push(s);
    const screen = gate.forSource(m.id, m.kind, s.source.plausibility, m.rating);
    if (s.kind === 'poll') {
      const src = s.source;
      scheduler.add(`meter:${m.id}`, m.cron ? { cron: m.cron } : { intervalMs: m.intervalMs! }, async () => {
        try {
          const d = screened(screen, m.id, await src.poll());
          if (d) enqueue(d);
        } catch (err) {
          ingestErrors.inc({ meter: m.id, code: isLightNodeError(err) ? err.code : 'EDGE_SOURCE_ERROR' });
          log.warn('poll failed', { meter: m.id, err });
        }
      }, { runAtStart: true });
    } else {
      s.source.start((draft) => { const d = screened(screen, m.id, draft); if (d) enqueue(d); }, (err) => {
        ingestErrors.inc({ meter: m.id, code: isLightNodeError(err) ? err.code : 'EDGE_SOURCE_ERROR' });
        log.warn('stream source error', { meter: m.id, err });
      });
    }
  }

  // --- EMS
  let setpoints: SetpointController | undefined;
  let emsDriver: EmsDriver | undefined;
  let signers: SetpointSignerList | undefined;
  if (cfg.ems.enabled) {
    emsDriver = deps.emsDriver ?? (await createEmsDriver(cfg.ems, cfg.mqtt.url));
    signers = new SetpointSignerList({ ...(chain.rpcUrl ? { rpcUrl: chain.rpcUrl } : {}), chainId: chain.chainId, podRegistry: chain.podRegistry, cacheFile: cfg.ems.signersCacheFile, timeoutMs: cfg.chain.rpcTimeoutMs, now: () => clock.now() });
    const signerList = signers;
    metrics.gaugeFn('ems_setpoint_signers', 'Known DSO setpoint signers, by list source (chain|cache|none)', () => [{ labels: { source: signerList.source }, value: signerList.size }]);
    const refreshErrors = metrics.counter('ems_signers_refresh_errors_total', 'Failed setpoint-signer refreshes, by code');
    const refresh = async (): Promise<void> => {
      try {
        const list = await signerList.refresh();
        log.info('setpoint signers refreshed', { count: list.length });
      } catch (err) {
        refreshErrors.inc({ code: isLightNodeError(err) ? err.code : 'EDGE_RPC_ERROR' });
        log.warn('setpoint signer refresh failed; using last known list', { source: signerList.source, err });
      }
    };
    await refresh();
    scheduler.add('ems:signers', { intervalMs: cfg.ems.signersRefreshMs }, refresh);
    setpoints = new SetpointController({
      pod: cfg.pod, domain, signers: signerList, driver: emsDriver, spool: (d) => {
        const r = ingest(d);
        if (!r) throw new LightNodeError('EDGE_SPOOL_WRITE', 'activation reading not spooled');
        return r;
      },
      // async: a message the shared codec refuses becomes a rejection the controller logs
      publish: async (msg) => uplink.publish('activations', serializeActivation(msg)),
      fallback: cfg.ems.fallback, maxClockSkewMs: cfg.ems.maxClockSkewMs, clock, metrics, logger: log,
    });
    const ctl = setpoints;
    uplink.on('setpoints', (payload) => void ctl.handle(payload));
    if (cfg.ems.pollIntervalMs > 0) {
      const drv = emsDriver;
      const emsScreen = gate.forSource('ems', 'ems');
      scheduler.add('ems:poll', { intervalMs: cfg.ems.pollIntervalMs }, async () => {
        try {
          const st = await drv.readback();
          const d = screened(emsScreen, 'ems', { meter: 'ems', timestamp: clock.now(), source: 'ems', values: emsMeasurements(st) });
          if (d) ingest(d);
        } catch (err) {
          ingestErrors.inc({ meter: 'ems', code: isLightNodeError(err) ? err.code : 'EDGE_EMS_IO' });
        }
      });
    }
  }

  scheduler.add('spool:bounds', { intervalMs: cfg.spool.boundsCheckIntervalMs }, () => {
    for (const e of spool.enforceBounds()) log.warn('spool bound evicted readings', { ...e });
  });

  uplink.start();
  scheduler.start();

  let lastLoopMs = Date.now();
  const loopTimer = setInterval(() => { lastLoopMs = Date.now(); }, 1000);
  loopTimer.unref();
  const health = (): { ok: boolean; [k: string]: unknown } => {
    let st: ReturnType<Spool['status']> | { error: string };
    try { st = spool.status(); } catch (err) { st = { error: isLightNodeError(err) ? err.code : 'EDGE_SPOOL_READ' }; }
    const loopOk = Date.now() - lastLoopMs < 10_000;
    return {
      ok: loopOk, pod: cfg.pod, device: key.address, version: AGENT_VERSION, mqttConnected: uplink.connected,
      mqtt: uplink.sessionState, spool: st, lastAckMs: uplink.lastAckMs, implausibleValues: gate.status(), setpointSigners: signers ? { source: signers.source, count: signers.size } : null,
    };
  };

  let ops: OpsServer | undefined;
  if (cfg.http.enabled) {
    ops = await startOpsServer({ host: cfg.http.host, port: cfg.http.port, metrics, health });
    log.info('ops endpoints', { url: `http://${cfg.http.host}:${ops.port}/metrics` });
  }
  const watchdog: Watchdog = startWatchdog({ env: deps.env ?? process.env, intervalMs: cfg.watchdogIntervalMs, alive: () => health().ok, onError: (err) => log.warn('sd_notify failed', { err }) });
  watchdog.ready();

  let stopped = false;
  return {
    address: key.address, domain, spool, uplink, metrics, setpoints, httpPort: ops?.port, ingest, health,
    async stop() {
      if (stopped) return;
      stopped = true;
      stopping = true;
      watchdog.stop();
      clearInterval(loopTimer);
      scheduler.stop();
      setpoints?.close();
      await Promise.allSettled(sources.map((s) => s.source.close()));
      cancelFlush?.();
      flush(); // drafts already acquired are spooled, not dropped
      await def?.close();
      await emsDriver?.close().catch(() => undefined);
      await uplink.stop();
      await ops?.close();
      spool.close();
      lock.release();
      log.info('agent stopped');
    },
  };
}
