// DESIGN §2: shared is pure code — no sockets, files, clocks or randomness, and no ethers (the
// edge imports shared and must stay ethers-free). This test reads src/ and fails on a violation.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import ts from 'typescript';

const dir = new URL('../src/', import.meta.url);
// Recursive: codec folders such as src/c37118/ are held to the same rules.
const files = (readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => f.split('\\').join('/'));

test('src/ imports only relative modules and @noble/*', () => {
  assert.ok(files.length > 10);
  assert.ok(files.some((f) => f.startsWith('c37118/')) && files.some((f) => f.startsWith('cim/')), 'the walk reaches sub-folders');
  for (const f of files) if (f.includes('/')) for (const m of readFileSync(new URL(f, dir), 'utf8').matchAll(/from\s+'(\.\.\/[^']+)'/g)) assert.not.match(m[1]!, /^\.\.\/\.\./, `${f} leaves src/: ${m[1]}`);
  for (const f of files) {
    const text = readFileSync(new URL(f, dir), 'utf8');
    for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+'([^']+)'/g)) {
      const spec = m[1]!;
      const relative = spec.startsWith('./') || (spec.startsWith('../') && f.includes('/') && !spec.startsWith('../../'));
      assert.ok(relative || spec.startsWith('@noble/'), `${f} imports ${spec}`);
      if (relative) assert.ok(spec.endsWith('.js'), `${f}: relative import without .js: ${spec}`);
    }
    assert.not.match(text, /\bimport\(/, `${f} has a dynamic import`);
  }
});

test('src/ reads no clock, randomness, process or timers', () => {
  for (const f of files) {
    const code = readFileSync(new URL(f, dir), 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '');
    // `new Date(ms)` only formats a given time; `new Date()` / `Date()` read the clock.
    for (const banned of [/Date\.now/, /new Date\(\s*\)/, /(?<![\w.]|new )Date\(/, /Math\.random/, /\bprocess\./, /performance\.now/, /require\(/]) {
      assert.not.match(code, banned, `${f} uses ${banned}`);
    }
  }
});

// Timers by syntax, not by text: a `Clock` may declare and call a member named `setTimeout`
// (`clock.setTimeout(...)`, `host.setTimeout`); only the global timer functions are banned.
const TIMERS = new Set(['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask']);
function isMemberName(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p)) return p.name === id && !/^(globalThis|global|window|self)$/.test(p.expression.getText());
  return (ts.isMethodSignature(p) || ts.isMethodDeclaration(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isPropertyAssignment(p)) && p.name === id;
}

test('src/ uses no global timer (members of an injected clock are fine)', () => {
  for (const f of files) {
    const sf = ts.createSourceFile(f, readFileSync(new URL(f, dir), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && TIMERS.has(n.text)) assert.ok(isMemberName(n), `${f} uses the global ${n.text}`);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
});

test('the timer rule catches a global timer and spares clock members', () => {
  const uses = (code: string): string[] => {
    const out: string[] = [];
    const visit = (n: ts.Node): void => {
      if (ts.isIdentifier(n) && TIMERS.has(n.text) && !isMemberName(n)) out.push(n.text);
      ts.forEachChild(n, visit);
    };
    visit(ts.createSourceFile('x.ts', code, ts.ScriptTarget.Latest, true));
    return out;
  };
  assert.equal(uses('const t = setTimeout(() => {}, 5); clearTimeout(t); const f = setImmediate; globalThis.setInterval(f, 1);'), ['setTimeout', 'clearTimeout', 'setImmediate', 'setInterval']);
  assert.equal(uses('interface C { setTimeout(fn: () => void, ms: number): unknown } class K { setTimeout() {} } c.setTimeout(f, 1); ({ setTimeout: 1 });'), []);
});

test.run();
