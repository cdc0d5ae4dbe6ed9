/**
 * The NATS JetStream transport of the scale-out rig (./rig.ts): a 3-node nats-server 2.9 cluster
 * on loopback ports, each node with JetStream and an MQTT listener, its config written by
 * `bal nats-config --credentials … --cluster …` (the CLI, as an operator would) from one
 * credentials file holding the device accounts and the `bal` account. Readings land in an R3
 * work-queue stream; every BAL instance pulls from the one durable consumer
 * (`ingest.jetstream`, every node's client URL). Devices are spread over the three MQTT
 * listeners (device i on node i % 3); each BAL instance's MQTT client (acks, statuses) is on
 * node 1, which the fault never kills. The fault: SIGKILL node 2 or 3 — by default one that does
 * not lead the readings consumer (option `fault`) — (a third of the devices lose their broker
 * and spool until it is back; JetStream keeps 2 of 3 replicas), healed by a restart on the same
 * ports and store.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { freePort } from '@lightnode/test-kit/free-port';
import { main } from '../../src/cli.js';
import { procCpuUs } from '../../bench/proc-cpu.js';
import { natsNode, testAccount, waitNatsReady, type NatsNode } from '../nats/cluster.js';
import type { RunningTransport, Transport } from './rig.js';

export interface NatsJetStreamOptions {
  /** Redelivery of a dead instance's unacked message, ms (`ingest.jetstream.ackWaitMs`); default 3000. */
  ackWaitMs?: number;
  /**
   * Which node the fault kills (never node 1, which holds the BAL's MQTT clients): `follower` a
   * node that does not lead the readings consumer (default); `leader` the consumer leader's node
   * when it is node 2 or 3 (else node 3) — that case shows the known stall (cloud/README
   * "JetStream transport"; in 2 of 2 runs no ingest instance stored for 60 s).
   */
  fault?: 'follower' | 'leader';
}

/** The server name of the readings consumer's leader (`/jsz` of a node), or null. */
async function consumerLeader(monitorPort: number): Promise<string | null> {
  try {
    const r = await (await fetch(`http://127.0.0.1:${monitorPort}/jsz?consumers=true`, { signal: AbortSignal.timeout(3000) })).json() as {
      account_details?: { stream_detail?: { name: string; consumer_detail?: { name: string; cluster?: { leader?: string } }[] }[] }[];
    };
    for (const a of r.account_details ?? []) for (const st of a.stream_detail ?? []) for (const c of st.consumer_detail ?? []) if (c.cluster?.leader) return c.cluster.leader;
  } catch { /* no answer: the default node */ }
  return null;
}

/** A 3-node NATS JetStream cluster (R3), configured by `bal nats-config`. */
export function natsJetStream(o: NatsJetStreamOptions = {}): Transport {
  const fault = o.fault ?? 'follower';
  return {
    name: 'nats jetstream (3 nodes, R3)',
    async start({ dir, devices, open }): Promise<RunningTransport> {
      if (open) throw new Error('natsJetStream: no open mode (NATS permissions come from the accounts)');
      mkdirSync(dir, { recursive: true });
      const balPassword = randomBytes(12).toString('base64url');
      // Cheap hashes (mosquitto PBKDF2 1 iteration, bcrypt cost 4): 200 devices connect at once.
      const accounts = [await testAccount('bal', 'bal', balPassword), ...await Promise.all(devices.map((d) => testAccount(d.pod, 'device', d.password)))];
      const creds = join(dir, 'credentials.json');
      writeFileSync(creds, JSON.stringify({ v: 1, accounts }), { mode: 0o600 });
      const ports = await Promise.all([0, 1, 2].map(async () => ({ client: await freePort(), mqtt: await freePort(), route: await freePort(), monitor: await freePort() })));
      const nodes: NatsNode[] = [];
      for (const [i, p] of ports.entries()) {
        const name = `n${i + 1}`;
        let out = ''; let err = '';
        const code = await main([
          'nats-config', '--credentials', creds, '--out', join(dir, name), '--name', name, '--store-dir', join(dir, name, 'js'),
          '--host', '127.0.0.1', '--port', String(p.client), '--mqtt-port', String(p.mqtt), '--monitor-port', String(p.monitor),
          '--cluster', 'ln', '--cluster-port', String(p.route),
          '--routes', ports.filter((_, j) => j !== i).map((q) => `nats-route://127.0.0.1:${q.route}`).join(','),
        ], { out: (l) => { out += `${l}\n`; }, err: (t) => { err += t; } });
        if (code !== 0) throw new Error(`bal nats-config ${name}: ${err}`);
        const { configPath } = JSON.parse(out) as { configPath: string };
        nodes.push(natsNode(name, configPath, { client: p.client, mqtt: p.mqtt, monitor: p.monitor }));
      }
      const stop = async (): Promise<void> => { for (const n of nodes) await n.kill('SIGKILL'); };
      try { await Promise.all(nodes.map((n) => waitNatsReady(n, 60_000))); } catch (e) { await stop(); throw e; }
      const servers = nodes.map((n) => n.url);
      let victim = nodes[2]!;
      let why = '';
      return {
        deviceUrl: nodes.map((n) => n.mqttUrl),
        deviceProtocol: 4,
        balConfig: (id) => ({
          // The BAL's MQTT client (acks, statuses) on node 1's listener, its own persistent session.
          broker: { kind: 'external', url: nodes[0]!.mqttUrl, username: 'bal', clientId: `bal@${id}` },
          ingest: { jetstream: { servers, replicas: 3, ackWaitMs: o.ackWaitMs ?? 3000, username: 'bal', password: balPassword } },
          env: { BAL_BROKER_PASSWORD: balPassword },
        }),
        fault: {
          get name() { return `SIGKILL nats node ${victim.name}${why}`; },
          async inject() {
            const leader = await consumerLeader(nodes[0]!.monitorPort);
            const others = nodes.slice(1);
            victim = (fault === 'leader' ? others.find((n) => n.name === leader) : others.find((n) => n.name !== leader)) ?? nodes[2]!;
            why = ` (consumer leader: ${leader ?? 'unknown'})`;
            await victim.kill('SIGKILL');
          },
          heal: () => victim.restart(),
        },
        cpuUs: () => nodes.reduce((us, n) => us + (n.pid() ? procCpuUs(n.pid()!) : 0), 0),
        stop,
      };
    },
  };
}
