// fetchSetpointSigners (src/ems/registry-signers.ts) against a stub JSON-RPC server: it sends the
// contracts client's call data, decodes the answer, and maps a malformed answer to EDGE_RPC_DECODE.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createServer, type Server } from 'node:http';
import { isLightNodeError } from '@lightnode/shared/errors';
import { fetchSetpointSigners } from '../../src/ems/registry-signers.js';

const REGISTRY = '0x00000000000000000000000000000000000000ee';
const word = (n: bigint): string => n.toString(16).padStart(64, '0');
let server: Server;
let url: string;
let answer: unknown;
const seen: { to: string; data: string }[] = [];

test.before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const rq = JSON.parse(body) as { id: number; params: [{ to: string; data: string }] };
      seen.push(rq.params[0]);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jsonrpc: '2.0', id: rq.id, result: answer }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
test.after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('sends the setpointSigners() selector to the registry and decodes the address[] answer', async () => {
  answer = `0x${word(32n)}${word(2n)}${word(0xabn)}${word(0xcdn)}`;
  const list = await fetchSetpointSigners(url, REGISTRY);
  assert.equal(list, [`0x${'0'.repeat(38)}ab`, `0x${'0'.repeat(38)}cd`]);
  assert.equal(seen.at(-1), { to: REGISTRY, data: '0xc1c77e14' });
});

test('a malformed answer is EDGE_RPC_DECODE naming the call and why', async () => {
  answer = `0x${word(32n)}${word(5n)}`;
  const err = await fetchSetpointSigners(url, REGISTRY).catch((e: unknown) => e);
  assert.ok(isLightNodeError(err, 'EDGE_RPC_DECODE'), String(err));
  assert.is((err as Error).message, 'setpointSigners(): bad array length');
});

test.run();
