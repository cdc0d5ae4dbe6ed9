// The data-server feed through the production broker (DESIGN §7): a real Mosquitto configured by
// `writeMosquittoConfig` with the dynamic-security plugin (the data server's own account and role),
// the BAL on it as an external broker, the hardware-sim simulator sending signed MeterReadings.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import { ANVIL_PRIVATE_KEYS } from '@lightnode/contracts/anvil';
import { startChain, type ChainFixture } from '@lightnode/test-kit/chain';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto, type MosquittoProcess } from '@lightnode/test-kit/mosquitto';
import { hexToBytes } from '@lightnode/shared/hex';
import { startBal, type RunningBal } from '@lightnode/cloud/bal';
import { parseConfig } from '@lightnode/cloud/config';
import { hashPassword, writeMosquittoConfig } from '@lightnode/cloud/operator';
import { createLogger } from '@lightnode/cloud/log';
import { podRange } from '@lightnode/hardware-sim/cim-server/feed';
import { startDataServerSim, type DataServerSim } from '@lightnode/hardware-sim/cim-server/data-server';
import { allowPods } from './cim-fixture.js';

const DYNSEC_PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const PODS = podRange('IT001E00000501', 10);
const dir = mkdtempSync(join(tmpdir(), 'bal-cim-mosq-'));
const serverKey = Wallet.createRandom();
let chain: ChainFixture;
let mosquitto: MosquittoProcess | null = null;
let url = '';
let bal: RunningBal | null = null;
const sims: DataServerSim[] = [];

test.before(async () => {
  chain = await startChain();
  await chain.dataServers.write('register', ['dso-gr-01', serverKey.address]);
  await allowPods(chain, 'dso-gr-01', PODS);
  const port = await freePort();
  const files = writeMosquittoConfig({
    outDir: join(dir, 'mosquitto'), listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username, dynsecPluginPath: DYNSEC_PLUGIN,
    accounts: [
      { username: 'bal', role: 'bal', passwordHash: await hashPassword('bal-pw') },
      { username: 'dso-gr-01', role: 'data-server', passwordHash: await hashPassword('ds-pw') },
    ],
  });
  mosquitto = await startMosquitto(files.configPath, port);
  url = `mqtt://127.0.0.1:${port}`;
  writeFileSync(join(dir, 'anchor.key'), ANVIL_PRIVATE_KEYS[1]!);
  const balRole = (await chain.anchor.getFunction('BAL_ROLE')()) as string;
  await (await chain.anchor.getFunction('grantRole')(balRole, chain.wallets[1]!.address)).wait();
  const config = parseConfig({
    chain: { deploymentPath: chain.deploymentPath, anchorKeyPath: 'anchor.key' },
    broker: { kind: 'external', url: `mqtt://127.0.0.1:${port}`, username: 'bal', clientId: 'bal@cim-mosq' },
    store: { kind: 'sqlite', path: 'bal.db' },
    anchoring: { windowMs: 1000, pollIntervalMs: 100, confirmations: 1 },
    ingest: { verifyThreads: 0 }, registry: { pollIntervalMs: 200 }, api: { port: 0 }, log: { level: 'error' },
  }, dir, { BAL_BROKER_PASSWORD: 'bal-pw' });
  bal = await startBal(config, { log: createLogger({ level: 'error' }) });
});

test.after(async () => {
  for (const s of sims) await s.close().catch(() => {});
  await bal?.stop();
  await mosquitto?.stop();
  await chain?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("the data server's own Mosquitto account: its feed is stored and answered; a bad signature refused", async () => {
  const sim = await startDataServerSim({
    url, username: 'dso-gr-01', password: 'ds-pw', serverId: 'dso-gr-01',
    privateKey: hexToBytes(serverKey.privateKey, 32), domain: chain.domain, pods: PODS, replyTimeoutMs: 30_000,
  });
  sims.push(sim);
  const ok = await sim.send();
  assert.is(ok.reply.Reply?.Result, 'OK', JSON.stringify(ok.reply.Reply));
  assert.is(ok.reply.Reply?.Error[0]?.reason, `stored ${PODS.length}, duplicate 0`);
  assert.ok(await bal!.store.cimMessage(ok.hash));
  const bad = await sim.send({ fault: 'bad-signature' });
  assert.is(bad.reply.Reply?.Error[0]?.code, 'BAL_CIM_SIGNATURE_INVALID');
  assert.is(await bal!.store.cimMessage(bad.hash), null);
});

test.run();
