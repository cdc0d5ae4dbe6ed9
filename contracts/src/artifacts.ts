// Loads the ABI + bytecode artifacts that `pnpm --filter @lightnode/contracts build` writes to
// contracts/artifacts/<Name>.json.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LightNodeError } from '@lightnode/shared/errors';

/** The deployable contracts of this package. */
export type ContractName = 'PodRegistry' | 'ReadingAnchor' | 'SubscriptionRegistry' | 'DataServerRegistry';

/** One compiled contract. `abi` is the solc JSON ABI (usable by ethers' Interface/Contract). */
export interface Artifact {
  contractName: ContractName;
  abi: readonly Record<string, unknown>[];
  bytecode: `0x${string}`;
  deployedBytecode: `0x${string}`;
}

const cache = new Map<ContractName, Artifact>();

/** Directory holding the artifact JSON files. */
export const ARTIFACTS_DIR = fileURLToPath(new URL('../artifacts/', import.meta.url));

/** Reads (once per process) the compiled artifact of `name`; throws with the build command if missing. */
export function loadArtifact(name: ContractName): Artifact {
  const hit = cache.get(name);
  if (hit) return hit;
  const path = `${ARTIFACTS_DIR}${name}.json`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new LightNodeError('CONTRACTS_ARTIFACT_MISSING', `contract artifact ${path} not found: run \`pnpm --filter @lightnode/contracts build\``);
  }
  const artifact = JSON.parse(text) as Artifact;
  if (!Array.isArray(artifact.abi) || !/^0x[0-9a-f]+$/.test(artifact.bytecode)) {
    throw new LightNodeError('CONTRACTS_ARTIFACT_INVALID', `contract artifact ${path} is malformed: rebuild with \`pnpm --filter @lightnode/contracts build --force\``);
  }
  cache.set(name, artifact);
  return artifact;
}
