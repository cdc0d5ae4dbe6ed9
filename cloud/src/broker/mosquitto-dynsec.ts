/**
 * The broker policy as a Mosquitto 2 dynamic-security plugin file (`dynamic-security.json`,
 * loaded with `plugin …/mosquitto_dynamic_security.so` + `plugin_opt_config_file`): the same
 * accounts and the same rule table (acl.ts) as the embedded broker and the `acl_file` export.
 * The plugin of Mosquitto 2.0 does not substitute `%u` in ACL topics, so a role whose rules
 * name the username (`device`: `ln/v1/%u/…`) becomes one role per account with the username
 * written in (`lightnode-device-IT001E12345678`); roles without `%u` (`bal`, `operator`) are one
 * shared role each. Default access is deny for publish, delivery and subscribe, so only the
 * table's rules grant. Each device is bound to its client id (`clientid` = its username,
 * client-id.ts). With `admin`, the file also holds the account the BAL changes the policy
 * with at run time (dynsec-control.ts): the plugin's admin role on `$CONTROL/dynamic-security/#`
 * only — it reads and writes no application topic.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { ACL, ROLES, type Role } from './acl.js';
import type { BrokerAccount } from './credentials.js';

/** An account whose password hash the plugin cannot take (only `$7$` PBKDF2-SHA512 can be carried over). */
export const BAL_BROKER_DYNSEC_HASH = 'BAL_BROKER_DYNSEC_HASH';

export interface DynsecAcl { acltype: 'publishClientSend' | 'publishClientReceive' | 'subscribePattern'; topic: string; priority: number; allow: boolean }
/** `clientid`: the only client id the plugin lets this account connect with (client-id.ts: a device's is its username). */
export interface DynsecClient { username: string; clientid?: string; textname: string; roles: { rolename: string }[]; password: string; salt: string; iterations: number }
export interface DynsecConfig {
  defaultACLAccess: { publishClientSend: boolean; publishClientReceive: boolean; subscribe: boolean; unsubscribe: boolean };
  clients: DynsecClient[];
  groups: never[];
  roles: { rolename: string; textname: string; acls: DynsecAcl[] }[];
}

const HASH7_RE = /^\$7\$(\d{1,9})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

const perAccount = (role: Role): boolean => [...ACL[role].publish, ...ACL[role].subscribe].some((t) => t.includes('%u'));

/** The plugin's role name for an account: per account where the rules name the username. */
export const dynsecRoleName = (a: Pick<BrokerAccount, 'role' | 'username'>): string =>
  (perAccount(a.role) ? `lightnode-${a.role}-${a.username}` : `lightnode-${a.role}`);

function roleAcls(role: Role, username: string | null): DynsecAcl[] {
  const allow = (acltype: DynsecAcl['acltype'], topic: string): DynsecAcl =>
    ({ acltype, topic: username === null ? topic : topic.split('%u').join(username), priority: 0, allow: true });
  return [
    ...ACL[role].publish.map((t) => allow('publishClientSend', t)),
    // A subscription is granted only inside a pattern; each delivery is checked again.
    ...ACL[role].subscribe.map((t) => allow('subscribePattern', t)),
    // The plugin checks a shared subscription with its `$share/<group>/` prefix (acl.ts strips it).
    ...(username === null ? ACL[role].subscribe.map((t) => allow('subscribePattern', `$share/+/${t}`)) : []),
    ...ACL[role].subscribe.map((t) => allow('publishClientReceive', t)),
  ];
}

/** The role of the run-time admin account (the plugin's `mosquitto_ctrl dynsec init` admin, minus `#` and `$SYS`). */
export const DYNSEC_ADMIN_ROLE = 'lightnode-dynsec-admin';
const CONTROL_FILTER = '$CONTROL/dynamic-security/#';

/** The run-time admin account: username and its `$7$` hash (`hashPassword`). */
export interface DynsecAdminAccount { username: string; passwordHash: string }

function client(a: Pick<BrokerAccount, 'username' | 'passwordHash'>, field: string, rolename: string, textname: string, bindClientId = false): DynsecClient {
  const m = HASH7_RE.exec(a.passwordHash);
  if (!m) {
    throw new ValidationError(BAL_BROKER_DYNSEC_HASH, `${field}.passwordHash`,
      'a $7$ (PBKDF2-SHA512) hash — reset this account with `bal passwd`', `${a.passwordHash.slice(0, 3)}… hash of ${a.username}`);
  }
  return { username: a.username, ...(bindClientId ? { clientid: a.username } : {}), textname, roles: [{ rolename }], password: m[3]!, salt: m[2]!, iterations: Number(m[1]) };
}

/** The dynamic-security.json content for these accounts (and the run-time admin, if given). */
export function mosquittoDynsecConfig(accounts: readonly BrokerAccount[], admin: DynsecAdminAccount | null = null): DynsecConfig {
  if (admin && accounts.some((a) => a.username === admin.username)) {
    throw new ValidationError('BAL_CREDENTIALS_INVALID', 'dynsecAdmin.username', 'a username no broker account has', admin.username);
  }
  const control = (acltype: DynsecAcl['acltype']): DynsecAcl => ({ acltype, topic: CONTROL_FILTER, priority: 0, allow: true });
  return {
    defaultACLAccess: { publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true },
    clients: [
      // A device may connect with its username as client id only; the BAL and operator accounts
      // keep `<username>@<suffix>` (several connections), reserved to them as no username has `@`.
      ...accounts.map((a, i) => client(a, `accounts[${i}]`, dynsecRoleName(a), a.role, a.role === 'device')),
      ...(admin ? [client(admin, 'dynsecAdmin', DYNSEC_ADMIN_ROLE, 'Light Node dynamic-security admin')] : []),
    ],
    groups: [],
    roles: [
      ...ROLES.filter((r) => !perAccount(r)).map((role) => ({ rolename: dynsecRoleName({ role, username: '' }), textname: `Light Node ${role}`, acls: roleAcls(role, null) })),
      ...accounts.filter((a) => perAccount(a.role)).map((a) => ({ rolename: dynsecRoleName(a), textname: `Light Node ${a.role} ${a.username}`, acls: roleAcls(a.role, a.username) })),
      ...(admin ? [{ rolename: DYNSEC_ADMIN_ROLE, textname: 'Light Node dynamic-security admin', acls: [control('publishClientSend'), control('publishClientReceive'), control('subscribePattern')] }] : []),
    ],
  };
}
