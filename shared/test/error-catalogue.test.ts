// The error-code catalogues (one `src/error-codes.ts` per package) against the code that uses
// them: every code literal in */src is listed in the catalogue that owns its prefix, no listed
// code is unused, no `src/` throws a plain Error, and the README error tables match.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LightNodeError, type ErrorCode } from '../src/errors.js';
import { SHARED_ERRORS } from '../src/error-codes.js';
import { EDGE_ERRORS } from '../../edge/src/error-codes.js';
import { BAL_ERRORS } from '../../cloud/src/error-codes.js';
import { SIM_ERRORS } from '../../hardware-sim/src/error-codes.js';
import { SCRIPTS_ERRORS } from '../../scripts/src/error-codes.js';
import { CONTRACTS_ERRORS } from '../../contracts/src/error-codes.js';
import { envFields } from '../src/config-env.js';
import { errorCodeTable, readmeErrorTable } from '../src/error-table.js';
import { EDGE_CONFIG } from '../../edge/src/config-schema.js';
import { BAL_CONFIG } from '../../cloud/src/config-schema.js';
import { LAB_CONFIG } from '../../hardware-sim/src/lab-config.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Catalogue { pkg: string; prefixes: string[]; codes: Record<string, string>; readme: string; generated: boolean }

/**
 * Who owns which prefix. `generated`: the package README carries the full table between
 * `<!-- error-codes:begin -->` and `<!-- error-codes:end -->` (the test prints it when it drifts);
 * otherwise a hand-written table (HAND_TABLES below) names the codes.
 */
const CATALOGUES: Catalogue[] = [
  { pkg: 'shared', prefixes: ['PROTO_', 'CHAIN2_', 'C37_', 'CIM_', 'CONFIG_'], codes: SHARED_ERRORS, readme: 'shared/README.md', generated: false },
  { pkg: 'edge', prefixes: ['EDGE_'], codes: EDGE_ERRORS, readme: 'edge/README.md', generated: true },
  { pkg: 'cloud', prefixes: ['BAL_'], codes: BAL_ERRORS, readme: 'cloud/README.md', generated: true },
  { pkg: 'hardware-sim', prefixes: ['SIM_'], codes: SIM_ERRORS, readme: 'hardware-sim/README.md', generated: true },
  { pkg: 'scripts', prefixes: ['FLEET_', 'DEMO_', 'VERIFY_'], codes: SCRIPTS_ERRORS, readme: 'scripts/README.md', generated: false },
  { pkg: 'contracts', prefixes: ['CONTRACTS_'], codes: CONTRACTS_ERRORS, readme: 'contracts/README.md', generated: true },
];

/**
 * Quoted words with a code prefix that are not error codes: the config schemas' environment
 * variables (derived, so a new env field never reads as a stray code) and a Solidity role.
 */
const NOT_ERROR_CODES = new Set([
  ...[EDGE_CONFIG, BAL_CONFIG, LAB_CONFIG].flatMap((def) => envFields(def.schema, def.envPrefix).map((f) => f.name)),
  'BAL_ROLE',
]);

/**
 * Plain `Error`s waiting to be converted, file → count (empty: every one in src/ is coded).
 * The test fails once an entry is stale, so the list can only shrink.
 */
const PENDING_PLAIN_ERRORS: Record<string, number> = {};

/**
 * Plain `Error`s kept on purpose. The receipt verifier must run without our shared code
 * (scripts/README.md "independent verifier"), so it cannot import LightNodeError; its CLI maps
 * failures to `VERIFY_` codes itself.
 */
const DELIBERATE_PLAIN_ERRORS: Record<string, number> = {
  'scripts/src/verify/verify-receipt.ts': 1,
};

const PACKAGES = ['shared', 'contracts', 'edge', 'cloud', 'hardware-sim', 'scripts'];
const ALL_PREFIXES = CATALOGUES.flatMap((c) => c.prefixes);
// A whole quoted word with a known prefix, ending in a letter or digit ('EDGE_SUNSPEC_' is a prefix test, not a code).
const LITERAL_RE = new RegExp(`(['"\`])((?:${ALL_PREFIXES.join('|')})[A-Z0-9_]*[A-Z0-9])\\1`, 'g');
const PLAIN_ERROR_RE = /(?:\bnew\s+|\bthrow\s+)Error\s*\(/g;

function walk(dir: string, keep: (name: string) => boolean): string[] {
  let out: string[] = [];
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(walk(path, keep));
    else if (keep(name)) out.push(path);
  }
  return out;
}

