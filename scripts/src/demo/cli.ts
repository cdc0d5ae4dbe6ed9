#!/usr/bin/env node
/**
 * `pnpm demo` — the whole system on one machine with no external services (scripts/src/demo/README.md).
 *
 *   pnpm demo [--data DIR] [--accelerate N] [--mosquitto] [--no-serial] [--window-ms MS] [--no-setpoint]
 *
 * Prints the endpoints, then live progress; Ctrl-C (read as a key on a terminal, see ctrl-c.ts),
 * SIGINT or SIGTERM stops every part in order (the chain last) and exits 0, keeping the data folder.
 */
import { parseArgs } from 'node:util';
import { LightNodeError } from '@lightnode/shared/errors';
import { readCtrlCAsKey } from './ctrl-c.js';
import { decimal } from './decimal.js';
import { startDemo, type Demo } from './flow.js';
import { MILESTONES, type DemoEvent, type DemoProgress, type ReceiptSummary } from './progress.js';

const USAGE = 'usage: pnpm demo [--data DIR] [--accelerate N] [--mosquitto] [--no-serial] [--window-ms MS] [--no-setpoint]';

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;
const out = (s: string): void => { process.stdout.write(`${s}\n`); };

function progressLine(p: DemoProgress, ms: number): string {
  const sp = p.setpoint.id
    ? `setpoint ${p.setpoint.activation ?? 'sent'}, EMS ${p.setpoint.emsMode} ${p.setpoint.emsSetpointW} W (now ${p.setpoint.emsAppliedW} W)${p.setpoint.activationStored ? ', activation stored' : ''}`
    : 'no setpoint';
  return `[${sec(ms).padStart(6)}] signed ${p.signed} · stored ${p.stored} · acked ${p.acked} (spooled ${p.spoolDepth}${p.quarantined ? `, quarantined ${p.quarantined}` : ''}) · anchored ${p.anchored} in ${p.anchors} tx · receipts verified ${p.receiptsVerified}${p.receiptsFailed ? ` (FAILED ${p.receiptsFailed})` : ''} · ${sp}`;
}

