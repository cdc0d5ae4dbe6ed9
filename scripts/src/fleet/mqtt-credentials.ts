/**
 * Per-device MQTT credentials and the broker-side files that go with them: Mosquitto 2
 * password-file lines (PBKDF2-SHA512, the `$7$` format `mosquitto_passwd` writes) and ACL
 * entries limiting each device to its own PoD's topics (DESIGN §7: per-device ACL).
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

export interface MqttCredentials { username: string; password: string }

/** A fresh random password (24 bytes, base64url) for `username`. */
export function makeCredentials(username: string): MqttCredentials {
  return { username, password: randomBytes(24).toString('base64url') };
}

/** One Mosquitto 2 password-file line: `user:$7$101$<salt>$<hash>`. */
export function mosquittoPasswdLine(c: MqttCredentials, iterations = 101, salt: Buffer = randomBytes(12)): string {
  const hash = pbkdf2Sync(Buffer.from(c.password, 'utf8'), salt, iterations, 64, 'sha512');
  return `${c.username}:$7$${iterations}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Mosquitto ACL block: the device may publish readings/status/activations and read its ack/setpoints. */
export function mosquittoAcl(username: string, pod: string): string {
  return [
    `user ${username}`,
    `topic write ln/v1/${pod}/readings`,
    `topic write ln/v1/${pod}/status`,
    `topic write ln/v1/${pod}/activations`,
    `topic read ln/v1/${pod}/ack`,
    `topic read ln/v1/${pod}/setpoints`,
    '',
  ].join('\n');
}

/** The `$7$…` hash part of a password-file line. */
export function passwdHash(line: string): string {
  return line.slice(line.indexOf(':') + 1);
}

/**
 * Add (or replace) a device account in the BAL's broker credentials file
 * (`{ v: 1, accounts: [{ username, role, passwordHash }] }`, cloud/src/broker/credentials.ts).
 */
export function addBalAccount(path: string, username: string, passwordHash: string): void {
  const doc = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as { v: 1; accounts: { username: string; role: string; passwordHash: string }[] }) : { v: 1 as const, accounts: [] };
  doc.accounts = doc.accounts.filter((a) => a.username !== username);
  doc.accounts.push({ username, role: 'device', passwordHash });
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
}
