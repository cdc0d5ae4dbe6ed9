#!/usr/bin/env node
// `sim` executable: loads the TypeScript CLI through tsx (the workspace runs TypeScript directly).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
