/**
 * API authentication: an API key (`X-API-Key`) or a bearer token (`Authorization: Bearer …`)
 * maps to a DSO machine client, which reads everything. The config holds SHA-256 hashes of the secrets, never the secrets (`bal api-key` makes
 * a pair). A bearer token that is no config client's is looked up as a data user's login
 * session (docs/data-access.md): its PoDs are resolved per request from the user's streams and
 * accepted subscriptions.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiClient, ApiRole } from '../config.js';
import type { UserRole } from '../access/types.js';
import type { AccessUser, DataAccessService } from '../access/service.js';
import { unauthorized } from './api-error.js';
import { hashToken } from '../access/sessions.js';

export type PrincipalRole = ApiRole | UserRole;

export interface Principal {
  name: string;
  role: PrincipalRole;
  /** null = all PoDs (dso, admin). */
  pods: ReadonlySet<string> | null;
  /**
   * The data user, its session token (when the request carried it: logout) and the token's
   * SHA-256 (hex, what the store keeps), for a login session (absent for config clients).
   */
  user?: AccessUser;
  token?: string;
  tokenHash?: string;
}

/**
 * What names a principal outside this process (an event ticket in the store): a config client's
 * name, or a login session's token hash — never a secret.
 */
export type PrincipalRef = { client: string } | { session: string };

const BEARER_RE = /^Bearer ([A-Za-z0-9._~+/=-]+)$/;

/** `sha256:<hex>` of a secret, as stored in the config. */
export function secretHash(secret: string): string {
  return `sha256:${createHash('sha256').update(secret, 'utf8').digest('hex')}`;
}

/** A fresh random secret (32 bytes, base64url) and its config hash. */
export function newSecret(): { secret: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { secret, hash: secretHash(secret) };
}

export class ApiAuth {
  private readonly byKey = new Map<string, Principal>();
  private readonly byToken = new Map<string, Principal>();
  private readonly byName = new Map<string, Principal>();

  constructor(clients: readonly ApiClient[]) {
    for (const c of clients) {
      const p: Principal = { name: c.name, role: c.role, pods: null };
      if (c.apiKeyHash) this.byKey.set(c.apiKeyHash, p);
      if (c.tokenHash) this.byToken.set(c.tokenHash, p);
      this.byName.set(c.name, p);
    }
  }

  /**
   * The principal of a request's headers: a config client, else (with `access`) a data user's
   * session with its visible PoDs. Throws 401 when absent or unknown.
   */
  async authenticate(headers: { [k: string]: string | string[] | undefined }, access?: DataAccessService): Promise<Principal> {
    const key = headers['x-api-key'];
    if (typeof key === 'string' && key.length > 0 && key.length <= 512) {
      const p = this.byKey.get(secretHash(key));
      if (p) return p;
      throw unauthorized();
    }
    const auth = headers.authorization;
    const m = typeof auth === 'string' && auth.length <= 600 ? BEARER_RE.exec(auth) : null;
    if (m) {
      const p = this.byToken.get(secretHash(m[1]!));
      if (p) return p;
      const user = access ? await access.resolveToken(m[1]!) : null;
      if (user) {
        const pods = await access!.visiblePods(user);
        return { name: user.username, role: user.role, pods: pods === null ? null : new Set(pods), user, token: m[1]!, tokenHash: hashToken(m[1]!) };
      }
    }
    throw unauthorized();
  }

  /** The reference to store for `p`. */
  refOf(p: Principal): PrincipalRef {
    return p.tokenHash ? { session: p.tokenHash } : { client: p.name };
  }

  /**
   * The principal a reference names now: a config client (null if no longer configured), or the
   * session's user with its PoDs resolved again (null once the session ended).
   */
  async fromRef(ref: PrincipalRef, access?: DataAccessService): Promise<Principal | null> {
    if ('client' in ref) return this.byName.get(ref.client) ?? null;
    const user = access ? await access.resolveTokenHash(ref.session) : null;
    if (!user) return null;
    const pods = await access!.visiblePods(user);
    return { name: user.username, role: user.role, pods: pods === null ? null : new Set(pods), user, tokenHash: ref.session };
  }
}

/** May the principal see this PoD? */
export function canSeePod(p: Principal, pod: string): boolean {
  return p.pods === null || p.pods.has(pod);
}
