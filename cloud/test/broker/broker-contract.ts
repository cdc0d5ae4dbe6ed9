/**
 * Broker security contract (issue 5 §7, STYLE habit 10): the same checks against the embedded
 * aedes broker and a real Mosquitto configured by writeMosquittoConfig.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { MqttClient } from 'mqtt';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import mqtt from 'mqtt';
import { PASSWORDS, POD_A, POD_B, collector, connect, endAll, granted, testAccounts, trySubscribe } from './helpers.js';

export interface BrokerUnderTest { url: string; stop(): Promise<void> }
export type StartBroker = (accounts: BrokerAccount[]) => Promise<BrokerUnderTest>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Publish and wait until the broker processed it (PUBACK) or dropped the connection. */
async function publishSettled(c: MqttClient, topic: string, payload: string): Promise<void> {
  await Promise.race([c.publishAsync(topic, payload, { qos: 1 }).catch(() => {}), new Promise<void>((r) => c.once('close', () => r())), sleep(3000)]);
}

/**
 * `clientIds`: how the broker binds client ids to accounts (src/broker/client-id.ts) — `refused`:
 * a foreign id gets CONNACK 5 (aedes, Mosquitto's dynamic-security `clientid`); `renamed`: the
 * broker replaces it by the username (Mosquitto `use_username_as_clientid`).
 */
