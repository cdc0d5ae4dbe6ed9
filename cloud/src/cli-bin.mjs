#!/usr/bin/env node
// `bal` executable: registers tsx (the workspace runs TypeScript sources) and starts cli.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
const code = await main(process.argv.slice(2));
process.exitCode = code;
// A leftover handle (a socket in TIME_WAIT, a worker) must not keep a stopped BAL alive.
setTimeout(() => process.exit(code), 2000).unref();
