/**
 * The Mosquitto `$share` transport of the scale-out rig (./rig.ts): one Mosquitto 2 process
 * configured by the BAL's own writer (`bal mosquitto-config` with the dynamic-security plugin,
 * which lets the `bal` account connect as `bal@<instanceId>`, one id per instance), the device
 * accounts bound to their PoD, and every BAL instance in shared group `ingest`
 * (`ingest.shareGroup`), with a clean session.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { randomBytes } from 'node:crypto';
import { freePort } from '@lightnode/test-kit/free-port';
import { startMosquitto } from '@lightnode/test-kit/mosquitto';
import { writeMosquittoConfig } from '../../src/broker/mosquitto-config.js';
import { hashPassword } from '../../src/broker/password-hash.js';
import type { BrokerAccount } from '../../src/broker/credentials.js';
import { procCpuUs } from '../../bench/proc-cpu.js';
import type { RunningTransport, Transport } from './rig.js';

export const DYNSEC_PLUGIN = process.env.MOSQUITTO_DYNSEC_PLUGIN ?? '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';

export interface MosquittoSharedOptions {
  /** The shared-subscription group; default `ingest`. */
  group?: string;
  /** Extra mosquitto.conf lines (e.g. `max_queued_messages` for a bench). */
  extraConf?: string[];
}

/** Mosquitto with shared subscriptions. */
export function mosquittoShared(o: MosquittoSharedOptions = {}): Transport {
  const group = o.group ?? 'ingest';
  return {
    name: `mosquitto $share/${group}`,
    async start({ dir, devices, open }): Promise<RunningTransport> {
      if (!open && !existsSync(DYNSEC_PLUGIN)) throw new Error(`dynamic-security plugin not found at ${DYNSEC_PLUGIN} (set MOSQUITTO_DYNSEC_PLUGIN)`);
      mkdirSync(dir, { recursive: true });
      const balPassword = randomBytes(12).toString('base64url');
      // Few PBKDF2 iterations: 200 devices connect at once in a test.
      const accounts: BrokerAccount[] = [
        ...await Promise.all(devices.map(async (d) => ({ username: d.pod, role: 'device' as const, passwordHash: await hashPassword(d.password, { iterations: 101 }) }))),
        { username: 'bal', role: 'bal', passwordHash: await hashPassword(balPassword, { iterations: 101 }) },
      ];
      const port = await freePort();
      let configPath: string;
      if (open) {
        // Benches: no accounts, no ACL (as bench/ingest.ts's Mosquitto), so a few publisher connections replay every device.
        configPath = join(dir, 'mosquitto.conf');
        writeFileSync(configPath, `per_listener_settings false\nallow_anonymous true\npersistence false\nlistener ${port} 127.0.0.1\n`);
      } else {
        configPath = writeMosquittoConfig({ outDir: dir, accounts, listener: { port, host: '127.0.0.1' }, runAsUser: userInfo().username, dynsecPluginPath: DYNSEC_PLUGIN }).configPath;
      }
      if (o.extraConf?.length) appendFileSync(configPath, `${o.extraConf.join('\n')}\n`);
      const proc = await startMosquitto(configPath, port);
      const url = `mqtt://127.0.0.1:${port}`;
      return {
        deviceUrl: url,
        deviceProtocol: 5,
        balConfig: () => ({
          broker: { kind: 'external', url, username: 'bal' },
          ingest: { shareGroup: group },
          env: (open ? {} : { BAL_BROKER_PASSWORD: balPassword }) as Record<string, string>,
        }),
        cpuUs: () => procCpuUs(proc.pid),
        stop: () => proc.stop(),
      };
    },
  };
}
