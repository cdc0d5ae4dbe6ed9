/**
 * AccessEnforcer (access/types.ts) for the embedded aedes broker: the grant table and the
 * enabled flags live in the broker process (embedded-broker.ts reads them on every CONNECT,
 * SUBSCRIBE and delivery); passwords stay with the access user store, which the broker asks
 * through its `dataUsers` hook.
 *
 * A revoked grant closes the user's connections (besides withholding the next delivery at once):
 * Mosquitto's plugin kicks on `removeClientRole`, so consumers see one behaviour on both brokers
 * — reconnect, resubscribe, and a refused filter (0x80) tells what was revoked — and aedes has no
 * server-side unsubscribe a client would learn of: a silently dropped subscription would leave it
 * waiting on a stream that never delivers.
 */
import type { AccessEnforcer, UserRole } from '../access/types.js';
import type { EmbeddedBroker } from './embedded-broker.js';
import { checkDataUsername } from './grants.js';
import { silentLogger, type Logger } from '../log.js';

export interface EmbeddedEnforcerOptions {
  /** The running embedded broker (`startEmbeddedBroker`). */
  broker: Pick<EmbeddedBroker, 'grants' | 'setDataUserEnabled' | 'disconnectDataUser'>;
  log?: Logger;
}

/** An AccessEnforcer over the embedded broker's grant table. */
export function createEmbeddedEnforcer(opts: EmbeddedEnforcerOptions): AccessEnforcer {
  const { broker } = opts;
  const log = opts.log ?? silentLogger;
  const users = new Map<string, { role: UserRole; enabled: boolean }>();
  return {
    async upsertUser(u) {
      checkDataUsername(u.username);
      const old = users.get(u.username);
      users.set(u.username, { role: u.role, enabled: u.enabled });
      broker.setDataUserEnabled(u.username, u.enabled);
      // A new password or role ends the sessions opened under the old one (as Mosquitto does).
      if (old && (old.role !== u.role || u.password !== undefined)) broker.disconnectDataUser(u.username);
      log.info('broker data user updated', { username: u.username, role: u.role, enabled: u.enabled, passwordChanged: u.password !== undefined });
    },
    async grant(username, topic) {
      if (broker.grants.grant(username, topic)) log.info('broker grant added', { username, topic });
    },
    async revoke(username, topic) {
      if (!broker.grants.revoke(username, topic)) return;
      const closed = broker.disconnectDataUser(username);
      log.info('broker grant revoked', { username, topic, disconnected: closed });
    },
    async reconcile(grants) {
      const { added, removed } = broker.grants.replaceAll(grants);
      for (const username of new Set(removed.map((g) => g.username))) broker.disconnectDataUser(username);
      log.info('broker grants reconciled', { grants: grants.length, added: added.length, removed: removed.length });
    },
    async close() { /* the broker is closed by its owner */ },
  };
}
