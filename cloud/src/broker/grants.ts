/**
 * Who of the data users (docs/data-access.md "Roles") reads which certified stream, as data:
 * username → the set of stream topics (`certified/v1/{pod}/readings`) it was granted. A
 * consumer's grants are its accepted subscriptions, a producer's its own streams; an admin reads
 * `certified/#` whatever its grants. Pure: the embedded broker asks it on every SUBSCRIBE and
 * every delivery, the enforcers keep it equal to the access service's decisions.
 * A grant names a stream and covers its delivery formats (`certified/v1/{pod}/readings` JSON and
 * its `/cim-xml`, `/cim-json` subtopics, `CERTIFIED_FORMATS`): the consumer picks one by topic.
 */
import { ValidationError } from '@lightnode/shared/errors';
import { CERTIFIED_FORMATS, CERTIFIED_PREFIX, certifiedFormatTopic, parseCertifiedFormatTopic, parseCertifiedTopic } from '@lightnode/shared/topics';
import type { UserRole } from '../access/types.js';
import { USERNAME_RE, filterCoveredBy, topicMatches } from './acl.js';

/** What an admin data user may read: every certified stream. */
export const ADMIN_DATA_FILTER = `${CERTIFIED_PREFIX.split('/')[0]}/#`;

/** One grant: a data user may read one stream topic. */
export interface Grant { username: string; topic: string }

const CODE = 'BAL_BROKER_GRANT_INVALID';

/** Throw unless `username` can be a broker account (it stands in dynsec role names, so no wildcards or `/`). */
export function checkDataUsername(username: string): void {
  if (typeof username !== 'string' || !USERNAME_RE.test(username)) throw new ValidationError(CODE, 'username', 'string of [A-Za-z0-9._:-], 1..128', username);
}

/** Throw unless `username` can be a broker account and `topic` is one certified stream (no wildcards). */
export function checkGrant(username: string, topic: string): void {
  checkDataUsername(username);
  if (parseCertifiedTopic(topic) === null) throw new ValidationError(CODE, 'topic', `a stream topic ${CERTIFIED_PREFIX}/{pod}/readings`, topic);
}

/** The grant table: username → granted stream topics. */
export class GrantTable {
  private readonly byUser = new Map<string, Set<string>>();

  /** Add a grant; false when it was already there. */
  grant(username: string, topic: string): boolean {
    checkGrant(username, topic);
    let set = this.byUser.get(username);
    if (!set) this.byUser.set(username, (set = new Set()));
    if (set.has(topic)) return false;
    set.add(topic);
    return true;
  }

  /** Remove a grant; false when there was none. */
  revoke(username: string, topic: string): boolean {
    const set = this.byUser.get(username);
    if (!set?.delete(topic)) return false;
    if (set.size === 0) this.byUser.delete(username);
    return true;
  }

  has(username: string, topic: string): boolean { return this.byUser.get(username)?.has(topic) ?? false; }

  /** The topics granted to `username` (empty when none). */
  topicsOf(username: string): ReadonlySet<string> { return this.byUser.get(username) ?? EMPTY; }

  list(): Grant[] { return [...this.byUser].flatMap(([username, set]) => [...set].map((topic) => ({ username, topic }))); }

  /** Make the table equal to `grants` (every entry checked first: nothing changes on a bad one); returns what changed. */
  replaceAll(grants: readonly Grant[]): { added: Grant[]; removed: Grant[] } {
    for (const g of grants) checkGrant(g.username, g.topic);
    const want = new Set(grants.map((g) => key(g.username, g.topic)));
    const removed = this.list().filter((g) => !want.has(key(g.username, g.topic)));
    for (const g of removed) this.revoke(g.username, g.topic);
    const added = grants.filter((g) => this.grant(g.username, g.topic));
    return { added, removed };
  }
}

const EMPTY: ReadonlySet<string> = new Set();
const key = (username: string, topic: string): string => `${username}\n${topic}`;

/** The delivery topics a grant of stream `topic` covers (one per format), for ACL tables. */
export function grantTopics(topic: string): string[] {
  const s = parseCertifiedTopic(topic);
  if (!s) throw new ValidationError(CODE, 'topic', `a stream topic ${CERTIFIED_PREFIX}/{pod}/readings`, topic);
  return CERTIFIED_FORMATS.map((f) => certifiedFormatTopic(s.pod, f));
}

/** The granted stream a concrete delivery topic (any format) belongs to, if granted. */
const grantedStream = (granted: ReadonlySet<string>, topic: string): boolean => {
  const d = parseCertifiedFormatTopic(topic);
  return d !== null && granted.has(d.stream);
};

/**
 * May a data user subscribe to `filter`? Admin: inside `certified/#`. Producer and consumer:
 * exactly one delivery topic of a granted stream — a wildcard would reach beyond the grants,
 * and a `$share/…` filter is refused as Mosquitto's dynamic security refuses it without its own ACL.
 */
export function dataMaySubscribe(role: UserRole, granted: ReadonlySet<string>, filter: string): boolean {
  if (role === 'admin') return filterCoveredBy(filter, ADMIN_DATA_FILTER);
  return grantedStream(granted, filter);
}

/** May a data user receive a message on the concrete `topic` (checked on every delivery)? */
export function dataMayReceive(role: UserRole, granted: ReadonlySet<string>, topic: string): boolean {
  if (role === 'admin') return topicMatches(ADMIN_DATA_FILTER, topic);
  return grantedStream(granted, topic);
}
