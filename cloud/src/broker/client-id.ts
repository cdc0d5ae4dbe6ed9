/**
 * Which MQTT client ids an account may present (issue 17, defect 1). A CONNECT with the id of a
 * connected client closes that client and may resume its session (MQTT 3.1.1 §3.1.4-2), so an
 * id not bound to its account lets any device knock the BAL or another device off the broker.
 *
 * The rule, the same on both brokers (cloud/README.md "Client ids"):
 * - a device or a data user connects with its username as client id, nothing else (one
 *   connection per account — Mosquitto can bind no more than one id to an account);
 * - the BAL's and the operator's accounts may also use `<username>@<suffix>` (several BAL
 *   workers or operator tools at once); `@` is in no username (acl.ts USERNAME_RE), so these ids
 *   are reserved to their account.
 * Enforced by embedded-broker.ts (CONNACK 5 "not authorized" otherwise), on Mosquitto by the
 * dynamic-security plugin's per-client `clientid` (devices, data users) or by
 * `use_username_as_clientid` with the password/ACL files (mosquitto-config.ts).
 */
import type { Role } from './acl.js';

/** Between the username and the suffix of a BAL or operator client id. */
export const CLIENT_ID_SEPARATOR = '@';

/** The suffix after `<username>@`: 1..64 of [A-Za-z0-9._:-]. */
export const CLIENT_ID_SUFFIX_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/** The kind of account a login is: a broker account's role, or a data-access user. */
export type ClientIdAccount = Role | 'data';

/** True when `clientId` is one the account `username` of kind `kind` may present. */
export function clientIdAllowed(kind: ClientIdAccount, username: string, clientId: string): boolean {
  if (clientId === username) return true;
  if (kind === 'device' || kind === 'data') return false;
  const prefix = username + CLIENT_ID_SEPARATOR;
  return clientId.startsWith(prefix) && CLIENT_ID_SUFFIX_RE.test(clientId.slice(prefix.length));
}

/** A client id for `username` with `suffix` (`<username>@<suffix>`), for the BAL's and operator's own connections. */
export function suffixedClientId(username: string, suffix: string | number): string {
  return `${username}${CLIENT_ID_SEPARATOR}${suffix}`;
}