export function brokerSecurityContract(name: string, start: StartBroker, opts: { refusesSubscribe: boolean; sharedSubscriptions?: boolean; clientIds: 'refused' | 'renamed' }): void {
  const t = suite(`broker security: ${name}`);
  let broker: BrokerUnderTest;
  const clients: MqttClient[] = [];
  const open = async (user: string, pw?: string): Promise<MqttClient> => { const c = await connect(broker.url, user, pw); clients.push(c); return c; };

  t.before(async () => { broker = await start(await testAccounts()); });
  t.after(async () => { await endAll(clients); await broker?.stop(); });

  t('wrong password, unknown user and no credentials are refused', async () => {
    for (const [u, p] of [[POD_A, 'wrong'], ['nobody', 'x'], [POD_A, '']] as const) {
      let ok = false;
      try { const c = await connect(broker.url, u, p); ok = true; await c.endAsync(true); } catch { /* refused */ }
      assert.not.ok(ok, `${u}/${p} must be refused`);
    }
  });

  t("a device's readings reach the BAL; its publish on another PoD's topic never does", async () => {
    const bal = await open('bal');
    const seen = collector(bal);
    assert.equal(granted(await bal.subscribeAsync(['ln/v1/+/readings', 'ln/v1/+/status'], { qos: 1 })), [1, 1]);
    const intruder = await open(POD_A);
    await publishSettled(intruder, `ln/v1/${POD_B}/readings`, 'forged-by-A');
    await publishSettled(await open(POD_A), `ln/v1/${POD_B}/status`, 'forged-status');
    const a = await open(POD_A);
    await a.publishAsync(`ln/v1/${POD_A}/readings`, 'genuine-A', { qos: 1 });
    assert.is(await seen.waitFor(`ln/v1/${POD_A}/readings`), 'genuine-A');
    const b = await open(POD_B);
    await b.publishAsync(`ln/v1/${POD_B}/readings`, 'genuine-B', { qos: 1 });
    assert.is(await seen.waitFor(`ln/v1/${POD_B}/readings`), 'genuine-B');
    assert.equal(seen.got.filter((g) => g.payload.startsWith('forged')), [], 'no forged message delivered');
  });

  t('a device cannot forge acks or setpoints, nor read another PoD', async () => {
    const ops = await open('dso-ops');
    const seen = collector(ops);
    assert.equal(granted(await ops.subscribeAsync('ln/v1/#', { qos: 1 })), [1]);
    const a = await open(POD_A);
    await publishSettled(a, `ln/v1/${POD_A}/ack`, 'forged-ack');
    const a2 = await open(POD_A);
    await publishSettled(a2, `ln/v1/${POD_B}/setpoints`, 'forged-setpoint');
    // Filters outside the device's own ack/setpoints: aedes refuses the SUBSCRIBE (0x80);
    // Mosquitto 2.0 grants it and filters every delivery by the read ACL. Either way nothing
    // of another PoD may arrive. (One connection per device: its client id is its username.)
    const snoop = await open(POD_A);
    const snooped = collector(snoop);
    const res: number[] = [];
    for (const f of [`ln/v1/${POD_B}/ack`, 'ln/v1/+/ack', 'ln/v1/#', `ln/v1/${POD_B}/setpoints`]) res.push(await trySubscribe(snoop, f));
    if (opts.refusesSubscribe) assert.ok(res.every((q) => q >= 128), `denied: ${res}`);
    assert.equal([await trySubscribe(snoop, `ln/v1/${POD_A}/ack`), await trySubscribe(snoop, `ln/v1/${POD_A}/setpoints`)], [1, 1]);
    const bal = await open('bal');
    await bal.publishAsync(`ln/v1/${POD_B}/ack`, 'ack-for-B', { qos: 1 });
    await ops.publishAsync(`ln/v1/${POD_B}/setpoints`, 'sp-for-B', { qos: 1 });
    await bal.publishAsync(`ln/v1/${POD_A}/ack`, 'ack-for-A', { qos: 1 });
    assert.is(await snooped.waitFor(`ln/v1/${POD_A}/ack`), 'ack-for-A');
    await ops.publishAsync(`ln/v1/${POD_A}/setpoints`, 'sp-for-A', { qos: 1 });
    assert.is(await snooped.waitFor(`ln/v1/${POD_A}/setpoints`), 'sp-for-A');
    await sleep(100);
    // Mosquitto delivers once per matching subscription (`ln/v1/#` and the own filter): compare as a set.
    assert.equal([...new Set(snooped.got.map((g) => g.payload))].sort(), ['ack-for-A', 'sp-for-A']);
    const own = new Set([`ln/v1/${POD_A}/ack`, `ln/v1/${POD_A}/setpoints`]);
    assert.equal(snooped.got.filter((g) => !own.has(g.topic)), [], 'nothing of another PoD reaches device A');
    await seen.waitFor(`ln/v1/${POD_A}/setpoints`);
    assert.equal(seen.got.filter((g) => g.payload.startsWith('forged')), []);
  });

  t("a data server publishes only its own CIM feed and reads only its own replies (issue 13 §4)", async () => {
    const bal = await open('bal');
    const seen = collector(bal);
    assert.equal(granted(await bal.subscribeAsync('cim/v1/+/meter-readings', { qos: 1 })), [1]);
    await publishSettled(await open('dso-gr-02'), 'cim/v1/dso-gr-01/meter-readings', 'forged-by-ds2');
    await publishSettled(await open('dso-gr-01'), `ln/v1/${POD_A}/readings`, 'forged-reading');
    const ds = await open('dso-gr-01');
    const mine = collector(ds);
    const res = [await trySubscribe(ds, 'cim/v1/dso-gr-02/ack'), await trySubscribe(ds, 'cim/v1/+/ack')];
    if (opts.refusesSubscribe) assert.ok(res.every((q) => q >= 128), `denied: ${res}`);
    assert.is(await trySubscribe(ds, 'cim/v1/dso-gr-01/ack'), 1);
    await ds.publishAsync('cim/v1/dso-gr-01/meter-readings', 'genuine-ds1', { qos: 1 });
    assert.is(await seen.waitFor('cim/v1/dso-gr-01/meter-readings'), 'genuine-ds1');
    await bal.publishAsync('cim/v1/dso-gr-02/ack', 'reply-for-ds2', { qos: 1 });
    await bal.publishAsync('cim/v1/dso-gr-01/ack', 'reply-for-ds1', { qos: 1 });
    assert.is(await mine.waitFor('cim/v1/dso-gr-01/ack'), 'reply-for-ds1');
    await sleep(100);
    assert.equal(mine.got.map((g) => g.payload), ['reply-for-ds1'], 'nothing of another data server');
    assert.equal(seen.got.filter((g) => g.payload.startsWith('forged')), [], 'no forged feed delivered');
  });

  t('the BAL account cannot publish setpoints or readings', async () => {
    const ops = await open('dso-ops');
    const seen = collector(ops);
    await ops.subscribeAsync('ln/v1/#', { qos: 1 });
    const bal = await open('bal');
    await publishSettled(bal, `ln/v1/${POD_A}/setpoints`, 'forged-by-bal');
    const bal2 = await open('bal');
    await publishSettled(bal2, `ln/v1/${POD_A}/readings`, 'forged-by-bal');
    const a = await open(POD_A);
    await a.publishAsync(`ln/v1/${POD_A}/status`, 'marker', { qos: 1 });
    await seen.waitFor(`ln/v1/${POD_A}/status`);
    assert.equal(seen.got.filter((g) => g.payload.startsWith('forged')), []);
  });

  t("a device presenting the BAL's or another device's client id knocks neither off (issue 17)", async () => {
    const balId = 'bal@ingest-1';
    const bal = await connect(broker.url, 'bal', undefined, { clientId: balId });
    const b = await open(POD_B);
    clients.push(bal);
    const closed: string[] = [];
    bal.on('close', () => closed.push('bal'));
    b.on('close', () => closed.push(POD_B));
    const seen = collector(bal);
    await bal.subscribeAsync('ln/v1/+/readings', { qos: 1 });
    const attackers: mqtt.MqttClient[] = [];
    for (const id of [balId, POD_B, 'bal', `${POD_A}@x`]) {
      let refusal: number | null = null;
      try {
        attackers.push(await mqtt.connectAsync(broker.url, { username: POD_A, password: PASSWORDS[POD_A], clientId: id, reconnectPeriod: 0, connectTimeout: 5000 }));
      } catch (err) { refusal = (err as { code?: number }).code ?? -1; }
      if (opts.clientIds === 'refused') assert.is(refusal, 5, `${POD_A} with client id ${id}: CONNACK 5 (not authorized)`);
      else assert.is(refusal, null, `${POD_A} with client id ${id}: connected under its own id`);
    }
    clients.push(...attackers);
    await sleep(200);
    assert.equal(closed, [], 'the BAL and device B stay connected');
    await b.publishAsync(`ln/v1/${POD_B}/readings`, 'still-B', { qos: 1 });
    assert.is(await seen.waitFor(`ln/v1/${POD_B}/readings`), 'still-B');
    assert.ok(bal.connected && b.connected);
    // The device itself, under its own id, still works.
    const a = await open(POD_A);
    await a.publishAsync(`ln/v1/${POD_A}/readings`, 'legit-A', { qos: 1 });
    assert.is(await seen.waitFor(`ln/v1/${POD_A}/readings`), 'legit-A');
    assert.equal(closed, []);
  });

  if (opts.sharedSubscriptions) {
    t('the BAL account may read readings and the data-server feed as a shared subscription ($share/<group>/…); a device may not', async () => {
      const bal = await connect(broker.url, 'bal', undefined, { protocolVersion: 5 });
      clients.push(bal);
      const seen = collector(bal);
      assert.equal(granted(await bal.subscribeAsync('$share/bal/ln/v1/+/readings', { qos: 1 })), [1]);
      const a = await open(POD_A);
      await a.publishAsync(`ln/v1/${POD_A}/readings`, 'shared-A', { qos: 1 });
      assert.is(await seen.waitFor(`ln/v1/${POD_A}/readings`), 'shared-A');
      // The data-server feed is shared in the same group (ingest.shareGroup).
      assert.equal(granted(await bal.subscribeAsync('$share/bal/cim/v1/+/meter-readings', { qos: 1 })), [1]);
      const ds = await open('dso-gr-01');
      await ds.publishAsync('cim/v1/dso-gr-01/meter-readings', 'shared-cim', { qos: 1 });
      assert.is(await seen.waitFor('cim/v1/dso-gr-01/meter-readings'), 'shared-cim');
      const snoop = await connect(broker.url, POD_B, undefined, { protocolVersion: 5 });
      clients.push(snoop);
      const snooped = collector(snoop);
      const q = await trySubscribe(snoop, '$share/x/ln/v1/+/readings');
      if (opts.refusesSubscribe) assert.ok(q >= 128, `device shared subscription denied: ${q}`);
      await a.publishAsync(`ln/v1/${POD_A}/readings`, 'shared-A2', { qos: 1 });
      for (let i = 0; i < 100 && !seen.got.some((g) => g.payload === 'shared-A2'); i++) await sleep(50);
      assert.ok(seen.got.some((g) => g.payload === 'shared-A2'), 'the BAL got the second reading');
      await sleep(100);
      assert.equal(snooped.got, [], 'nothing of another PoD reaches device B');
    });
  }

  t.run();
}
