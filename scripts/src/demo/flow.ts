/**
 * The whole Light Node system on one machine, on embedded defaults (DESIGN §7), used by
 * `pnpm demo` and the end-to-end tests: anvil + contracts, the simulated lab, PoDs registered
 * with the fleet CLI, the DSO's setpoint signer, the BAL (aedes or a private Mosquitto, SQLite,
 * short anchor windows), one Light Node agent per PoD, one DSO setpoint, and live progress.
 *
 * Agents and the BAL run in this process (`startAgent`, `startBal`): one tsx start instead of one
 * per component on a 2-core machine, one clean shutdown path for Ctrl-C, and progress read from
 * each part's own state (spools, store) instead of scraped logs. Everything between them still
 * crosses real sockets (MQTT, Modbus TCP, a serial pty, WebSocket, JSON-RPC), and every part reads
 * the config file written into the data folder, so each one can be run alone with its CLI.
 */
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Wallet } from 'ethers';
import { LightNodeError } from '@lightnode/shared/errors';
import { startAnvil, ANVIL_PRIVATE_KEYS, type AnvilHandle } from '@lightnode/contracts/anvil';
import { deployAll, writeDeployment, type Deployment } from '@lightnode/contracts/deploy';
import { jsonRpcProvider } from '@lightnode/contracts/connect';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { createLogger as createBalLogger } from '@lightnode/cloud/log';
import { newSecret } from '@lightnode/cloud/operator';
import { startAgent, type Agent } from '@lightnode/edge/agent';
import { validateConfig } from '@lightnode/edge/config';
import { createLogger as createEdgeLogger } from '@lightnode/edge/logger';
import type { SetpointMode, Setpoint } from '@lightnode/shared/setpoint';
import { main as fleetMain } from '../fleet/cli.js';
import { startLab, type Lab } from './lab.js';
import { DEMO_PODS, podsCsv, provisionNodes, setBrokerUrl, type DemoNode } from './nodes.js';
import { hasMosquitto, startMosquitto, writeBrokerAccounts, type DemoLogins, type RunningMosquitto } from './broker.js';
import { demoBalConfig } from './bal-config.js';
import { openOperatorChannel, registerSetpointSigner, type OperatorChannel } from './setpoint.js';
import { startDataSharing, type DataSharing } from './data-access.js';
import { startTracker, type DemoEvent, type DemoProgress, type Milestone, type Tracker } from './progress.js';

export interface DemoOptions {
  /** Data folder (kept after stop); default `<tmp>/lightnode-demo-<UTC stamp>`. */
  dataDir?: string;
  /** Simulated seconds per real second for the simulators; default 1. */
  acceleration?: number;
  /** `embedded` (aedes inside the BAL, default) or `mosquitto` (a private Mosquitto with per-device ACL). */
  broker?: 'embedded' | 'mosquitto';
  /** BAL anchor window, ms; default 3000. */
  anchorWindowMs?: number;
  /** SDM630 poll period, ms (the SDM120 polls at twice this); default 1000. */
  pollIntervalMs?: number;
  /** Use a socat pty for the SDM120 when available; default true. */
  serial?: boolean;
  /** The DSO setpoint sent once the EMS node is online; null sends none. Default 2500 W limit for 10 min. */
  setpoint?: { activePowerW: number; mode: SetpointMode; validForMs?: number } | null;
  /** Every event (steps, milestones, progress, receipts, warnings). */
  onEvent?: (e: DemoEvent) => void;
}

/** Where everything listens. */
export interface DemoEndpoints {
  rpcUrl: string;
  chainId: number;
  podRegistry: string;
  readingAnchor: string;
  balApi: string;
  mqtt: string;
  broker: 'embedded aedes' | 'mosquitto';
  apiKey: string;
  /** The lab's HTTP control API (inject faults, force values). */
  labControl: string;
  nodes: { pod: string; address: string; reads: string; opsUrl: string | null }[];
}

export interface Demo {
  dataDir: string;
  endpoints: DemoEndpoints;
  deployment: Deployment;
  nodes: DemoNode[];
  agents: { pod: string; agent: Agent }[];
  bal: RunningBal;
  lab: Lab;
  /** Notes worth printing (e.g. socat missing, a setpoint sent again). */
  notes: string[];
  /** Broker logins of the BAL and the DSO operator (device logins are in `nodes`). */
  logins: DemoLogins;
  /** The private Mosquitto, when `broker: 'mosquitto'`. */
  mosquitto: RunningMosquitto | null;
  /** Data sharing: the users (with their passwords), the shared stream, the consumer's count. */
  sharing: DataSharing;
  /** The DSO setpoint in force (the last one sent). */
  readonly setpoint: Setpoint | null;
  progress(): DemoProgress;
  reached(): Partial<Record<Milestone, number>>;
  /** Resolves with ms since start when `m` is reached; rejects after `timeoutMs`. */
  waitFor(m: Milestone, timeoutMs: number): Promise<number>;
  tracker: Tracker;
  /** Stop every part (idempotent); the data folder stays. */
  stop(): Promise<void>;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
}

