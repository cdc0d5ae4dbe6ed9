// The solc-js build: skips when inputs are unchanged, recompiles on change, fails loudly on errors.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildArtifacts } from '../src/build.js';

const dir = mkdtempSync(join(tmpdir(), 'ln-build-'));
const solidityDir = join(dir, 'solidity');
const outDir = join(dir, 'artifacts');
cpSync(fileURLToPath(new URL('../solidity/', import.meta.url)), solidityDir, { recursive: true });

test.after(() => rmSync(dir, { recursive: true, force: true }));

test('compiles into artifacts, then skips while sources are unchanged', () => {
  const first = buildArtifacts({ solidityDir, outDir, quiet: true });
  assert.ok(first.compiled);
  for (const name of ['PodRegistry', 'ReadingAnchor']) {
    const a = JSON.parse(readFileSync(join(outDir, `${name}.json`), 'utf8')) as { abi: unknown[]; bytecode: string; deployedBytecode: string };
    assert.ok(a.abi.length > 10, `${name} abi`);
    assert.match(a.bytecode, /^0x[0-9a-f]+$/);
    assert.match(a.deployedBytecode, /^0x[0-9a-f]+$/);
  }
  assert.not.ok(existsSync(join(outDir, 'ReadingTypes.json')), 'libraries get no artifact');
  assert.not.ok(buildArtifacts({ solidityDir, outDir, quiet: true }).compiled, 'second run skipped');
});

test('a compile error throws with the compiler message and keeps the old artifacts', () => {
  const file = join(solidityDir, 'ReadingTypes.sol');
  const good = readFileSync(file, 'utf8');
  const before = readFileSync(join(outDir, 'PodRegistry.json'), 'utf8');
  writeFileSync(file, `${good}\nthis is not solidity\n`);
  assert.throws(() => buildArtifacts({ solidityDir, outDir, quiet: true }), /compilation FAILED[\s\S]*ParserError/);
  assert.is(readFileSync(join(outDir, 'PodRegistry.json'), 'utf8'), before);
  writeFileSync(file, good);
  assert.not.ok(buildArtifacts({ solidityDir, outDir, quiet: true }).compiled, 'back to the built sources: skipped');
});

test.run();
