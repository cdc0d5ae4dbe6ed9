// Package boundaries of the whole workspace: no package.json exports a `"./*"` pattern, every
// export points at an existing file, and every `@lightnode/...` import in src, test, bench and
// tools is a declared export of a declared dependency (never the importer's own package).
// The checks are first shown to fail on bad input, so a passing run means something.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportsProblems, importProblem, lightnodeImports, type PackageJson } from '../../src/exports-check.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
// The `packages:` block of pnpm-workspace.yaml (its other lists name npm packages, not folders).
const packagesBlock = /^packages:\n((?:[ \t]+-.*\n)+)/m.exec(readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8'))?.[1] ?? '';
const dirs = [...packagesBlock.matchAll(/-\s+([\w-]+)/g)].map((m) => m[1]!);
const pkgs = new Map<string, { dir: string; json: PackageJson }>();
for (const dir of dirs) {
  const json = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as PackageJson;
  pkgs.set(json.name, { dir, json });
}
const byName = new Map([...pkgs].map(([name, p]) => [name, p.json]));

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|cjs|js)$/.test(name)) out.push(path);
  }
  return out;
}

test('the workspace list is read (guards against a parse that silently finds nothing)', () => {
  for (const d of ['shared', 'contracts', 'edge', 'cloud', 'hardware-sim', 'scripts', 'test-kit']) assert.ok(dirs.includes(d), d);
});

test('exportsProblems rejects a wildcard, a missing map and a pattern target', () => {
  assert.equal(exportsProblems({ name: 'p', exports: { './a': './src/a.ts' } }), []);
  assert.is(exportsProblems({ name: 'p', exports: { './*': './src/*.ts' } }).length, 2);
  assert.is(exportsProblems({ name: 'p', exports: { './tools/*': './tools/x.ts' } }).length, 1);
  assert.is(exportsProblems({ name: 'p' }).length, 1);
  assert.is(exportsProblems({ name: 'p', exports: './src/index.ts' }).length, 1);
});

test('lightnodeImports finds static, type, dynamic and re-export specifiers but not CLI arguments', () => {
  const src = [
    "import { a } from 'LN/shared/hex';",
    "import type { B } from 'LN/cloud/bal';",
    "export { c } from 'LN/edge/agent';",
    "const d = await import('LN/hardware-sim/lab');",
    "spawnSync('pnpm', ['--filter', 'LN/scripts', 'fleet']);",
    "import 'LN/contracts';",
  ].join('\n').replaceAll('LN/', '@lightnode/'); // spelled so the workspace scan below does not see them
  assert.equal(lightnodeImports(src), [
    { pkg: '@lightnode/shared', subpath: './hex', line: 1 },
    { pkg: '@lightnode/cloud', subpath: './bal', line: 2 },
    { pkg: '@lightnode/edge', subpath: './agent', line: 3 },
    { pkg: '@lightnode/hardware-sim', subpath: './lab', line: 4 },
    { pkg: '@lightnode/contracts', subpath: '.', line: 6 },
  ]);
});

test('importProblem rejects an undeclared entry, an undeclared dependency and a self-import', () => {
  const lib: PackageJson = { name: '@lightnode/lib', exports: { './pub': './src/pub.ts' } };
  const app: PackageJson = { name: '@lightnode/app', exports: {}, devDependencies: { '@lightnode/lib': 'workspace:*' } };
  const other: PackageJson = { name: '@lightnode/other', exports: {} };
  const all = new Map([[lib.name, lib], [app.name, app], [other.name, other]]);
  assert.is(importProblem(app, { pkg: '@lightnode/lib', subpath: './pub', line: 1 }, all), null);
  assert.match(importProblem(app, { pkg: '@lightnode/lib', subpath: './internal/x', line: 1 }, all) ?? '', 'not an export');
  assert.match(importProblem(other, { pkg: '@lightnode/lib', subpath: './pub', line: 1 }, all) ?? '', 'does not declare');
  assert.match(importProblem(lib, { pkg: '@lightnode/lib', subpath: './pub', line: 1 }, all) ?? '', 'relative path');
  assert.match(importProblem(app, { pkg: '@lightnode/nope', subpath: '.', line: 1 }, all) ?? '', 'no workspace package');
});

test('every package.json has an explicit exports map whose files exist', () => {
  const problems: string[] = [];
  for (const { dir, json } of pkgs.values()) {
    problems.push(...exportsProblems(json));
    for (const [key, target] of Object.entries((json.exports as Record<string, string>) ?? {})) {
      if (typeof target === 'string' && !existsSync(join(root, dir, target))) problems.push(`${json.name}: export ${key} -> ${target} does not exist`);
    }
  }
  assert.equal(problems, []);
});

test('every cross-package import is a declared export of a declared dependency', () => {
  const problems: string[] = [];
  let seen = 0;
  for (const { dir, json } of pkgs.values()) {
    for (const sub of ['src', 'test', 'bench', 'tools', 'vectors', 'bin']) {
      for (const file of sourceFiles(join(root, dir, sub))) {
        for (const imp of lightnodeImports(readFileSync(file, 'utf8'))) {
          seen++;
          const p = importProblem(json, imp, byName);
          if (p) problems.push(`${relative(root, file)}:${imp.line}: ${p}`);
        }
      }
    }
  }
  assert.ok(seen > 100, `found only ${seen} @lightnode imports: the scan is not looking where the code is`);
  assert.equal(problems, []);
});

test.run();
