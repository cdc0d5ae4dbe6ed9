/**
 * `sim cim-server` — run the data-server simulator from the command line:
 *
 *   sim cim-server --url mqtts://bal:8883 --username dso-gr-01 --password-file pw.txt
 *                  --server-id dso-gr-01 --key-file server.key --deployment deployment.json
 *                  --pods 1000 [--first-pod IT001E00000001] [--interval-ms 900000]
 *                  [--format xml|json] [--fault none|bad-signature|wrong-usage-point|malformed-xml|unknown-reading-type]
 *                  [--ca ca.pem] [--once]
 *
 * Prints one JSON line per message sent (messageId, hash, the reply's Result and first Error code).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ValidationError } from '@lightnode/shared/errors';
import { hexToBytes } from '@lightnode/shared/hex';
import { makeDomain } from '@lightnode/shared/eip712';
import { FEED_FAULTS, podRange, type FeedFault } from './feed.js';
import { startDataServerSim, type SentQuarter } from './data-server.js';

export const CIM_SERVER_USAGE = 'usage: sim cim-server --url <mqtt(s)://…> --username <u> --password-file <f> --server-id <id> --key-file <f> --deployment <f> --pods <n> [--first-pod IT001E00000001] [--interval-ms 900000] [--format xml|json] [--fault <mode>] [--ca <pem>] [--once]';

const bad = (field: string, expected: string, found: unknown): never => { throw new ValidationError('SIM_REQUEST_INVALID', field, expected, found); };

/** Run the subcommand; resolves with the exit code (after `--once`, or on SIGINT/SIGTERM). */
export async function cimServerMain(argv: string[], out: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv, strict: true,
    options: {
      url: { type: 'string' }, username: { type: 'string' }, 'password-file': { type: 'string' }, 'server-id': { type: 'string' },
      'key-file': { type: 'string' }, deployment: { type: 'string' }, pods: { type: 'string' }, 'first-pod': { type: 'string', default: 'IT001E00000001' },
      'interval-ms': { type: 'string', default: '900000' }, format: { type: 'string', default: 'xml' }, fault: { type: 'string', default: 'none' },
      ca: { type: 'string' }, once: { type: 'boolean', default: false },
    },
  });
  for (const k of ['url', 'username', 'password-file', 'server-id', 'key-file', 'deployment', 'pods'] as const) if (!values[k]) bad(`--${k}`, 'a value', undefined);
  const pods = Number(values.pods);
  if (!Number.isInteger(pods) || pods < 1 || pods > 2048) bad('--pods', 'an integer 1..2048 (one message)', values.pods);
  const intervalMs = Number(values['interval-ms']);
  if (!Number.isInteger(intervalMs) || intervalMs < 100) bad('--interval-ms', 'an integer >= 100', values['interval-ms']);
  if (values.format !== 'xml' && values.format !== 'json') bad('--format', 'xml | json', values.format);
  if (!(FEED_FAULTS as readonly string[]).includes(values.fault!)) bad('--fault', FEED_FAULTS.join(' | '), values.fault);
  const d = JSON.parse(readFileSync(values.deployment!, 'utf8')) as { chainId: number; podRegistry: `0x${string}` };
  const keyText = readFileSync(values['key-file']!, 'utf8').trim();
  const sim = await startDataServerSim({
    url: values.url!, username: values.username!, password: readFileSync(values['password-file']!, 'utf8').trim(),
    ...(values.ca ? { ca: readFileSync(values.ca) } : {}),
    serverId: values['server-id']!, privateKey: hexToBytes(keyText.startsWith('0x') ? keyText : `0x${keyText}`, 32, '--key-file'),
    domain: makeDomain(d.chainId, d.podRegistry), pods: podRange(values['first-pod']!, pods), format: values.format as 'xml' | 'json',
  });
  const print = (q: SentQuarter): void => out(JSON.stringify({ messageId: q.messageId, hash: q.hash, result: q.reply.Reply?.Result, code: q.reply.Reply?.Error[0]?.code, reason: q.reply.Reply?.Error[0]?.reason }));
  const fault = values.fault as FeedFault;
  try {
    if (values.once) {
      const q = await sim.send({ fault });
      print(q);
      return q.reply.Reply?.Result === 'OK' ? 0 : 1;
    }
    sim.run({ intervalMs, fault, onSent: print, onError: (e) => out(JSON.stringify({ error: (e as Error).message })) });
    await new Promise<void>((resolve) => { process.once('SIGINT', () => resolve()); process.once('SIGTERM', () => resolve()); });
    return 0;
  } finally {
    await sim.close();
  }
}
