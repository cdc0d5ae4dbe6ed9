// WebSocket transport against a real ws server: `!` after open, messages handed over, oversized
// ones refused, reconnect with backoff after the gateway goes away.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { LightNodeError } from '@lightnode/shared/errors';
import { WsChain2Transport } from '../../src/chain2/ws-transport.js';

async function gateway(port = 0): Promise<{ wss: WebSocketServer; port: number; got: string[]; clients: WebSocket[]; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((r) => wss.once('listening', r));
  const got: string[] = [];
  const clients: WebSocket[] = [];
  wss.on('connection', (ws) => {
    clients.push(ws);
    ws.on('message', (d) => got.push(d.toString()));
  });
  return {
    wss,
    port: (wss.address() as AddressInfo).port,
    got,
    clients,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
};

test('sends ! after open, delivers each message (and each line of a batched one)', async () => {
  const gw = await gateway();
  const t = new WsChain2Transport({ url: `ws://127.0.0.1:${gw.port}` });
  const msgs: string[] = [];
  try {
    t.start({ onMessage: (m) => msgs.push(m), onError: () => {} });
    await until(() => gw.got.length > 0);
    assert.equal(gw.got, ['!']);
    gw.clients[0]!.send('{"a":1}');
    gw.clients[0]!.send('{"b":2}\n{"c":3}\n');
    await until(() => msgs.length === 3);
    assert.equal(msgs, ['{"a":1}', '{"b":2}', '{"c":3}']);
  } finally {
    await t.close();
    await gw.close();
  }
});

test('oversized message → EDGE_CHAIN2_FRAME_TOO_LARGE, connection kept', async () => {
  const gw = await gateway();
  const t = new WsChain2Transport({ url: `ws://127.0.0.1:${gw.port}`, maxMessageBytes: 100 });
  const msgs: string[] = [];
  const errs: LightNodeError[] = [];
  try {
    t.start({ onMessage: (m) => msgs.push(m), onError: (e) => errs.push(e) });
    await until(() => gw.clients.length === 1 && gw.got.length === 1);
    gw.clients[0]!.send('x'.repeat(5000));
    gw.clients[0]!.send('{"ok":1}');
    await until(() => msgs.length === 1);
    assert.equal(errs.map((e) => e.code), ['EDGE_CHAIN2_FRAME_TOO_LARGE']);
    assert.equal(msgs, ['{"ok":1}']);
  } finally {
    await t.close();
    await gw.close();
  }
});

test('gateway down → EDGE_CHAIN2_CONNECTION, reconnects when it is back and sends ! again', async () => {
  const gw = await gateway();
  const port = gw.port;
  const t = new WsChain2Transport({ url: `ws://127.0.0.1:${port}`, reconnectMinMs: 50, reconnectMaxMs: 200 });
  const errs: string[] = [];
  let opens = 0;
  try {
    t.start({ onMessage: () => {}, onError: (e) => errs.push(e.code), onOpen: () => opens++ });
    await until(() => opens === 1);
    await gw.close();
    await until(() => errs.length >= 2); // the close, then at least one failed reconnect
    assert.ok(errs.every((c) => c === 'EDGE_CHAIN2_CONNECTION'));
    const gw2 = await gateway(port);
    try {
      await until(() => opens === 2);
      await until(() => gw2.got.includes('!'));
    } finally {
      await t.close();
      await gw2.close();
    }
  } finally {
    await t.close();
  }
});

test.run();
