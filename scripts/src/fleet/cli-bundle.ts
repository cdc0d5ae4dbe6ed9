/** `fleet bundle` and `fleet flash` command handlers. */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentMeta, buildAgent, type AgentBuild } from './agent-build.js';
import { buildBundle, isSiteTemplate, loadSiteTemplate, type BundleResult, type SiteTemplate } from './bundle.js';
import { readManifest, type KeyMode } from './bundle-manifest.js';
import { parseScryptN } from './keys.js';
import type { CliIo, CliValues } from './cli.js';
import { openContext, readDeploymentFile, type GlobalOptions } from './context.js';
import { readPodsCsv, type PodRow } from './csv.js';
import { FleetCode, FleetError } from './errors.js';
import { jsonLine } from './json-out.js';
import { flashBundle } from './flash.js';
import { formatImportSummary, importPods, type ImportSummary } from './import-pods.js';
import { addBalAccount, makeCredentials, mosquittoAcl, mosquittoPasswdLine, passwdHash } from './mqtt-credentials.js';
import { makeProgress } from './progress.js';
import { validatePod } from './validate.js';
import { deviceOf } from './registry-ops.js';

function need(v: string | undefined, flag: string): string {
  if (!v) throw new FleetError(FleetCode.USAGE, `missing ${flag}`);
  return v;
}

/** A file named by an option, or FLEET_USAGE naming the option (never a stack trace). */
function readInput(path: string, flag: string): string {
  try { return readFileSync(path, 'utf8'); } catch (err) {
    throw new FleetError(FleetCode.USAGE, `${flag} ${path}: cannot read (${(err as Error).message})`);
  }
}

/** fleet bundle (--pod POD | --from pods.csv) --out DIR … */
export async function runBundleCommand(values: CliValues, g: GlobalOptions, io: CliIo, opts: { bundleRoot?: string } = {}): Promise<number> {
  const keyMode = (values['key-mode'] ?? 'device') as KeyMode;
  if (keyMode !== 'device' && keyMode !== 'cli') throw new FleetError(FleetCode.USAGE, `--key-mode: expected device or cli, found ${keyMode}`);
  const out = opts.bundleRoot ?? need(values.out, '--out');
  const brokerUrl = need(values.broker ?? io.env.FLEET_BROKER_URL, '--broker (the MQTT URL devices connect to)');
  if (!/^(mqtts?|wss?|tcp|ssl):\/\/.+/.test(brokerUrl)) throw new FleetError(FleetCode.USAGE, `--broker: expected mqtt(s)://host:port, found ${brokerUrl}`);
  const deployment = readDeploymentFile(g.deployment ?? io.env.FLEET_DEPLOYMENT ?? 'deployment.json');
  const caPem = values.ca ? readInput(values.ca, '--ca') : null;
  const defaultTemplate = loadSiteTemplate(values.template ?? 'residential-sdm120');
  const scryptN = parseScryptN(values['scrypt-n'], 1 << 15);
  const prefix = values['mqtt-user-prefix'] ?? ''; // the BAL's broker ACL expects username = PoD code

  let rows: PodRow[];
  let bundleDirOf: (pod: string) => string;
  if (values.from) {
    rows = readPodsCsv(values.from, { requireAddress: false });
    bundleDirOf = (pod) => join(out, pod);
  } else {
    rows = [{ pod: validatePod(need(values.pod, '--pod or --from'), '--pod'), address: null, site: null, line: 0 }];
    bundleDirOf = opts.bundleRoot ? (pod) => join(out, pod) : () => out;
  }
  const brokerDir = join(out, 'broker');

  const agent: AgentBuild = values.agent
    ? { code: readInput(values.agent, '--agent'), ...agentMeta(values.agent) }
    : await buildAgent();
  const templates = new Map<string, SiteTemplate>();
  const templateFor = (row: PodRow): SiteTemplate => {
    if (!row.site || !isSiteTemplate(row.site)) return defaultTemplate;
    if (!templates.has(row.site)) templates.set(row.site, loadSiteTemplate(row.site));
    return templates.get(row.site)!;
  };

  if (keyMode === 'cli') await refuseBoundPods(g, rows.filter((r) => !existsSync(join(bundleDirOf(r.pod), 'manifest.json'))).map((r) => r.pod));

  const results: BundleResult[] = [];
  let reused = 0;
  const progress = makeProgress(rows.length, 'bundle', { write: io.err, isTTY: io.errIsTTY ?? false });
  for (const row of rows) {
    const dir = bundleDirOf(row.pod);
    if (existsSync(join(dir, 'manifest.json'))) {
      const m = readManifest(dir, true);
      if (m.pod === row.pod && m.keyMode === keyMode) { results.push({ dir, manifest: m, address: m.address }); reused++; progress.update(results.length, `${row.pod} (kept)`); continue; }
      throw new FleetError(FleetCode.BUNDLE_INVALID, `${dir} already holds a ${m.keyMode}-key bundle for ${m.pod}; choose another --out`);
    }
    if (g.dryRun) { progress.update(results.length + 1, `${row.pod} (dry run)`); continue; }
    mkdirSync(dir, { recursive: true, mode: 0o700 }); // a bundle holds MQTT credentials (and, key mode cli, a keystore)
    const credentials = makeCredentials(`${prefix}${row.pod}`);
    const res = await buildBundle({ pod: row.pod, dir, keyMode, template: templateFor(row), deployment, brokerUrl, caPem, credentials, agent, scryptN, agentRpcUrl: values['agent-rpc'] ?? null });
    mkdirSync(brokerDir, { recursive: true, mode: 0o700 });
    const passwdLine = mosquittoPasswdLine(credentials);
    appendFileSync(join(brokerDir, 'mosquitto.passwd'), `${passwdLine}\n`, { mode: 0o600 });
    appendFileSync(join(brokerDir, 'mosquitto.acl'), `${mosquittoAcl(credentials.username, row.pod)}\n`, { mode: 0o600 });
    addBalAccount(join(brokerDir, 'bal-credentials.json'), credentials.username, passwdHash(passwdLine));
    results.push(res);
    progress.update(results.length, row.pod);
  }
  progress.finish();
  // With --json, stdout holds only the one JSON document; the human lines go to stderr.
  const say = values.json ? io.err : io.out;
  say(`${g.dryRun ? '[dry run] would build' : 'built'} ${rows.length - reused} bundle(s), kept ${reused} existing, key mode ${keyMode}, agent ${agent.version} (${(agent.code.length / 1024).toFixed(0)} KiB) → ${out}\n`);

  let registration: ImportSummary | null = null;
  if (keyMode === 'cli') {
    // Register the CLI-made keys (resumable: what the chain already binds to the same address is skipped).
    const toRegister: PodRow[] = results.map((r, i) => ({ pod: r.manifest.pod, address: r.address as `0x${string}`, site: null, line: i + 1 }));
    if (toRegister.length) {
      const ctx = await openContext(g, true);
      try {
        registration = await importPods(ctx, toRegister, { progress: (n) => makeProgress(n, 'register', { write: io.err, isTTY: io.errIsTTY ?? false }) });
        say(`${formatImportSummary(registration)}\n`);
      } finally { ctx.close(); }
    }
  } else {
    say('key mode device: each Light Node makes its key at first boot and shows its address; register it with `fleet enroll --pod <pod> --address <addr>`\n');
  }
  const ok = !registration || registration.conflicts.length === 0;
  if (values.json) {
    io.out(jsonLine({
      ok, keyMode, dryRun: g.dryRun, built: rows.length - reused, kept: reused, agentVersion: agent.version,
      bundles: results.map((r) => ({ pod: r.manifest.pod, dir: r.dir, keyMode: r.manifest.keyMode, address: r.address })),
      registration,
    }));
  }
  return ok ? 0 : 1;
}

