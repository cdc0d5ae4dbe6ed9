// Compiles contracts/solidity/*.sol with solc-js (npm `solc`, pinned) into
// contracts/artifacts/<Name>.json = { contractName, abi, bytecode, deployedBytecode }.
// Skips when the inputs (sources, compiler version, settings, OpenZeppelin version) are unchanged,
// recorded as a hash in artifacts/.build-hash. Exits non-zero on any compiler error.
// Usage: pnpm --filter @lightnode/contracts build [--force]
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { LightNodeError } from '@lightnode/shared/errors';

const pkgDir = fileURLToPath(new URL('..', import.meta.url));
const SOLIDITY_DIR = join(pkgDir, 'solidity');
const OUT_DIR = join(pkgDir, 'artifacts');
const require = createRequire(join(pkgDir, 'package.json'));
/** The contracts that get an artifact (one per file of the same name). */
const CONTRACTS = ['PodRegistry', 'ReadingAnchor', 'SubscriptionRegistry', 'DataServerRegistry'] as const;

/** Compiler settings; part of the build hash. evmVersion pinned so Besu/anvil agree on opcodes. */
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
};

interface SolcError { severity: 'error' | 'warning' | 'info'; formattedMessage: string }
interface SolcOutput {
  errors?: SolcError[];
  contracts?: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>>;
}

/** Resolves an import (`@openzeppelin/...` from node_modules, anything else from contracts/). */
function findImport(path: string): { contents: string } | { error: string } {
  try {
    const file = path.startsWith('@') ? require.resolve(path) : join(pkgDir, path);
    return { contents: readFileSync(file, 'utf8') };
  } catch (err) {
    return { error: `cannot resolve import ${path}: ${(err as Error).message}` };
  }
}

/** Write-then-rename, so a concurrent build (two test files at once) never exposes a half-written file. */
function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
  return pkg.version;
}

/** solc-js, loaded only when compiling (its WebAssembly compiler takes a second or more to load). */
function loadSolc(): { version(): string; compile(input: string, callbacks: { import: typeof findImport }): string } {
  return require('solc') as ReturnType<typeof loadSolc>;
}

/** Result of buildArtifacts. */
export interface BuildResult { compiled: boolean; ms: number }

/** Options of buildArtifacts; the directories exist for tests (defaults: contracts/solidity, contracts/artifacts). */
export interface BuildOptions { force?: boolean; quiet?: boolean; solidityDir?: string; outDir?: string }

/**
 * Compiles the contracts unless the artifacts match the inputs' hash; throws on compiler errors
 * (every error message included). `force` recompiles anyway.
 */
export function buildArtifacts(opts: BuildOptions = {}): BuildResult {
  const solDir = opts.solidityDir ?? SOLIDITY_DIR;
  const outDir = opts.outDir ?? OUT_DIR;
  const hashFile = join(outDir, '.build-hash');
  const log = opts.quiet ? () => {} : (m: string) => console.log(m);
  const files = readdirSync(solDir).filter((f) => f.endsWith('.sol')).sort();
  const sources: Record<string, { content: string }> = {};
  for (const f of files) sources[`solidity/${f}`] = { content: readFileSync(join(solDir, f), 'utf8') };

  const hash = createHash('sha256')
    .update(JSON.stringify({ solc: packageVersion('solc'), oz: packageVersion('@openzeppelin/contracts'), settings, sources }))
    .digest('hex');
  const expected = CONTRACTS.map((n) => join(outDir, `${n}.json`));
  if (!opts.force && existsSync(hashFile) && readFileSync(hashFile, 'utf8').trim() === hash && expected.every(existsSync)) {
    log(`contracts: artifacts up to date (${files.length} sources, solc ${packageVersion('solc')})`);
    return { compiled: false, ms: 0 };
  }

  const started = Date.now();
  const input = { language: 'Solidity', sources, settings };
  const solc = loadSolc();
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  for (const w of (output.errors ?? []).filter((e) => e.severity === 'warning')) console.warn(w.formattedMessage);
  if (errors.length > 0) {
    throw new LightNodeError('CONTRACTS_COMPILE_FAILED', `contracts: compilation FAILED with ${errors.length} error(s)\n${errors.map((e) => e.formattedMessage).join('\n')}`);
  }

  mkdirSync(outDir, { recursive: true });
  for (const name of CONTRACTS) {
    const c = output.contracts?.[`solidity/${name}.sol`]?.[name];
    if (!c || c.evm.bytecode.object.length === 0) throw new LightNodeError('CONTRACTS_COMPILE_FAILED', `contracts: no bytecode for ${name} in solidity/${name}.sol`);
    const artifact = {
      contractName: name,
      abi: c.abi,
      bytecode: `0x${c.evm.bytecode.object}`,
      deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
    };
    writeAtomic(join(outDir, `${name}.json`), `${JSON.stringify(artifact, null, 2)}\n`);
  }
  writeAtomic(hashFile, `${hash}\n`);
  const ms = Date.now() - started;
  log(`contracts: compiled ${files.length} sources into ${CONTRACTS.length} artifacts in ${ms} ms (solc ${solc.version()})`);
  return { compiled: true, ms };
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  try {
    buildArtifacts({ force: process.argv.includes('--force') });
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
