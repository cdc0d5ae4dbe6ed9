/**
 * AccessEnforcer (access/types.ts) for Mosquitto 2.0 with the dynamic-security plugin, at run
 * time over its control topic (dynsec-control.ts; reference mosquitto-dynsec.md):
 * - one plugin client per data user, marked by its textname (`lightnode data user <role>`), so
 *   a device, BAL or operator account of the static config is never taken over; its `clientid`
 *   is its username (client-id.ts), so it can take over no other connection;
 * - one role per grant, `lightnode-grant-<username>-<pod>`, allowing `subscribePattern` and
 *   `publishClientReceive` on the stream's delivery topics — JSON, `/cim-xml`, `/cim-json`
 *   (2.0 has no `%u`/`%c`, §4.1); roles of an older BAL get the CIM ACLs added — attached with
 *   `addClientRole`; an admin gets the shared role `lightnode-data-admin` on `certified/#`;
 * - revoke = `removeClientRole` + `deleteRole`; the plugin then kicks the user's clients (§4.2)
 *   and checks receive per message, so the stream stops at once.
 * The admin account the BAL controls the plugin with is never the target of a change (a change
 * to its own policy kicks it before the PUBACK, §4.2).
 * Priorities: every role here only allows, on disjoint topics, over a deny default, so their
 * order cannot change a decision; they are explicit anyway (grant roles 1, admin role 2; in a
 * role subscribe 2, receive 1) rather than left to the tie-break by name.
 */
import { parseCertifiedTopic } from '@lightnode/shared/topics';
import type { AccessEnforcer } from '../access/types.js';
import { ADMIN_DATA_FILTER, checkDataUsername, checkGrant, grantTopics } from './grants.js';
import { connectDynsecControl, dynsecFailure, type DynsecCommand, type DynsecControl, type DynsecControlOptions } from './dynsec-control.js';
import { silentLogger, type Logger } from '../log.js';

export const GRANT_ROLE_PREFIX = 'lightnode-grant-';
export const DATA_ADMIN_ROLE = 'lightnode-data-admin';
const TEXTNAME_PREFIX = 'lightnode data user';

/** The plugin role of one grant; the PoD (no `-` in it) is the last segment, so names never collide. */
export function grantRoleName(username: string, topic: string): string {
  checkGrant(username, topic);
  return `${GRANT_ROLE_PREFIX}${username}-${parseCertifiedTopic(topic)!.pod}`;
}

type RoleAcl = { acltype: string; topic: string; priority: number; allow: boolean };
const topicAcls = (topic: string): RoleAcl[] => [
  { acltype: 'subscribePattern', topic, priority: 2, allow: true },
  { acltype: 'publishClientReceive', topic, priority: 1, allow: true },
];
/** A grant role's ACLs: every delivery format of the stream (grants.ts `grantTopics`). */
const grantAcls = (stream: string): RoleAcl[] => grantTopics(stream).flatMap(topicAcls);
const ACL_EXISTS = 'ACL with this topic already exists';

export interface DynsecEnforcerOptions {
  control: DynsecControl;
  /** The admin username `control` is connected as: refused as a data user. */
  adminUsername: string;
  log?: Logger;
}

interface PluginClient { textname: string | null; clientid: string | null; roles: Set<string>; disabled: boolean }