const rel = (path: string): string => relative(ROOT, path).split('\\').join('/');
const srcFiles = PACKAGES.flatMap((p) => walk(join(ROOT, p, 'src'), (n) => n.endsWith('.ts')))
  .map((path) => ({ path: rel(path), text: readFileSync(path, 'utf8') }));
const isCatalogueFile = (path: string): boolean => path.endsWith('/src/error-codes.ts');
const owner = (code: string): Catalogue | undefined => CATALOGUES.find((c) => c.prefixes.some((p) => code.startsWith(p)));

/** Every quoted code-like literal of the sources, with where it was found. */
function usedLiterals(): Map<string, string[]> {
  const used = new Map<string, string[]>();
  for (const f of srcFiles) {
    if (isCatalogueFile(f.path)) continue;
    for (const m of f.text.matchAll(LITERAL_RE)) {
      const code = m[2]!;
      if (NOT_ERROR_CODES.has(code)) continue;
      used.set(code, [...(used.get(code) ?? []), f.path]);
    }
  }
  return used;
}


test('catalogues: codes are UPPER_SNAKE with their package prefix, one meaning line each, no code twice', () => {
  const seen = new Map<string, string>();
  for (const c of CATALOGUES) {
    for (const [code, meaning] of Object.entries(c.codes)) {
      assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/, `${c.pkg}: ${code}`);
      assert.ok(c.prefixes.some((p) => code.startsWith(p)), `${c.pkg}: ${code} lacks one of the prefixes ${c.prefixes.join(', ')}`);
      assert.ok(typeof meaning === 'string' && meaning.trim().length > 0 && !meaning.includes('\n'), `${c.pkg}: ${code} needs a one-line meaning`);
      assert.not.ok(seen.has(code), `${code} is in ${seen.get(code)} and ${c.pkg}`);
      seen.set(code, c.pkg);
    }
  }
});

test('every code literal in */src is in the catalogue that owns its prefix', () => {
  const unknown: string[] = [];
  for (const [code, files] of usedLiterals()) {
    const c = owner(code);
    if (!c || !(code in c.codes)) unknown.push(`${code} (${[...new Set(files)].join(', ')}) is not in ${c ? `${c.pkg}/src/error-codes.ts` : 'any catalogue'}`);
  }
  assert.equal(unknown, [], unknown.join('\n'));
});

test('no catalogue entry is unused', () => {
  const used = usedLiterals();
  const unused = CATALOGUES.flatMap((c) => Object.keys(c.codes).filter((code) => !used.has(code)).map((code) => `${c.pkg}: ${code}`));
  assert.equal(unused, [], `remove or use: ${unused.join(', ')}`);
});

test('no plain Error in */src (LightNodeError with a catalogue code instead)', () => {
  const problems: string[] = [];
  const found = new Map<string, number>();
  for (const f of srcFiles) {
    const n = [...f.text.matchAll(PLAIN_ERROR_RE)].length;
    if (n > 0) found.set(f.path, n);
  }
  for (const [path, n] of found) {
    const allowed = PENDING_PLAIN_ERRORS[path] ?? DELIBERATE_PLAIN_ERRORS[path] ?? 0;
    if (n > allowed) problems.push(`${path}: ${n} plain Error(s)${allowed ? `, ${allowed} allowed` : ''}`);
  }
  for (const [path, n] of Object.entries(PENDING_PLAIN_ERRORS)) {
    if ((found.get(path) ?? 0) < n) problems.push(`PENDING_PLAIN_ERRORS is stale for ${path}: lower or remove its entry`);
  }
  assert.equal(problems, [], problems.join('\n'));
});

