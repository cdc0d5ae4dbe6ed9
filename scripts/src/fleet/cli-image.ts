/**
 * `fleet image --image STOCK.img[.xz] (--pod POD | --from pods.csv) --out DIR …`: the PoDs'
 * bundles (made here like `fleet bundle`, kept when they exist, or taken from --bundles), then
 * one image per PoD (image.ts). Everything that can fail is checked before an image is written:
 * the stock image is Raspberry Pi OS, the runtime and node match its CPU, both partitions have
 * room, every CLI-made key has its password and is the PoD's registered device on chain.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { RUNTIME_PACKAGES } from '@lightnode/edge/agent-bundle';
import { TARGET } from './bundle-layout.js';
import { readManifest, type BundleManifest } from './bundle-manifest.js';
import { runBundleCommand } from './cli-bundle.js';
import type { CliIo, CliValues } from './cli.js';
import { openContext, type GlobalOptions } from './context.js';
import { readPodsCsv, type PodRow } from './csv.js';
import { FleetCode, FleetError } from './errors.js';
import { bootPlan, checkSpace, fileSha256, inspectStock, materialise, rootPlan, verifyEntries, writeBoot, writeRoot, type ImageEntry, type ImageManifest, type StockInfo } from './image.js';
import { archLabel, checkArch, collectRuntime, type Runtime } from './image-runtime.js';
import { deviceOf } from './registry-ops.js';
import { validatePod } from './validate.js';

function need(v: string | undefined, flag: string): string {
  if (!v) throw new FleetError(FleetCode.USAGE, `missing ${flag}`);
  return v;
}

interface PodBundle { pod: string; dir: string | null; manifest: BundleManifest | null; password: Buffer | null }

/** Dirs of the root partition the plan may need (so existing ones are not recreated). */
const SYSTEM_DIRS = ['/opt', '/etc/systemd/system', '/etc/systemd/system/multi-user.target.wants', '/usr/lib/sysusers.d', '/usr/lib', '/usr', '/etc/systemd', '/etc'];