/** An AccessEnforcer over a connected control client; `close()` closes the control client. */
export function createDynsecEnforcer(opts: DynsecEnforcerOptions): AccessEnforcer {
  const { control } = opts;
  const log = opts.log ?? silentLogger;

  function refuseAdmin(username: string, command: string): void {
    if (username === opts.adminUsername) throw dynsecFailure({ command, username }, 'refused: the dynamic-security admin account itself is never changed');
  }

  /** The plugin's view of a client; null when it does not exist. */
  function pluginClient(answer: { error: string | null; data: Record<string, unknown> | null }, username: string): PluginClient | null {
    if (answer.error === 'Client not found') return null;
    if (answer.error !== null) throw dynsecFailure({ command: 'getClient', username }, answer.error);
    const c = answer.data?.['client'] as Record<string, unknown> | undefined;
    const roles = Array.isArray(c?.['roles']) ? (c!['roles'] as unknown[]).map((r) => (r as { rolename?: unknown })?.rolename).filter((r): r is string => typeof r === 'string') : null;
    if (!c || roles === null) throw dynsecFailure({ command: 'getClient', username }, 'answer without data.client.roles');
    return { textname: typeof c['textname'] === 'string' ? c['textname'] : null, clientid: typeof c['clientid'] === 'string' ? c['clientid'] : null, roles: new Set(roles), disabled: c['disabled'] === true };
  }

  const isDataUser = (c: PluginClient): boolean => c.textname?.startsWith(TEXTNAME_PREFIX) ?? false;

  async function getClients(usernames: readonly string[]): Promise<Map<string, PluginClient | null>> {
    const answers = await control.send(usernames.map((username) => ({ command: 'getClient', username })));
    return new Map(usernames.map((u, i) => [u, pluginClient(answers[i]!, u)]));
  }

  async function ensureAdminRole(): Promise<void> {
    await control.run([{ command: 'createRole', rolename: DATA_ADMIN_ROLE, textname: 'Light Node data admin: every certified stream', acls: topicAcls(ADMIN_DATA_FILTER) }], { tolerate: ['Role already exists'] });
  }

  /** Commands attaching the missing grant roles of one data-user client (creating the roles). */
  function attach(username: string, client: PluginClient, topics: readonly string[]): DynsecCommand[] {
    const out: DynsecCommand[] = [];
    for (const topic of topics) {
      const rolename = grantRoleName(username, topic);
      out.push({ command: 'createRole', rolename, textname: topic, acls: grantAcls(topic) });
      if (!client.roles.has(rolename)) out.push({ command: 'addClientRole', username, rolename, priority: 1 });
    }
    return out;
  }

  /**
   * A role made before the CIM formats existed covers only the JSON topic: add the ACLs it lacks
   * (an ACL already there answers ACL_EXISTS and changes nothing).
   */
  const upgrade = (rolename: string, topic: string): DynsecCommand[] =>
    grantAcls(topic).filter((a) => a.topic !== topic).map((a) => ({ command: 'addRoleACL', rolename, ...a }));

  function requireDataUser(username: string, c: PluginClient | null | undefined): PluginClient {
    if (!c) throw dynsecFailure({ command: 'getClient', username }, 'Client not found');
    if (!isDataUser(c)) throw dynsecFailure({ command: 'getClient', username }, 'refused: not a data-user client (an account of the static configuration)');
    return c;
  }

  return {
    async upsertUser(u) {
      checkDataUsername(u.username);
      refuseAdmin(u.username, 'upsertUser');
      const textname = `${TEXTNAME_PREFIX} ${u.role}`;
      if (u.role === 'admin') await ensureAdminRole();
      const roles = u.role === 'admin' ? [{ rolename: DATA_ADMIN_ROLE, priority: 2 }] : [];
      const created = await control.run([{ command: 'createClient', username: u.username, clientid: u.username, textname, roles, ...(u.password !== undefined ? { password: u.password } : {}) }], { tolerate: ['Client already exists'] });
      const cmds: DynsecCommand[] = [];
      if (created[0]!.error === null) {
        if (!u.enabled) cmds.push({ command: 'disableClient', username: u.username });
      } else {
        const c = requireDataUser(u.username, (await getClients([u.username])).get(u.username));
        if (u.password !== undefined) cmds.push({ command: 'setClientPassword', username: u.username, password: u.password });
        if (c.textname !== textname) cmds.push({ command: 'modifyClient', username: u.username, textname });
        // A data user created before ids were bound gets its binding now (one kick, as any change).
        if (c.clientid !== u.username) cmds.push({ command: 'setClientId', username: u.username, clientid: u.username });
        const isAdmin = c.roles.has(DATA_ADMIN_ROLE);
        if (u.role === 'admin' && !isAdmin) cmds.push({ command: 'addClientRole', username: u.username, rolename: DATA_ADMIN_ROLE, priority: 2 });
        if (u.role !== 'admin' && isAdmin) cmds.push({ command: 'removeClientRole', username: u.username, rolename: DATA_ADMIN_ROLE });
        if (u.enabled === c.disabled) cmds.push({ command: u.enabled ? 'enableClient' : 'disableClient', username: u.username });
      }
      if (cmds.length > 0) await control.run(cmds); // one message: one kick of the user's clients
      log.info('broker data user updated', { username: u.username, role: u.role, enabled: u.enabled, created: created[0]!.error === null, passwordChanged: u.password !== undefined });
    },

    async grant(username, topic) {
      checkGrant(username, topic);
      refuseAdmin(username, 'addClientRole');
      const c = requireDataUser(username, (await getClients([username])).get(username));
      const cmds = attach(username, c, [topic]);
      const answers = await control.run(cmds, { tolerate: ['Role already exists'] });
      if (answers[0]!.error === 'Role already exists') await control.run(upgrade(grantRoleName(username, topic), topic), { tolerate: [ACL_EXISTS] });
      if (cmds.length > 1) log.info('broker grant added', { username, topic });
    },

    async revoke(username, topic) {
      const rolename = grantRoleName(username, topic);
      refuseAdmin(username, 'removeClientRole');
      // Idempotent: a grant already gone (or a user already deleted) is not an error.
      await control.run([{ command: 'removeClientRole', username, rolename }, { command: 'deleteRole', rolename }], { tolerate: ['Role not found', 'Client not found'] });
      log.info('broker grant revoked', { username, topic });
    },

    async reconcile(grants) {
      const want = new Map<string, { username: string; topic: string }>();
      for (const g of grants) { if (g.username === opts.adminUsername) refuseAdmin(g.username, 'addClientRole'); want.set(grantRoleName(g.username, g.topic), g); }
      const listed = await control.run([{ command: 'listRoles', verbose: false, count: -1, offset: 0 }]);
      const names = listed[0]!.data?.['roles'];
      if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw dynsecFailure({ command: 'listRoles' }, 'answer without data.roles');
      const stale = (names as string[]).filter((n) => n.startsWith(GRANT_ROLE_PREFIX) && !want.has(n));
      const byUser = new Map<string, string[]>();
      for (const g of want.values()) (byUser.get(g.username) ?? byUser.set(g.username, []).get(g.username)!).push(g.topic);
      const existing = new Set(names as string[]);
      const clients = await getClients([...byUser.keys()]);
      const cmds: DynsecCommand[] = stale.map((rolename) => ({ command: 'deleteRole', rolename }));
      let skipped = 0;
      for (const [username, topics] of byUser) {
        const c = clients.get(username);
        if (!c || !isDataUser(c)) { skipped += topics.length; log.warn('broker grant skipped: no such data-user client', { username, grants: topics.length }); continue; }
        cmds.push(...attach(username, c, topics));
        for (const topic of topics) {
          const rolename = grantRoleName(username, topic);
          if (existing.has(rolename)) cmds.push(...upgrade(rolename, topic));
        }
      }
      await control.run(cmds, { tolerate: ['Role already exists', 'Role not found', ACL_EXISTS] });
      log.info('broker grants reconciled', { grants: want.size, removed: stale.length, skipped, commands: cmds.length });
    },

    close: () => control.close(),
  };
}

/** Connect the control client (as the dynsec admin) and build the enforcer on it. */
export async function startDynsecEnforcer(opts: DynsecControlOptions): Promise<AccessEnforcer> {
  const control = await connectDynsecControl(opts);
  return createDynsecEnforcer({ control, adminUsername: opts.username, log: opts.log });
}