test('the scan sees what it should (it can fail)', () => {
  LITERAL_RE.lastIndex = 0;
  const sample = "throw new LightNodeError('EDGE_MODBUS_TIMEUOT', 'x'); s.startsWith('EDGE_SUNSPEC_'); const e = new Error('x');";
  assert.equal([...sample.matchAll(LITERAL_RE)].map((m) => m[2]), ['EDGE_MODBUS_TIMEUOT']);
  assert.is([...sample.matchAll(PLAIN_ERROR_RE)].length, 1);
  assert.not.ok('EDGE_MODBUS_TIMEUOT' in EDGE_ERRORS);
  assert.ok(srcFiles.length > 100, 'the source walk found the packages');
});

test('ErrorCode is the union of the catalogues, not string (checked by the typecheck)', () => {
  const ok: ErrorCode[] = ['PROTO_HEX_INVALID', 'EDGE_MODBUS_TIMEOUT', 'BAL_USAGE', 'SIM_INTERNAL', 'FLEET_USAGE', 'CONTRACTS_COMPILE_FAILED'];
  // @ts-expect-error a misspelt code must not typecheck (fails `pnpm typecheck` if ErrorCode widens to string)
  const typo = new LightNodeError('EDGE_MODBUS_TIMEUOT', 'x');
  assert.is(ok.length, 6);
  assert.is(typo.code, 'EDGE_MODBUS_TIMEUOT');
});

/** Code-like words of a Markdown text (`_SUFFIX` abbreviations and env prefixes like `BAL_CONFIG__` aside). */
function readmeCodes(text: string): string[] {
  const re = new RegExp(`(?<![A-Za-z0-9_])((?:${ALL_PREFIXES.join('|')})[A-Z0-9_]*[A-Z0-9])(?![A-Za-z0-9_])`, 'g');
  return [...text.matchAll(re)].map((m) => m[1]!).filter((w) => !NOT_ERROR_CODES.has(w) && !/__/.test(w));
}

/** The text under a Markdown heading, up to the next heading of the same or a higher level. */
function section(file: string, heading: string): string {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith('#') && l.includes(heading));
  assert.ok(at >= 0, `${file}: no heading "${heading}"`);
  const level = /^#+/.exec(lines[at]!)![0].length;
  const next = lines.findIndex((l, i) => i > at && /^#+ /.test(l) && /^#+/.exec(l)![0].length <= level);
  return lines.slice(at + 1, next < 0 ? undefined : next).join('\n');
}

/** Hand-written error tables: every code they name is catalogued; `mustName` prefixes are complete. */
const HAND_TABLES = [
  { file: 'shared/README.md', heading: 'Error codes thrown by this package', mustName: ['PROTO_', 'CHAIN2_', 'C37_', 'CIM_', 'CONFIG_'] },
  { file: 'scripts/README.md', heading: 'Error codes (stderr', mustName: ['FLEET_'] },
  { file: 'edge/src/meters/README.md', heading: 'Reason codes', mustName: [] },
];

test('hand-written README error tables name only catalogued codes, and the package tables name them all', () => {
  for (const t of HAND_TABLES) {
    const named = readmeCodes(section(t.file, t.heading));
    const unknown = named.filter((code) => !(code in (owner(code)?.codes ?? {})));
    assert.equal(unknown, [], `${t.file} "${t.heading}" names codes no catalogue has: ${unknown.join(', ')}`);
    const missing = CATALOGUES.flatMap((c) => Object.keys(c.codes)).filter((code) => t.mustName.some((p) => code.startsWith(p)) && !named.includes(code));
    assert.equal(missing, [], `${t.file} "${t.heading}" does not name: ${missing.join(', ')}`);
  }
});

test('generated README error tables match the catalogues', () => {
  for (const c of CATALOGUES.filter((x) => x.generated)) {
    const text = readFileSync(join(ROOT, c.readme), 'utf8');
    const table = readmeErrorTable(text);
    assert.ok(table !== undefined, `${c.readme}: no <!-- error-codes:begin --> … <!-- error-codes:end --> block`);
    const expected = errorCodeTable(c.codes);
    assert.is(table, expected, `${c.readme}: error-code table drifted from ${c.pkg}/src/error-codes.ts (fix: node --import tsx scripts/src/readme-tables.ts)`);
  }
});

test.run();