export async function runImageCommand(values: CliValues, g: GlobalOptions, io: CliIo): Promise<number> {
  const stockPath = need(values.image, '--image (a stock Raspberry Pi OS Lite .img or .img.xz)');
  if (!existsSync(stockPath) || !statSync(stockPath).isFile()) throw new FleetError(FleetCode.USAGE, `--image ${stockPath}: no such file`);
  const out = need(values.out, '--out (the folder for the images)');
  const runtimeDir = need(values['runtime-dir'], `--runtime-dir (a node_modules tree built for the image's CPU, or "npm" to install it at first boot)`);
  const nodeBinary = values.node ?? null;
  if (nodeBinary && !existsSync(nodeBinary)) throw new FleetError(FleetCode.USAGE, `--node ${nodeBinary}: no such file`);
  const rows: PodRow[] = values.from
    ? readPodsCsv(values.from, { requireAddress: false })
    : [{ pod: validatePod(need(values.pod, '--pod or --from'), '--pod'), address: null, site: null, line: 0 }];
  const dryRun = g.dryRun ?? false;
  if (!dryRun) mkdirSync(out, { recursive: true });
  const partials: string[] = [];
  const cleanup = () => { for (const p of partials) rmSync(p, { force: true, recursive: true }); };
  try {
    // 1. the stock image (decompressed once) and its CPU
    let stockFile = stockPath;
    if (stockPath.endsWith('.xz')) {
      const dir = dryRun ? mkdtempSync(join(tmpdir(), 'ln-stock-')) : out;
      stockFile = join(dir, '.stock.img.partial');
      partials.push(stockFile, ...(dryRun ? [dir] : []));
      materialise(stockPath, stockFile);
    }
    const stock = inspectStock(stockFile, SYSTEM_DIRS);

    // 2. runtime packages and node for that CPU
    let runtime: Runtime | null = null;
    if (runtimeDir !== 'npm') {
      if (!existsSync(join(runtimeDir, 'node_modules'))) throw new FleetError(FleetCode.IMAGE_RUNTIME_MISSING, `--runtime-dir ${runtimeDir}: no node_modules folder. There is no offline source of ${archLabel(stock.arch)} builds of ${RUNTIME_PACKAGES.join(', ')}: run npm install --omit=dev in a copy of a bundle's rootfs/opt/lightnode on a ${archLabel(stock.arch)} machine and pass that folder, or pass --runtime-dir npm to install them at first boot (the device then needs the npm registry)`);
      runtime = collectRuntime(runtimeDir, RUNTIME_PACKAGES, stock.arch);
    }
    checkArch(stock.arch, runtime, nodeBinary);
    if (!nodeBinary && !stock.hasNode) throw new FleetError(FleetCode.IMAGE_RUNTIME_MISSING, `${stockPath} has no /usr/bin/node (Raspberry Pi OS Lite ships none): pass --node FILE, a Node.js >= 20 binary for ${archLabel(stock.arch)}`);

    // 3. bundles
    let bundles: PodBundle[];
    if (values.bundles) {
      bundles = rows.map((r) => {
        const dir = !values.from && existsSync(join(values.bundles!, 'manifest.json')) ? values.bundles! : join(values.bundles!, r.pod);
        const manifest = readManifest(dir, true);
        if (manifest.pod !== r.pod) throw new FleetError(FleetCode.BUNDLE_INVALID, `bundle ${dir} is for ${manifest.pod}, not ${r.pod}`);
        return { pod: r.pod, dir, manifest, password: null };
      });
    } else {
      const bundleRoot = join(out, 'bundles');
      const code = await runBundleCommand({ ...values, json: false }, g, { ...io, out: (s) => io.err(s) }, { bundleRoot });
      if (code !== 0) return code;
      bundles = rows.map((r) => {
        const dir = join(bundleRoot, r.pod);
        return { pod: r.pod, dir: dryRun && !existsSync(join(dir, 'manifest.json')) ? null : dir, manifest: dryRun && !existsSync(join(dir, 'manifest.json')) ? null : readManifest(dir, true), password: null };
      });
    }
    // 4. every CLI-made key has its password, and is the PoD's device on chain
    for (const b of bundles) {
      if (b.manifest?.keyMode !== 'cli') continue;
      const file = values['password-file'] && !values.from ? values['password-file'] : join(b.dir!, 'secrets', 'keystore.password');
      if (!existsSync(file)) throw new FleetError(FleetCode.KEYSTORE_PASSWORD_MISSING, `${b.pod}: the bundle carries an encrypted device key but ${file} is missing (the image would boot without its key); pass --password-file`, { pod: b.pod });
      b.password = readFileSync(file);
    }
    const cli = bundles.filter((b) => b.manifest?.keyMode === 'cli');
    if (cli.length) {
      const ctx = await openContext(g, false);
      try {
        for (const b of cli) {
          const device = (await deviceOf(ctx, b.pod))?.toLowerCase() ?? null;
          if (!device) throw new FleetError(FleetCode.POD_NOT_REGISTERED, `${b.pod} has no registered device (revoked, or its bundle's key ${b.manifest!.address} was never registered): fleet bundle --key-mode cli registers it, fleet register binds it`, { pod: b.pod });
          if (device !== b.manifest!.address) throw new FleetError(FleetCode.POD_ALREADY_BOUND, `${b.pod} is bound to ${device}, not to its bundle's key ${b.manifest!.address}: an image with this key would be rejected`, { pod: b.pod, device });
        }
      } finally { ctx.close(); }
    }

    // 5. the plan: the root part (the same for every PoD) and each PoD's boot part
    const ref = bundles.find((b) => b.manifest);
    if (!ref) {
      io.out(`[dry run] would build ${rows.length} bundle(s) and write ${rows.length} image(s) (${archLabel(stock.arch)}) into ${out}\n`);
      return 0;
    }
    const root = rootPlan({ bundleDir: ref.dir!, manifest: ref.manifest!, runtime, nodeBinary });
    const agentOf = (m: BundleManifest) => m.files.find((f) => f.path === TARGET.agent)?.sha256;
    const odd = bundles.filter((b) => b.manifest && agentOf(b.manifest) !== agentOf(ref.manifest!));
    if (odd.length) throw new FleetError(FleetCode.BUNDLE_INVALID, `bundles carry different agents (${odd.map((b) => b.pod).slice(0, 5).join(', ')} differ from ${ref.pod}): image them separately`);
    const boots = new Map(bundles.filter((b) => b.manifest).map((b) => [b.pod, bootPlan(b.dir!, b.manifest!, b.password)]));
    checkSpace(stock, root, [...boots.values()].reduce((a, b) => ((b.reduce((n, s) => n + (s.entry.bytes ?? 0), 0) > a.reduce((n, s) => n + (s.entry.bytes ?? 0), 0)) ? b : a)));

    if (dryRun) {
      const lines = [`[dry run] ${archLabel(stock.arch)} image, root partition (every PoD):`, ...root.map((s) => `  root ${s.entry.path}${s.entry.mode !== null ? ` ${s.entry.mode.toString(8).padStart(4, '0')} ${s.entry.uid}:${s.entry.gid}` : ''}${s.entry.bytes !== undefined ? ` ${s.entry.bytes} B` : ''}`)];
      for (const [pod, plan] of boots) lines.push(`boot partition of ${join(out, `${pod}.img`)}:`, ...plan.map((s) => `  boot ${s.entry.path} ${s.entry.bytes} B`));
      if (values.json) io.out(`${JSON.stringify({ ok: true, dryRun: true, arch: archLabel(stock.arch), root: root.map((s) => s.entry), boot: Object.fromEntries([...boots].map(([p, plan]) => [p, plan.map((s) => s.entry)])) })}\n`);
      else io.out(`${lines.join('\n')}\n`);
      return 0;
    }

    // 6. write: the root part once into a base copy, then per PoD a copy with its boot part
    const stockSha = await fileSha256(stockFile);
    const base = join(out, '.base.img.partial');
    partials.push(base);
    if (stockFile !== stockPath) renameSync(stockFile, base); else copyFileSync(stockPath, base);
    const rootEntries = writeRoot(base, stock, root);
    const results: { pod: string; image: string; sha256: string; kept: boolean }[] = [];
    for (const b of bundles) {
      const img = join(out, `${b.pod}.img`);
      const manifestPath = `${img}.json`;
      if (existsSync(img) && existsSync(manifestPath)) {
        results.push({ pod: b.pod, image: img, sha256: (JSON.parse(readFileSync(manifestPath, 'utf8')) as ImageManifest).image.sha256, kept: true });
        continue;
      }
      const tmp = join(out, `.${b.pod}.img.partial`);
      partials.push(tmp, `${manifestPath}.partial`);
      copyFileSync(base, tmp);
      const entries: ImageEntry[] = [...rootEntries, ...writeBoot(tmp, stock, boots.get(b.pod)!)];
      verifyEntries(tmp, { boot: stock.boot, root: stock.root }, entries);
      const imageSha = await fileSha256(tmp);
      const m: ImageManifest = {
        v: 1, pod: b.pod, keyMode: b.manifest!.keyMode, address: b.manifest!.address, agentVersion: b.manifest!.agentVersion, arch: archLabel(stock.arch),
        stock: { file: basename(stockPath), sha256: stockSha }, image: { file: basename(img), sha256: imageSha, bytes: statSync(tmp).size },
        partitions: { boot: stock.boot, root: stock.root }, createdAt: new Date().toISOString(), entries,
      };
      writeFileSync(`${manifestPath}.partial`, `${JSON.stringify(m, null, 2)}\n`);
      renameSync(tmp, img);
      renameSync(`${manifestPath}.partial`, manifestPath);
      results.push({ pod: b.pod, image: img, sha256: imageSha, kept: false });
    }
    const made = results.filter((r) => !r.kept).length;
    if (values.json) io.out(`${JSON.stringify({ ok: true, arch: archLabel(stock.arch), images: results })}\n`);
    else io.out(`wrote ${made} image(s), kept ${results.length - made} existing (${archLabel(stock.arch)}, ${rootEntries.length} root entries each) → ${out}\n${results.map((r) => `  ${r.image}  sha256 ${r.sha256}`).join('\n')}\n`);
    return 0;
  } finally {
    cleanup();
  }
}