/**
 * Key mode cli makes a new key per PoD; for a PoD already bound to a device that key could never
 * be registered. Refuse before building anything (use rotate, or key mode device + enroll --replace).
 */
async function refuseBoundPods(g: GlobalOptions, pods: string[]): Promise<void> {
  if (pods.length === 0) return;
  const ctx = await openContext(g, false);
  try {
    const bound: string[] = [];
    for (let i = 0; i < pods.length; i += 100) {
      const chunk = pods.slice(i, i + 100);
      const devices = await Promise.all(chunk.map((p) => deviceOf(ctx, p)));
      devices.forEach((d, j) => { if (d) bound.push(`${chunk[j]} (${d})`); });
    }
    if (bound.length) {
      throw new FleetError(FleetCode.POD_ALREADY_BOUND, `${bound.length} PoD(s) already bound to a device, no new key made: ${bound.slice(0, 10).join(', ')}${bound.length > 10 ? ', …' : ''}; rotate them or use --key-mode device with enroll --replace`, { pods: bound });
    }
  } finally { ctx.close(); }
}

/** fleet flash --bundle DIR --target ROOTFS [--password-file F] [--node-modules-from DIR] */
export async function runFlashCommand(values: CliValues, g: GlobalOptions, io: CliIo): Promise<number> {
  const res = flashBundle({
    bundleDir: need(values.bundle, '--bundle'),
    target: need(values.target, '--target'),
    ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
    ...(values['node-modules-from'] ? { nodeModulesFrom: values['node-modules-from'] } : {}),
    dryRun: g.dryRun ?? false,
  });
  if (values.json) io.out(jsonLine({ ok: true, pod: res.manifest.pod, installed: res.installed, unitEnabled: res.unitEnabled, dryRun: res.dryRun }));
  else io.out(`${res.dryRun ? '[dry run] would install' : 'installed'} ${res.installed.length} file(s) for ${res.manifest.pod} into ${values.target}; lightnode.service enabled (${res.unitEnabled})${res.manifest.keyMode === 'device' ? '; the device shows its address at first boot: fleet enroll --pod ' + res.manifest.pod + ' --address <addr>' : ''}\n`);
  return 0;
}