function receiptBlock(s: ReceiptSummary): string[] {
  const r = s.receipt;
  const vals = r.reading.values.slice(0, 4).map((v) => `${v.quantity} ${decimal(v.value, v.scale)} ${v.unit}`).join(', ');
  return [
    `  ┌ verified receipt (${sec(s.elapsedMs)} after start) ────────────────────────────`,
    `  │ reading   ${r.reading.pod} meter ${r.reading.meter} seq ${r.reading.seq} @ ${new Date(r.reading.timestamp).toISOString()} (${r.reading.source})`,
    `  │ values    ${vals}${r.reading.values.length > 4 ? ` … (${r.reading.values.length} in all)` : ''}`,
    `  │ signer    ${r.signer} (the PoD's registered Light Node)`,
    `  │ digest    ${r.digest}`,
    `  │ anchor    #${r.anchor.index}: root ${r.anchor.root}, ${r.anchor.leafCount} leaves, proof of ${r.proof.length} hashes`,
    `  │ chain     tx ${r.anchor.transaction} in block ${r.anchor.blockNumber} (chain ${r.chainId})`,
    `  │ checks    ${s.result.checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}`).join('  ')}`,
    '  └────────────────────────────────────────────────────────────────────────',
  ];
}

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        data: { type: 'string' }, accelerate: { type: 'string' }, mosquitto: { type: 'boolean' }, 'no-serial': { type: 'boolean' },
        'window-ms': { type: 'string' }, 'no-setpoint': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    process.stderr.write(`DEMO_USAGE: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (values.help) { out(USAGE); return 0; }
  // options are checked before anything starts: a typo is a usage line, not a stack trace
  const num = (k: string, lo: number, hi: number): number | undefined => {
    if (values[k] === undefined) return undefined;
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < lo || n > hi) throw new LightNodeError('DEMO_USAGE', `--${k}: expected a number ${lo}..${hi}, found ${String(values[k])}`);
    return n;
  };
  let accel: number | undefined, windowMs: number | undefined;
  try {
    accel = num('accelerate', 1, 3600);
    windowMs = num('window-ms', 100, 600_000);
  } catch (err) {
    process.stderr.write(`DEMO_USAGE: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }

  out('Light Node SDK demo — anvil + contracts, simulated lab, fleet registration, BAL, one Light Node per PoD');
  out('Ctrl-C stops everything and keeps the data folder.\n');
  let lastLineMs = -Infinity;
  let lastProgress: DemoProgress | null = null;
  let receipts = 0;
  let demo: Demo | null = null;
  const onEvent = (e: DemoEvent): void => {
    switch (e.kind) {
      case 'step': out(`[${sec(e.elapsedMs).padStart(6)}] ${e.message}`); break;
      case 'note': out(`  NOTE: ${e.message}`); break;
      case 'warning': out(`[${sec(e.elapsedMs).padStart(6)}] WARNING ${e.message}`); break;
      case 'milestone': out(`[${sec(e.elapsedMs).padStart(6)}] ✓ ${e.milestone}: ${e.detail}`); break;
      case 'receipt':
        receipts++;
        if (receipts === 1) for (const l of receiptBlock(e.summary)) out(l);
        break;
      case 'progress':
        lastProgress = e.progress;
        if (demo && e.elapsedMs - lastLineMs >= 5000) { lastLineMs = e.elapsedMs; out(`${progressLine(e.progress, e.elapsedMs)} · dso-tp received ${demo.sharing.received()} certified`); }
        break;
    }
  };

  let stopping = false;
  const finish = async (d: Demo): Promise<never> => {
    if (lastProgress) out(progressLine(lastProgress, Date.now() - startMs));
    const reached = d.reached();
    out(`milestones (s after start): ${MILESTONES.map((m) => `${m} ${reached[m] === undefined ? '—' : (reached[m]! / 1000).toFixed(1)}`).join(' · ')}`);
    await d.stop();
    out(`stopped. Data folder kept: ${d.dataDir}`);
    out(`  logs: ${d.dataDir}/logs/   BAL store: ${d.dataDir}/bal/bal.db   node spools: ${d.dataDir}/nodes/<pod>/spool.db`);
    process.exit(0);
  };
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    out(`\n${signal}: stopping…`);
    if (demo) await finish(demo); // else: still starting; main() stops it once startDemo returns
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  readCtrlCAsKey(() => { out('^C'); void stop('Ctrl-C'); });

  const startMs = Date.now();
  const started = startDemo({
    ...(values.data ? { dataDir: String(values.data) } : {}),
    ...(accel !== undefined ? { acceleration: accel } : {}),
    ...(windowMs !== undefined ? { anchorWindowMs: windowMs } : {}),
    broker: values.mosquitto ? 'mosquitto' : 'embedded',
    ...(values['no-serial'] ? { serial: false } : {}),
    ...(values['no-setpoint'] ? { setpoint: null } : {}),
    onEvent,
  });
  try {
    demo = await started;
  } catch (err) {
    // A signal during start kills anvil under the start sequence: report that, not a stack.
    if (stopping) { out('stopped during start.'); return 0; }
    throw err;
  }
  if (stopping) await finish(demo);
  const ep = demo.endpoints;
  out('\nEndpoints (all on free ports):');
  out(`  chain      ${ep.rpcUrl}  chain id ${ep.chainId}`);
  out(`  contracts  PodRegistry ${ep.podRegistry}  ReadingAnchor ${ep.readingAnchor}`);
  out(`  BAL API    ${ep.balApi}   (X-API-Key: ${ep.apiKey})`);
  out(`  MQTT       ${ep.mqtt}  (${ep.broker}, per-device credentials)`);
  for (const n of ep.nodes) out(`  node       ${n.pod}  device ${n.address}  ← ${n.reads}${n.opsUrl ? `  ops ${n.opsUrl}/metrics` : ''}`);
  out(`  lab        ${ep.labControl}/lab  (faults: curl -X PUT -H 'content-type: application/json' -d '{"timeout":true}' ${ep.labControl}/devices/sdm630/faults)`);
  out(`  data       ${demo.dataDir}`);
  out(`  try        curl -s -H 'X-API-Key: ${ep.apiKey}' '${ep.balApi}/api/readings?status=confirmed&limit=1'\n`);
  const sh = demo.sharing;
  if (demo.bal.endpoints.dashboard) out(`Dashboard    ${demo.bal.endpoints.dashboard}   (log in with a user below; the session lasts 1 h, a reload asks again)`);
  out('Data access (logins also in users.json, 0600; each user logs in to the dashboard, the API and MQTT with the same password):');
  for (const u of sh.users) out(`  ${u.role.padEnd(9)} ${u.username.padEnd(22)} password ${u.password}  wallet ${u.wallet}${u.pods.length ? `  owns ${u.pods.join(', ')}` : ''}`);
  out(`  shared     ${sh.topic} → dso-tp (subscription #${sh.accepted.id}, accepted in tx ${sh.accepted.transaction})`);
  const consumer = sh.users.find((u) => u.role === 'consumer')!;
  out(`  listen     mosquitto_sub -L '${ep.mqtt.replace('mqtt://', `mqtt://${consumer.username}:${consumer.password}@`)}/${sh.topic}'`);
  out(`  login      curl -s -H 'content-type: application/json' -d '{"username":"${consumer.username}","password":"${consumer.password}"}' ${ep.balApi}/api/login`);
  out(`  certified  curl -s -H 'Authorization: Bearer <token>' '${ep.balApi}/api/certification/${encodeURIComponent(sh.topic)}'\n`);
  return -1; // keep running until a signal
}

main().then((code) => { if (code >= 0) process.exit(code); }, (err: Error & { code?: unknown }) => {
  // the reason, not a stack trace; DEMO_DEBUG=1 adds the stack for a bug report
  const code = typeof err.code === 'string' && !err.message.startsWith(err.code) ? `${err.code}: ` : '';
  process.stderr.write(`demo failed: ${code}${err.message}\n${process.env.DEMO_DEBUG ? `${err.stack ?? ''}\n` : '(DEMO_DEBUG=1 prints the stack)\n'}`);
  process.exit(1);
});
