#!/usr/bin/env node
/**
 * verify-receipt <receipt.json> --rpc <url> [--json]
 * Checks a reading receipt against the chain alone. Exit 0 only when every check holds,
 * 1 when a check fails, 2 on usage or unreadable input.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runIfMain } from '../invocation-dir.js';
import { verifyReceipt } from './verify-receipt.js';

const USAGE = 'usage: verify-receipt <receipt.json|-> --rpc <url> [--json] [--timeout-ms N] [--deployment FILE | --anchor ADDR --registry ADDR]';

/** Run the CLI with argv (without node and script); returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const refuse = (code: string, message: string, usage = false): number => { err(`${code}: ${message}\n${usage ? `${USAGE}\n` : ''}`); return 2; };
  let values: { rpc?: string; json?: boolean; help?: boolean; 'timeout-ms'?: string; deployment?: string; anchor?: string; registry?: string };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { rpc: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, 'timeout-ms': { type: 'string' }, deployment: { type: 'string' }, anchor: { type: 'string' }, registry: { type: 'string' } },
    }));
  } catch (e) {
    return refuse('VERIFY_USAGE', (e as Error).message, true);
  }
  if (values.help) { out(`${USAGE}\n`); return 0; }
  const rpcUrl = values.rpc ?? process.env.VERIFY_RPC_URL;
  if (positionals.length !== 1) return refuse('VERIFY_USAGE', positionals.length === 0 ? 'missing the receipt file (or - for stdin)' : `one receipt at a time, found ${positionals.length} arguments`, true);
  if (!rpcUrl) return refuse('VERIFY_USAGE', 'missing --rpc (or VERIFY_RPC_URL)', true);
  let text: string;
  try {
    text = positionals[0] === '-' ? readFileSync(0, 'utf8') : readFileSync(positionals[0]!, 'utf8');
  } catch (e) {
    return refuse('VERIFY_RECEIPT_UNREADABLE', `cannot read receipt ${positionals[0]}: ${(e as Error).message}`);
  }
  let receipt: unknown;
  try {
    receipt = JSON.parse(text);
  } catch {
    // JSON.parse quotes the offending bytes; a binary file would spill them onto the terminal.
    return refuse('VERIFY_RECEIPT_UNREADABLE', `${positionals[0]} is not a JSON receipt (${text.length} characters of invalid JSON)`);
  }
  const timeoutMs = values['timeout-ms'] !== undefined ? Number(values['timeout-ms']) : undefined;
  if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) return refuse('VERIFY_USAGE', `--timeout-ms: expected a positive integer, found ${values['timeout-ms']}`, true);
  let expect: { readingAnchor?: string; podRegistry?: string; dataServerRegistry?: string } = {};
  if (values.deployment) {
    try {
      const d = JSON.parse(readFileSync(values.deployment, 'utf8')) as { readingAnchor?: string; podRegistry?: string; dataServerRegistry?: string | null };
      expect = {
        ...(d.readingAnchor ? { readingAnchor: d.readingAnchor } : {}), ...(d.podRegistry ? { podRegistry: d.podRegistry } : {}),
        ...(d.dataServerRegistry ? { dataServerRegistry: d.dataServerRegistry } : {}),
      };
    } catch (e) {
      return refuse('VERIFY_DEPLOYMENT_UNREADABLE', `cannot read deployment ${values.deployment}: ${(e as Error).message}`);
    }
  }
  if (values.anchor) expect.readingAnchor = values.anchor;
  if (values.registry) expect.podRegistry = values.registry;
  const result = await verifyReceipt(receipt, { rpcUrl, ...(timeoutMs ? { timeoutMs } : {}), expect });
  if (values.json) {
    out(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const c of result.checks) out(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(18)} ${c.detail}\n`);
    out(result.ok ? 'receipt VALID: every check holds\n' : `receipt INVALID: ${result.checks.filter((c) => !c.ok).map((c) => c.name).join(', ')} failed\n`);
  }
  return result.ok ? 0 : 1;
}

runIfMain(import.meta.url, 'verify-receipt', (argv) => main(argv));
