/**
 * A bundle's manifest.json: what it is for (PoD, key mode, device address when known) and
 * the SHA-256 and mode of every file under rootfs/, so `fleet flash` refuses a bundle that was
 * changed or truncated after it was built.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetCode, FleetError } from './errors.js';

export type KeyMode = 'device' | 'cli';

export interface ManifestFile { path: string; mode: number; sha256: string; bytes: number }

export interface BundleManifest {
  v: 1;
  pod: string;
  keyMode: KeyMode;
  address: string | null;          // device address (key mode cli), null until the device makes one
  agentVersion: string;
  chainId: number;
  podRegistry: string;
  mqtt: { url: string; username: string };
  template: string;
  createdAt: string;
  files: ManifestFile[];           // paths relative to rootfs/
}

/** SHA-256 hex of bytes. */
export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Read a bundle's manifest and check every listed file's hash. Throws FLEET_BUNDLE_INVALID. */
export function readManifest(bundleDir: string, verifyFiles = true): BundleManifest {
  let m: BundleManifest;
  try { m = JSON.parse(readFileSync(join(bundleDir, 'manifest.json'), 'utf8')) as BundleManifest; } catch (err) {
    throw new FleetError(FleetCode.BUNDLE_INVALID, `${bundleDir}: no readable manifest.json (${(err as Error).message})`);
  }
  if (m.v !== 1 || typeof m.pod !== 'string' || !Array.isArray(m.files)) throw new FleetError(FleetCode.BUNDLE_INVALID, `${bundleDir}/manifest.json: not a v1 bundle manifest`);
  if (verifyFiles) {
    for (const f of m.files) {
      if (f.path.includes('..') || f.path.startsWith('/')) throw new FleetError(FleetCode.BUNDLE_INVALID, `${bundleDir}: manifest path ${f.path} escapes rootfs/`);
      let data: Buffer;
      try { data = readFileSync(join(bundleDir, 'rootfs', f.path)); } catch {
        throw new FleetError(FleetCode.BUNDLE_INVALID, `${bundleDir}: rootfs/${f.path} is missing`);
      }
      if (sha256(data) !== f.sha256) throw new FleetError(FleetCode.BUNDLE_INVALID, `${bundleDir}: rootfs/${f.path} does not match its manifest hash (changed after the bundle was built)`);
    }
  }
  return m;
}

/** `fleet enroll --bundle`: the bundle must be a device-key bundle for the same PoD. */
export function checkEnrollBundle(bundleDir: string, pod: string): void {
  const m = readManifest(bundleDir, false);
  if (m.pod !== pod) throw new FleetError(FleetCode.BUNDLE_INVALID, `bundle ${bundleDir} is for ${m.pod}, not ${pod}`);
  if (m.keyMode !== 'device') throw new FleetError(FleetCode.BUNDLE_INVALID, `bundle ${bundleDir} carries a CLI-made key (${m.address}); it was registered when built, nothing to enrol`);
}
