/**
 * Builds one Light Node image bundle for one PoD:
 *
 *   <dir>/manifest.json            PoD, key mode, device address, file hashes (bundle-manifest.ts)
 *   <dir>/install.sh               install or upgrade on a running Pi (as root; device-scripts.ts)
 *   <dir>/SHA256SUMS               the rootfs files' hashes, checked by install.sh
 *   <dir>/rootfs/...               the files, laid out as on the Pi (bundle-layout.ts)
 *   <dir>/secrets/keystore.password  key mode "cli" only: kept out of rootfs/ so it can travel separately
 *
 * Key modes: "cli" generates the device key here and writes it as an encrypted v3 keystore;
 * "device" ships no key — the Light Node makes one at first boot and shows its address.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Wallet, encryptKeystoreJson } from 'ethers';
import type { AgentBuild } from './agent-build.js';
import { CONFIG_PATHS, FIRST_BOOT, INSTALL_SH, SYSUSERS, TARGET, systemdUnit } from './bundle-layout.js';
import { sha256, type BundleManifest, type KeyMode, type ManifestFile } from './bundle-manifest.js';
import type { Deployment } from './context.js';
import { FleetCode, FleetError } from './errors.js';
import type { MqttCredentials } from './mqtt-credentials.js';
import { checkSiteTemplate } from './site-template-check.js';
import { randomBytes } from 'node:crypto';

/** Folder of the shipped site templates (scripts/templates). */
export const SITE_TEMPLATE_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** A site template: the part of an agent config that depends on the site (meters, EMS, limits). */
export interface SiteTemplate { name: string; config: Record<string, unknown> }

const RESERVED = ['pod', 'dataDir', 'keystore', 'chain'];

/** Load a site template by name (scripts/templates/<name>.json) or path. Throws FLEET_USAGE. */
export function loadSiteTemplate(nameOrPath: string): SiteTemplate {
  const path = existsSync(nameOrPath) ? nameOrPath : join(SITE_TEMPLATE_DIR, `${nameOrPath}.json`);
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (err) {
    const names = readdirSync(SITE_TEMPLATE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
    throw new FleetError(FleetCode.USAGE, `site template ${nameOrPath}: ${(err as Error).message.split('\n')[0]} (shipped: ${names.join(', ')})`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new FleetError(FleetCode.USAGE, `site template ${path}: expected a JSON object`);
  const { description: _d, ...config } = raw as Record<string, unknown>;
  for (const k of RESERVED) if (k in config) throw new FleetError(FleetCode.USAGE, `site template ${path}: "${k}" is set per bundle, remove it from the template`);
  checkSiteTemplate(path, config);
  return { name: nameOrPath, config };
}

/** True when scripts/templates/<name>.json exists (a CSV `site` column may name one). */
export function isSiteTemplate(name: string): boolean {
  return /^[A-Za-z0-9._-]+$/.test(name) && existsSync(join(SITE_TEMPLATE_DIR, `${name}.json`));
}

export interface BundleInput {
  pod: string;
  dir: string;
  keyMode: KeyMode;
  template: SiteTemplate;
  deployment: Pick<Deployment, 'chainId' | 'podRegistry' | 'rpcUrl'>;
  brokerUrl: string;
  caPem: string | null;
  credentials: MqttCredentials;
  agent: AgentBuild;
  /** scrypt cost of the keystore (the edge default is 2^15); lower only in tests. */
  scryptN: number;
  /** RPC URL the agent uses to refresh the DSO's setpoint signers; omitted when null. */
  agentRpcUrl: string | null;
}

export interface BundleResult { dir: string; manifest: BundleManifest; address: string | null }

/** Write one bundle; returns its manifest (with the device address in key mode cli). */
export async function buildBundle(b: BundleInput): Promise<BundleResult> {
  const files: ManifestFile[] = [];
  const root = join(b.dir, 'rootfs');
  const put = (rel: string, data: string | Buffer, mode: number) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, data, { mode });
    chmodSync(p, mode);
    files.push({ path: rel, mode, sha256: sha256(data), bytes: Buffer.byteLength(data) });
  };

  let address: string | null = null;
  if (b.keyMode === 'cli') {
    const wallet = Wallet.createRandom();
    address = wallet.address.toLowerCase();
    const password = randomBytes(32).toString('hex');
    const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, { scrypt: { N: b.scryptN } });
    put(TARGET.keystore, json, 0o600);
    mkdirSync(join(b.dir, 'secrets'), { recursive: true, mode: 0o700 });
    writeFileSync(join(b.dir, 'secrets', 'keystore.password'), password, { mode: 0o600 });
  }

  const tmplMqtt = (b.template.config.mqtt ?? {}) as Record<string, unknown>;
  const config = {
    ...b.template.config,
    pod: b.pod,
    dataDir: CONFIG_PATHS.dataDir,
    keystore: { path: CONFIG_PATHS.keystore, passwordFile: CONFIG_PATHS.keystorePassword, scryptN: b.scryptN },
    chain: { chainId: b.deployment.chainId, podRegistry: b.deployment.podRegistry, ...(b.agentRpcUrl ? { rpcUrl: b.agentRpcUrl } : {}) },
    mqtt: {
      ...tmplMqtt,
      url: b.brokerUrl,
      username: b.credentials.username,
      password: b.credentials.password,
      ...(b.caPem ? { tls: { ...((tmplMqtt.tls ?? {}) as object), caFile: CONFIG_PATHS.ca, rejectUnauthorized: true } } : {}),
    },
  };
  put(TARGET.config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
  if (b.caPem) put(TARGET.ca, b.caPem, 0o644);
  put(TARGET.agent, b.agent.code, 0o755);
  put(TARGET.agentPackage, `${JSON.stringify({ name: 'lightnode-agent', version: b.agent.version, private: true, bin: { lightnode: 'lightnode.cjs' }, dependencies: b.agent.runtimeDependencies }, null, 2)}\n`, 0o644);
  for (const t of readdirSync(b.agent.templatesDir).filter((f) => f.endsWith('.json')).sort()) {
    put(`${TARGET.templatesDir}/${t}`, readFileSync(join(b.agent.templatesDir, t)), 0o644);
  }
  put(TARGET.firstBoot, FIRST_BOOT, 0o755);
  put(TARGET.unit, systemdUnit(b.pod), 0o644);
  put(TARGET.sysusers, SYSUSERS, 0o644);

  writeFileSync(join(b.dir, 'install.sh'), INSTALL_SH, { mode: 0o755 });
  // the same hashes for install.sh on the device (`sha256sum -c`)
  writeFileSync(join(b.dir, 'SHA256SUMS'), files.map((f) => `${f.sha256}  ${f.path}\n`).join(''));
  const manifest: BundleManifest = {
    v: 1, pod: b.pod, keyMode: b.keyMode, address, agentVersion: b.agent.version,
    chainId: b.deployment.chainId, podRegistry: b.deployment.podRegistry,
    mqtt: { url: b.brokerUrl, username: b.credentials.username }, template: b.template.name,
    createdAt: new Date().toISOString(), files,
  };
  writeFileSync(join(b.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return { dir: b.dir, manifest, address };
}
