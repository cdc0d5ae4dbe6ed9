/**
 * Checks of the workspace's package boundaries, kept pure so they can be unit-tested: every
 * package declares an explicit exports map (no `"./*"` pattern that would make every file
 * public), and every cross-package import names a declared entry of a declared dependency.
 * tsc (moduleResolution Bundler) and Node enforce the map at resolution time; these checks also
 * catch what resolution lets through (a wildcard coming back, a self-import via the package name,
 * an import that works only because pnpm hoisted an undeclared dependency).
 */

/** The parts of a package.json these checks read. */
export interface PackageJson {
  name: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** One `@lightnode/...` module specifier found in a source file. */
export interface LightnodeImport { pkg: string; subpath: string; line: number }

/** What is wrong with a package's exports map (empty when it is explicit and pattern-free). */
export function exportsProblems(pkg: PackageJson): string[] {
  const exp = pkg.exports;
  if (exp === undefined) return [`${pkg.name}: no "exports" (every file would be importable)`];
  if (typeof exp !== 'object' || exp === null || Array.isArray(exp)) return [`${pkg.name}: "exports" must be an object of explicit subpaths`];
  const out: string[] = [];
  for (const [key, target] of Object.entries(exp)) {
    if (!key.startsWith('.')) out.push(`${pkg.name}: export key ${JSON.stringify(key)} is not a subpath (conditions are not used here)`);
    if (key.includes('*')) out.push(`${pkg.name}: export ${JSON.stringify(key)} is a pattern; list the public entry points one by one`);
    if (typeof target !== 'string') out.push(`${pkg.name}: export ${JSON.stringify(key)} must map to one file`);
    else if (target.includes('*')) out.push(`${pkg.name}: export ${JSON.stringify(key)} targets a pattern ${JSON.stringify(target)}`);
  }
  return out;
}

// Static and dynamic imports, re-exports and require(); spawn arguments such as
// `--filter @lightnode/scripts` are not module specifiers and do not match.
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"](@lightnode\/[^'"/]+)(\/[^'"]*)?['"]/g;

/** The `@lightnode/...` specifiers of one source text, with 1-based line numbers. */
export function lightnodeImports(source: string): LightnodeImport[] {
  const out: LightnodeImport[] = [];
  for (const m of source.matchAll(SPECIFIER)) {
    const line = source.slice(0, m.index).split('\n').length;
    out.push({ pkg: m[1]!, subpath: m[2] ? `.${m[2]}` : '.', line });
  }
  return out;
}

/** What is wrong with `imp` made from a file of `importer` (null when it is a declared entry of a declared dependency). */
export function importProblem(importer: PackageJson, imp: LightnodeImport, packages: ReadonlyMap<string, PackageJson>): string | null {
  const target = packages.get(imp.pkg);
  const spec = imp.subpath === '.' ? imp.pkg : `${imp.pkg}/${imp.subpath.slice(2)}`;
  if (!target) return `${spec}: no workspace package ${imp.pkg}`;
  if (imp.pkg === importer.name) return `${spec}: a package imports its own files by relative path, not through its exports`;
  const declared = { ...importer.dependencies, ...importer.devDependencies };
  if (!(imp.pkg in declared)) return `${spec}: ${importer.name} does not declare ${imp.pkg} in dependencies or devDependencies`;
  const exp = target.exports;
  if (typeof exp !== 'object' || exp === null || !(imp.subpath in exp)) return `${spec}: not an export of ${imp.pkg} (declared: ${Object.keys((exp as object) ?? {}).join(', ') || 'none'})`;
  return null;
}
