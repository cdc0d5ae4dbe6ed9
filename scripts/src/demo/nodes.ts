/**
 * The demo's Light Nodes as data: one per PoD, each with a fresh device key in its own encrypted
 * keystore (the edge's v3 format), a broker password, and an agent config file written to
 * `<data>/nodes/<pod>/config.json` — the same file `lightnode run --config` reads, so a node can
 * be re-run by hand from the kept data folder.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeviceKey, encryptKeystore, writeKeystoreFile } from '@lightnode/edge/provisioning';
import type { LabEndpoints } from './lab.js';

/** The demo's PoDs (Italian PoD codes, issue 1 format). */
export const DEMO_PODS = {
  /** Small business: SDM630 on Modbus TCP + an EMS that takes DSO setpoints. */
  sme: 'IT001E00000630',
  /** Home: SDM120 on Modbus RTU (serial). */
  home: 'IT001E00000120',
  /** Home with a 2G smart meter read over Chain 2. */
  chain2: 'IT001E00000002',
} as const;

/** One provisioned node (secrets stay in its folder; only the address travels). */
export interface DemoNode {
  pod: string;
  label: string;
  dir: string;
  address: `0x${string}`;
  configPath: string;
  /** Raw agent config (validated by the edge when the agent starts). */
  config: Record<string, unknown>;
  mqtt: { username: string; password: string };
  /** What the node reads, for the printed endpoint list. */
  describes: string;
}

export interface NodeOptions {
  dataDir: string;
  lab: LabEndpoints;
  /** Deployment file the agents read the EIP-712 domain from. */
  deploymentPath: string;
  rpcUrl: string;
  /** Broker URL the nodes connect to (set later with `setBrokerUrl` when not known yet). */
  mqttUrl?: string;
  /** Meter poll period, ms; default 1000. */
  pollIntervalMs?: number;
  /** MQTT protocol version the nodes speak; default 4 (aedes speaks 3.1.1). */
  protocolVersion?: 4 | 5;
  /** scrypt N of the demo keystores; default 2^12 (the edge's production default is 2^15). */
  scryptN?: number;
}

function meterEntries(label: string, lab: LabEndpoints, intervalMs: number): Record<string, unknown>[] {
  if (label === 'sme') {
    return [{ id: 'sdm630', kind: 'modbus', template: 'sdm630', link: { kind: 'tcp', host: lab.sdm630.host, port: lab.sdm630.port }, device: { unitId: lab.sdm630.unitId }, intervalMs }];
  }
  if (label === 'home') {
    const l = lab.sdm120;
    const link = l.kind === 'rtu' ? { kind: 'rtu', path: l.path, baudRate: 9600, parity: 'none', stopBits: 1, dataBits: 8 } : { kind: 'tcp', host: l.host, port: l.port };
    return [{ id: 'sdm120', kind: 'modbus', template: 'sdm120', link, device: { unitId: l.unitId }, intervalMs: intervalMs * 2 }];
  }
  return [{ id: '2g', kind: 'chain2', transport: 'ws', url: lab.chain2, reconnectMinMs: 200, reconnectMaxMs: 2000 }];
}

/** Create keys, keystores, broker passwords and config files for every demo PoD. */
export async function provisionNodes(o: NodeOptions): Promise<DemoNode[]> {
  const out: DemoNode[] = [];
  for (const [label, pod] of Object.entries(DEMO_PODS)) {
    const dir = join(o.dataDir, 'nodes', pod);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const key = DeviceKey.generate();
    const password = randomBytes(16).toString('hex');
    writeFileSync(join(dir, 'keystore.password'), `${password}\n`, { mode: 0o600 });
    const n = o.scryptN ?? 1 << 12;
    writeKeystoreFile(join(dir, 'keystore.json'), await encryptKeystore(key, password, { n, r: 8, p: 1 }), { overwrite: true });
    const mqtt = { username: pod, password: randomBytes(18).toString('base64url') };
    const l = o.lab;
    const config: Record<string, unknown> = {
      pod, dataDir: '.',
      keystore: { path: 'keystore.json', passwordFile: 'keystore.password', scryptN: n },
      chain: { deploymentFile: o.deploymentPath, rpcUrl: o.rpcUrl, rpcTimeoutMs: 10_000 },
      spool: { path: 'spool.db', synchronous: 'normal' },
      mqtt: {
        url: o.mqttUrl ?? 'mqtt://127.0.0.1:1883', protocolVersion: o.protocolVersion ?? 4,
        username: mqtt.username, password: mqtt.password, batchSize: 100, ackTimeoutSec: 10,
        reconnectMinMs: 200, reconnectMaxMs: 2000, statusIntervalSec: 5,
      },
      meters: meterEntries(label, l, o.pollIntervalMs ?? 1000),
      ems: label === 'sme'
        ? { enabled: true, transport: 'modbus', fallback: 'release', pollIntervalMs: 5000, signersRefreshSec: 30, modbus: { host: l.ems.host, port: l.ems.port, unitId: l.ems.unitId, timeoutMs: 3000 } }
        : { enabled: false },
      http: { host: '127.0.0.1', port: 0 },
      log: { level: 'info' },
    };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    const describes = label === 'sme' ? `SDM630 Modbus TCP ${l.sdm630.host}:${l.sdm630.port} + EMS Modbus TCP ${l.ems.host}:${l.ems.port}`
      : label === 'home' ? (l.sdm120.kind === 'rtu' ? `SDM120 Modbus RTU on ${l.sdm120.path} (socat pty)` : `SDM120 Modbus TCP ${l.sdm120.host}:${l.sdm120.port}`)
        : `Chain 2 gateway ${l.chain2}`;
    out.push({ pod, label, dir, address: key.address, configPath, config, mqtt, describes });
  }
  return out;
}

/** Point every node config at the broker (URL known once the BAL's broker listens). */
export function setBrokerUrl(nodes: DemoNode[], url: string): void {
  for (const n of nodes) {
    (n.config.mqtt as Record<string, unknown>).url = url;
    writeFileSync(n.configPath, `${JSON.stringify(n.config, null, 2)}\n`, { mode: 0o600 });
  }
}

/** `pods.csv` for `fleet import` (pod,address). */
export function podsCsv(nodes: DemoNode[]): string {
  return ['pod,address', ...nodes.map((n) => `${n.pod},${n.address}`)].join('\n') + '\n';
}
