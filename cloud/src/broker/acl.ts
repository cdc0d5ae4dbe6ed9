/**
 * Who may publish and subscribe where (issue 5 §7), as data: one rule table per role, used by
 * the embedded broker's authorizers and written out as a Mosquitto ACL file. `%u` is the
 * account's username — for a device, its PoD code (DESIGN §4 topic layout `ln/v1/{pod}/…`).
 */

import { CERTIFIED_PREFIX, TOPIC_PREFIX } from '@lightnode/shared/topics';

export type Role = 'device' | 'bal' | 'operator';
export const ROLES: readonly Role[] = ['device', 'bal', 'operator'];

export interface AclRules { publish: readonly string[]; subscribe: readonly string[] }

export { TOPIC_PREFIX };

/**
 * The rule table. A device talks only about its own PoD; the BAL ingests all, acks all and
 * republishes certified readings to data users (docs/data-access.md; their reads: grants.ts).
 */
export const ACL: Readonly<Record<Role, AclRules>> = {
  device: {
    publish: [`${TOPIC_PREFIX}/%u/readings`, `${TOPIC_PREFIX}/%u/status`, `${TOPIC_PREFIX}/%u/activations`],
    subscribe: [`${TOPIC_PREFIX}/%u/ack`, `${TOPIC_PREFIX}/%u/setpoints`],
  },
  bal: {
    publish: [`${TOPIC_PREFIX}/+/ack`, `${CERTIFIED_PREFIX}/+/readings`, `${CERTIFIED_PREFIX}/+/readings/+`],
    subscribe: [`${TOPIC_PREFIX}/+/readings`, `${TOPIC_PREFIX}/+/status`, `${TOPIC_PREFIX}/+/activations`],
  },
  operator: {
    publish: [`${TOPIC_PREFIX}/+/setpoints`],
    subscribe: [`${TOPIC_PREFIX}/#`],
  },
};

/** Usernames that can stand in a topic level (no wildcards, separators or `$`). */
export const USERNAME_RE = /^[A-Za-z0-9._:-]{1,128}$/;

function expand(pattern: string, username: string): string {
  return pattern.split('%u').join(username);
}

/** True when the concrete `topic` matches the filter `pattern` (MQTT wildcard semantics). */
export function topicMatches(pattern: string, topic: string): boolean {
  if (topic.startsWith('$') && !pattern.startsWith('$')) return false;
  const p = pattern.split('/');
  const t = topic.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= t.length) return false;
    if (p[i] !== '+' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}

/** True when every topic the subscription `filter` can match is matched by `pattern`. */
export function filterCoveredBy(filter: string, pattern: string): boolean {
  const f = filter.split('/');
  const p = pattern.split('/');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '#') return true;
    if (i >= f.length) return false;
    if (f[i] === '#') return false;
    if (p[i] === '+') continue;
    if (f[i] === '+' || f[i] !== p[i]) return false;
  }
  return f.length === p.length;
}

/** Strip a `$share/<group>/` prefix (MQTT 5 shared subscription) to the real filter. */
export function unshare(filter: string): string {
  const m = /^\$share\/[^/#+]+\/(.+)$/.exec(filter);
  return m ? m[1]! : filter;
}

/** May `username` with `role` publish on `topic`? */
export function mayPublish(role: Role, username: string, topic: string): boolean {
  if (!USERNAME_RE.test(username) || topic.includes('+') || topic.includes('#')) return false;
  return ACL[role].publish.some((p) => topicMatches(expand(p, username), topic));
}

/** May `username` with `role` subscribe to `filter`? */
export function maySubscribe(role: Role, username: string, filter: string): boolean {
  if (!USERNAME_RE.test(username)) return false;
  const real = unshare(filter);
  return ACL[role].subscribe.some((p) => filterCoveredBy(real, expand(p, username)));
}
