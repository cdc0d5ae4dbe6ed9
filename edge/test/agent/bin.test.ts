// The package's `bin` is a committed file (so `pnpm install` links it in a fresh clone) and it runs
// the CLI: the bundle when built, else src/cli.ts through tsx.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const edge = fileURLToPath(new URL('../../', import.meta.url));

test('bin points at the committed launcher, which runs the CLI (usage on --help, exit 2 on an unknown command)', () => {
  const pkg = JSON.parse(readFileSync(`${edge}package.json`, 'utf8')) as { bin: Record<string, string> };
  const bin = `${edge}${pkg.bin.lightnode!.replace(/^\.\//, '')}`;
  assert.ok(existsSync(bin), bin);
  assert.not.match(pkg.bin.lightnode!, /^\.?\/?dist\//, 'not a build output');
  const help = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(help.status, 0, help.stderr);
  assert.match(help.stderr + help.stdout, /lightnode init/);
  const bad = spawnSync(process.execPath, [bin, 'no-such-command'], { encoding: 'utf8', timeout: 60_000 });
  assert.is(bad.status, 2);
});

test.run();
