/**
 * Where the BAL would speak plaintext beyond this machine (S-BAP-01): the embedded broker's plain
 * MQTT port or the REST API without TLS on a non-loopback interface, or an external broker reached
 * by `mqtt://`/`ws://` on another host. Device passwords, data users' passwords and bearer tokens
 * would cross the network in clear. Pure: config.ts refuses such a config unless it says
 * `allowPlaintext: true`; `bal mosquitto-config` warns with the same rule.
 */
import { isIP } from 'node:net';

/** True for an address or host name that never leaves this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1';
  return false;
}

/** One plaintext endpoint off the machine: the config field to change and what it exposes. */
export interface PlaintextExposure { field: string; detail: string }

/** The parts of a BAL config that plaintext touches (a subset of the runtime config). */
export interface PlaintextInputs {
  broker: { kind: 'embedded'; host: string; port: number | null } | { kind: 'external'; url: string };
  api: { host: string; tls: unknown };
}

/** Every plaintext MQTT or HTTP endpoint of the config that is not on loopback. */
export function plaintextExposures(c: PlaintextInputs): PlaintextExposure[] {
  const found: PlaintextExposure[] = [];
  const b = c.broker;
  if (b.kind === 'embedded' && b.port !== null && !isLoopback(b.host)) {
    found.push({ field: 'broker.port', detail: `plain MQTT on ${b.host}:${b.port} (set broker.port null and use broker.tls, or bind broker.host to 127.0.0.1)` });
  }
  if (b.kind === 'external') {
    const u = new URL(b.url);
    if ((u.protocol === 'mqtt:' || u.protocol === 'ws:') && !isLoopback(u.hostname)) {
      found.push({ field: 'broker.url', detail: `${u.protocol.slice(0, -1)}:// to ${u.hostname} (use mqtts:// or wss://)` });
    }
  }
  if (!c.api.tls && !isLoopback(c.api.host)) {
    found.push({ field: 'api.tls', detail: `plain HTTP on ${c.api.host} (configure api.tls, or bind api.host to 127.0.0.1 behind a TLS proxy)` });
  }
  return found;
}
