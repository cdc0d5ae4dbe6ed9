#!/usr/bin/env node
// Bin entry: loads the TypeScript CLI through tsx (no build step), runs it, exits with its code.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2));
