#!/usr/bin/env node
// `lightnode` launcher (the package's `bin`, committed so that `pnpm install` in a fresh clone
// finds it). Runs the production bundle `dist/bundle/lightnode.cjs` when it has been built
// (`pnpm --filter @lightnode/edge build`), else the TypeScript source through tsx (a workspace
// dev dependency). Production devices and the systemd unit run the bundle directly with plain
// node and the V8 flags of systemd/lightnode.service.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../dist/bundle/lightnode.cjs', import.meta.url));
if (existsSync(bundle)) {
  createRequire(import.meta.url)(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../src/cli.ts', import.meta.url).href);
}
