// Issue 13 §4 "rejected with codes and metrics; nothing stored from a rejected message": each
// fault mode of the data-server simulator, and the registry refusals (unregistered server,
// revoked server, another server's key), against one real BAL. Every refusal is answered with a
// FAILED reply naming the code, counted in bal_cim_rejected_total{code}, and stores nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Wallet } from 'ethers';
import { feedMessage, podRange } from '@lightnode/hardware-sim/cim-server/feed';
import { encodeCimXml } from '@lightnode/shared/cim/xml-codec';
import type { FeedFault } from '@lightnode/hardware-sim/cim-server/feed';
import type { DataServerSim, SentQuarter } from '@lightnode/hardware-sim/cim-server/data-server';
import { PASSWORD, SERVER_ID, allowPods, startCimFixture, type CimFixture } from './cim-fixture.js';

const PODS = podRange('IT001E00000101', 20);
let fx: CimFixture;

test.before(async () => {
  fx = await startCimFixture({
    pods: PODS, tls: true,
    extraAccounts: [
      { username: 'dso-unregistered', role: 'data-server', password: PASSWORD },
      { username: 'dso-revoked', role: 'data-server', password: PASSWORD },
    ],
  });
});
test.after(async () => { await fx?.close(); });

async function expectRefused(send: () => Promise<SentQuarter>, code: string, cause?: string | RegExp): Promise<void> {
  const before = (await fx.bal.store.counts()).readings;
  const counted = await fx.metric('bal_cim_rejected_total', { code });
  const q = await send();
  assert.is(q.reply.Reply?.Result, 'FAILED', `${code}: ${JSON.stringify(q.reply.Reply)}`);
  assert.is(q.reply.Reply?.Error[0]?.code, code);
  if (cause) assert.match(q.reply.Reply?.Error[0]?.details ?? '', cause);
  assert.is(await fx.metric('bal_cim_rejected_total', { code }), counted + 1, `${code} counted`);
  assert.is((await fx.bal.store.counts()).readings, before, `${code}: nothing stored`);
  assert.is(await fx.bal.store.cimMessage(q.hash), null, `${code}: message not kept`);
}

const FAULTS: [FeedFault, string, string?][] = [
  ['bad-signature', 'BAL_CIM_SIGNATURE_INVALID'],
  ['wrong-usage-point', 'BAL_CIM_USAGE_POINT_FORBIDDEN'],
  ['malformed-xml', 'BAL_CIM_MESSAGE_INVALID', 'CIM_XML_MALFORMED'],
  ['unknown-reading-type', 'BAL_CIM_READING_TYPE_UNKNOWN', 'CIM_READING_TYPE_UNKNOWN'],
];

for (const [fault, code, cause] of FAULTS) {
  test(`simulator fault ${fault}: ${code}, counted, nothing stored`, async () => {
    await expectRefused(() => fx.sim.send({ fault }), code, cause);
  });
}

test('header fields outside the profile (Revision, AckRequired) are refused by name', async () => {
  for (const [name, value] of [['Revision', '1'], ['AckRequired', 'true']] as const) {
    const id = `hdr-${name}-${Date.now()}`;
    const good = encodeCimXml(feedMessage({ pods: PODS.slice(0, 1), atMs: Date.now(), sentAtMs: Date.now(), messageId: id, source: SERVER_ID }));
    // The same element name and namespace prefix as Noun, right after it (61968-100 HeaderType order).
    const xml = good.replace(/<((?:[A-Za-z0-9]+:)?)Noun>([^<]*)<\/\1Noun>/, (m, p: string) => `${m}<${p}${name}>${value}</${p}${name}>`);
    assert.ok(xml.includes(`${name}>${value}<`), 'the field was written into the header');
    await expectRefused(() => fx.sim.sendPayload(new TextEncoder().encode(xml), id), 'BAL_CIM_MESSAGE_INVALID', new RegExp(`CIM_FIELD_INVALID at .*${name}`));
  }
});

test('a good message stores all of it; the registry refusals store nothing', async () => {
  const ok = await fx.sim.send();
  assert.is(ok.reply.Reply?.Result, 'OK');
  assert.is(ok.reply.Reply?.Error[0]?.reason, `stored ${PODS.length}, duplicate 0`);

  const stranger = Wallet.createRandom();
  const unregistered: DataServerSim = await fx.simAs('dso-unregistered', stranger, PODS);
  await expectRefused(() => unregistered.send(), 'BAL_DATA_SERVER_UNKNOWN');

  const old = Wallet.createRandom();
  await fx.chain.dataServers.write('register', ['dso-revoked', old.address]);
  await allowPods(fx.chain, 'dso-revoked', PODS);
  await fx.chain.dataServers.write('revoke', ['dso-revoked']);
  await new Promise((r) => setTimeout(r, 1100)); // the next message's time is after the revocation (chain time: seconds)
  const revoked = await fx.simAs('dso-revoked', old, PODS);
  await expectRefused(() => revoked.send(), 'BAL_DATA_SERVER_REVOKED');

  // Another server's account cannot sign for SERVER_ID either: its own key is not SERVER_ID's.
  const impostor = await fx.simAs(SERVER_ID, stranger, PODS);
  await expectRefused(() => impostor.send(), 'BAL_CIM_SIGNATURE_INVALID');
});

test('over TLS (the production transport): the simulator sends through the mqtts listener and is answered', async () => {
  const tls = await fx.simTls();
  const q = await tls.send();
  assert.is(q.reply.Reply?.Result, 'OK', JSON.stringify(q.reply.Reply));
  assert.ok(await fx.bal.store.cimMessage(q.hash), 'message stored');
});

test.run();