async function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => undefined), new Promise<void>((r) => { t = setTimeout(r, ms); })]);
  clearTimeout(t);
}

/** Start the demo; resolves once every part runs and the setpoint (if any) is sent. */
export async function startDemo(o: DemoOptions = {}): Promise<Demo> {
  const startedMs = Date.now();
  const dataDir = resolve(o.dataDir ?? join(tmpdir(), `lightnode-demo-${stamp()}`));
  const logDir = join(dataDir, 'logs');
  mkdirSync(logDir, { recursive: true, mode: 0o700 }); // the data folder too: keys, logins, stores, logs are the user's only
  const emit = (e: DemoEvent): void => { try { o.onEvent?.(e); } catch { /* a printer bug must not stop the demo */ } };
  const step = (message: string): void => emit({ kind: 'step', message, elapsedMs: Date.now() - startedMs });
  const notes: string[] = [];
  const note = (message: string): void => { notes.push(message); emit({ kind: 'note', message, elapsedMs: Date.now() - startedMs }); };
  const acceleration = o.acceleration ?? 1;
  const logs: WriteStream[] = [];
  const logFile = (name: string): ((line: string) => void) => {
    const s = createWriteStream(join(logDir, name), { flags: 'a', mode: 0o600 });
    logs.push(s);
    return (line) => { s.write(line.endsWith('\n') ? line : `${line}\n`); };
  };

  const closers: { name: string; close: () => Promise<unknown> }[] = [];
  let stopping = false;
  let stopPromise: Promise<void> | null = null;
  const stopAll = async (): Promise<void> => {
    while (closers.length) {
      const c = closers.pop()!;
      await withTimeout(c.close(), 10_000);
    }
    await Promise.all(logs.map((s) => new Promise((r) => s.end(r))));
  };

  try {
    // Chain: anvil, contracts; account 0 is the DSO (registry writes), account 1 the BAL (anchors),
    // so their nonces never race.
    // Own process group: a terminal's Ctrl-C reaches the demo, which stops the chain last.
    const anvil: AnvilHandle = await startAnvil({ detached: true });
    closers.push({ name: 'anvil', close: () => anvil.stop() });
    const provider = jsonRpcProvider(anvil.rpcUrl, anvil.chainId);
    closers.push({ name: 'provider', close: async () => provider.destroy() });
    const dso = new Wallet(ANVIL_PRIVATE_KEYS[0], provider);
    const balKey = ANVIL_PRIVATE_KEYS[1];
    // Account 2 relays subscription decisions (pays gas, registers topic providers): its own nonces again.
    const relayKey = ANVIL_PRIVATE_KEYS[2];
    const deployment = await deployAll(dso, { bal: [new Wallet(balKey).address], topicAdmins: [new Wallet(relayKey).address] });
    const deploymentPath = join(dataDir, 'deployment.json');
    writeDeployment(deploymentPath, deployment);
    step(`chain: anvil ${anvil.rpcUrl} (chain ${anvil.chainId}); PodRegistry ${deployment.podRegistry}, ReadingAnchor ${deployment.readingAnchor}, SubscriptionRegistry ${deployment.subscriptionRegistry}`);

    // Lab.
    const lab = await startLab({ dir: join(dataDir, 'lab'), chain2Pod: DEMO_PODS.chain2, acceleration, ...(o.serial !== undefined ? { serial: o.serial } : {}) });
    closers.push({ name: 'lab', close: () => lab.stop() });
    if (lab.note) note(lab.note);
    step(`lab: SDM630 tcp:${lab.endpoints.sdm630.port}, SDM120 ${lab.endpoints.sdm120.kind === 'rtu' ? `rtu:${lab.endpoints.sdm120.path}` : `tcp:${lab.endpoints.sdm120.port}`}, Chain 2 ${lab.endpoints.chain2}, EMS tcp:${lab.endpoints.ems.port}; control API ${lab.endpoints.control}${acceleration !== 1 ? ` (time ×${acceleration})` : ''}`);

    // Nodes: keys into per-PoD keystores; the DSO binds them with `fleet import` (one registerBatch).
    const useMosquitto = o.broker === 'mosquitto';
    const nodes = await provisionNodes({ dataDir, lab: lab.endpoints, deploymentPath, rpcUrl: anvil.rpcUrl, pollIntervalMs: o.pollIntervalMs ?? 1000, protocolVersion: useMosquitto ? 5 : 4 });
    const csvPath = join(dataDir, 'fleet', 'pods.csv');
    mkdirSync(join(dataDir, 'fleet'), { recursive: true });
    writeFileSync(csvPath, podsCsv(nodes));
    let fleetOut = '';
    let fleetErr = '';
    const code = await fleetMain(['import', csvPath, '--deployment', deploymentPath, '--json'], {
      out: (s) => { fleetOut += s; }, err: (s) => { fleetErr += s; }, env: { ...process.env, FLEET_PRIVATE_KEY: ANVIL_PRIVATE_KEYS[0] }, errIsTTY: false,
    });
    writeFileSync(join(dataDir, 'fleet', 'import.json'), fleetOut);
    if (code !== 0) throw new LightNodeError('DEMO_FLEET_IMPORT_FAILED', `fleet import failed (exit ${code}): ${fleetErr.trim()}`);
    step(`fleet import ${csvPath}: ${nodes.length} PoDs bound to fresh device keys (${nodes.map((n) => n.pod).join(', ')})`);

    // The DSO's setpoint signer (a separate key, listed in PodRegistry).
    const spSigner = Wallet.createRandom();
    mkdirSync(join(dataDir, 'dso'), { recursive: true });
    writeFileSync(join(dataDir, 'dso', 'setpoint-signer.key'), `${spSigner.privateKey}\n`, { mode: 0o600 });
    await registerSetpointSigner(dso, deployment.podRegistry, spSigner.address);
    step(`DSO setpoint signer ${spSigner.address.toLowerCase()} added to PodRegistry`);

    // Broker accounts, optional private Mosquitto, then the BAL.
    const accounts = await writeBrokerAccounts(dataDir, nodes);
    let mosq: RunningMosquitto | null = null;
    if (useMosquitto) {
      if (!hasMosquitto()) throw new LightNodeError('DEMO_BROKER_START_FAILED', 'broker "mosquitto" asked for, but no mosquitto binary is on PATH');
      mosq = await startMosquitto(join(dataDir, 'mosquitto'), accounts.accounts, accounts.logins.bal, accounts.logins.dynsecAdmin);
      const m = mosq;
      closers.push({ name: 'mosquitto', close: () => m.stop() });
      step(`mosquitto ${mosq.url} (pid ${mosq.pid}, config ${mosq.configPath}: dynamic security, per-device roles)`);
    }
    const api = newSecret();
    writeFileSync(join(dataDir, 'api-key.txt'), `${api.secret}\n`, { mode: 0o600 });
    // With accelerated simulators, Chain 2 messages carry simulated (future) times: allow ~20 real minutes of lead.
    const futureSkewMs = Math.min(86_400_000, 60_000 + Math.ceil((acceleration - 1) * 20 * 60_000));
    const { config: balConfig } = demoBalConfig({
      dataDir, deploymentPath, credentialsPath: accounts.path, apiKeyHash: api.hash, anchorWindowMs: o.anchorWindowMs ?? 3000, futureSkewMs,
      external: mosq ? { url: mosq.url, login: accounts.logins.bal, dynsecAdmin: accounts.logins.dynsecAdmin } : null,
    }, { anchorKey: balKey, relayKey });
    const bal = await startBal(balConfig, { log: createBalLogger({ level: 'info', write: logFile('bal.log') }) });
    closers.push({ name: 'bal', close: () => bal.stop() });
    const mqttUrl = bal.endpoints.mqtt!;
    setBrokerUrl(nodes, mqttUrl);
    step(`BAL: API ${bal.endpoints.api}, MQTT ${mqttUrl} (${bal.endpoints.broker}), SQLite ${join(dataDir, 'bal', 'bal.db')}`);

    // Light Nodes.
    const agents: { pod: string; agent: Agent }[] = [];
    for (const n of nodes) {
      const cfg = validateConfig(n.config, n.dir);
      const agent = await startAgent(cfg, { logger: createEdgeLogger({ level: 'info', write: logFile(`node-${n.pod}.log`) }), env: {} });
      closers.push({ name: `agent ${n.pod}`, close: () => agent.stop() });
      agents.push({ pod: n.pod, agent });
    }
    step(`Light Nodes: ${agents.length} agents started (${nodes.map((n) => `${n.pod} ← ${n.describes}`).join('; ')})`);

    // The DSO operator (setpoints out, activations in) and the progress tracker.
    const operator: OperatorChannel = await openOperatorChannel({
      url: mqttUrl, login: accounts.logins.operator, pods: [DEMO_PODS.sme], chainId: deployment.chainId, podRegistry: deployment.podRegistry, signerKey: spSigner.privateKey as `0x${string}`,
    });
    closers.push({ name: 'operator', close: () => operator.close() });
    const tracker = startTracker({
      bal, agents, apiKey: api.secret, rpcUrl: anvil.rpcUrl, ems: () => lab.ems(), activations: () => operator.activations,
      emsPod: DEMO_PODS.sme, startedMs, emit,
    });
    closers.push({ name: 'tracker', close: () => tracker.stop() });

    // Data sharing: producers per PoD, one consumer, one accepted subscription, certified readings to the consumer.
    const sharing = await startDataSharing({
      bal, mqttUrl, pods: nodes.map((n) => n.pod), dso, subscriptionRegistry: deployment.subscriptionRegistry!, dataDir,
      step, onFirstDelivery: (detail) => tracker.mark('certified-delivered', detail),
    });
    closers.push({ name: 'data sharing', close: () => sharing.close() });

    let setpoint: Setpoint | null = null;
    let watching: Promise<void> = Promise.resolve();
    const spReq = o.setpoint === undefined ? { activePowerW: 2500, mode: 'limit' as const } : o.setpoint;
    if (spReq) {
      const sme = agents.find((a) => a.pod === DEMO_PODS.sme)!.agent;
      // Send once the node is online and knows the registry's setpoint signers.
      for (let i = 0; i < 150; i++) {
        const signers = sme.health().setpointSigners as { count: number } | null;
        if (sme.uplink.connected && signers && signers.count > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300)); // the node's setpoints subscription settles
      const send = async (attempt: number): Promise<void> => {
        const sp = await operator.send({ pod: DEMO_PODS.sme, activePowerW: spReq.activePowerW, mode: spReq.mode, validForMs: spReq.validForMs ?? 600_000 });
        setpoint = sp;
        tracker.setpointSent(sp);
        step(`DSO setpoint ${sp.id} sent to ${sp.pod}: ${sp.mode} ${sp.activePowerW} W${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
        // Like a DSO operator: a refusal for a transient cause (EMS I/O, signer list not loaded yet)
        // is retried with a new setpoint; any other refusal is a warning.
        watching = (async () => {
          const end = Date.now() + 20_000;
          while (Date.now() < end && !stopping) {
            const act = operator.activations.find((a) => a.setpointId === sp.id);
            if (act?.status === 'applied') return;
            if (act) {
              const transient = /^EDGE_(EMS_|SETPOINT_SIGNERS?_UNKNOWN)/.test(act.code ?? '');
              if (transient && attempt < 3) { note(`setpoint ${sp.id} ${act.status} (${act.code}); sending it again`); await send(attempt + 1); }
              else emit({ kind: 'warning', message: `setpoint ${sp.id}: ${act.status} ${act.code ?? ''}`, elapsedMs: Date.now() - startedMs });
              return;
            }
            await new Promise((r) => setTimeout(r, 100));
          }
        })();
      };
      await send(1);
    }

    const endpoints: DemoEndpoints = {
      rpcUrl: anvil.rpcUrl, chainId: deployment.chainId, podRegistry: deployment.podRegistry, readingAnchor: deployment.readingAnchor,
      balApi: bal.endpoints.api, mqtt: mqttUrl, broker: mosq ? 'mosquitto' : 'embedded aedes', apiKey: api.secret, labControl: lab.endpoints.control,
      nodes: nodes.map((n, i) => ({ pod: n.pod, address: n.address, reads: n.describes, opsUrl: agents[i]!.agent.httpPort ? `http://127.0.0.1:${agents[i]!.agent.httpPort}` : null })),
    };
    writeFileSync(join(dataDir, 'endpoints.json'), `${JSON.stringify({ ...endpoints, apiKey: '(see api-key.txt)' }, null, 2)}\n`);

    return {
      dataDir, endpoints, deployment, nodes, agents, bal, lab, notes, tracker, sharing,
      get setpoint() { return setpoint; }, logins: accounts.logins, mosquitto: mosq,
      progress: () => tracker.progress(),
      reached: () => tracker.reached(),
      async waitFor(m, timeoutMs) {
        const end = Date.now() + timeoutMs;
        for (;;) {
          const at = tracker.reached()[m];
          if (at !== undefined) return at;
          if (Date.now() > end) throw new LightNodeError('DEMO_TIMEOUT', `demo: '${m}' not reached within ${timeoutMs} ms; progress ${JSON.stringify(tracker.progress())}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      stop: () => (stopPromise ??= (async () => { stopping = true; await watching; await stopAll(); })()),
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
