/**
 * API authentication: an API key (`X-API-Key`) or a bearer token (`Authorization: Bearer …`)
 * maps to a client with a role. `dso` reads everything; `consumer` only its own PoDs. The
 * config holds SHA-256 hashes of the secrets, never the secrets (`bal api-key` makes a pair).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { ApiClient, ApiRole } from '../config.js';
import { unauthorized } from './api-error.js';

export interface Principal { name: string; role: ApiRole; /** null = all PoDs (dso). */ pods: ReadonlySet<string> | null }

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

  constructor(clients: readonly ApiClient[]) {
    for (const c of clients) {
      const p: Principal = { name: c.name, role: c.role, pods: c.role === 'dso' ? null : new Set(c.pods) };
      if (c.apiKeyHash) this.byKey.set(c.apiKeyHash, p);
      if (c.tokenHash) this.byToken.set(c.tokenHash, p);
    }
  }

  /** The principal of a request's headers; throws 401 when absent or unknown. */
  authenticate(headers: { [k: string]: string | string[] | undefined }): Principal {
    const key = headers['x-api-key'];
    if (typeof key === 'string' && key.length > 0 && key.length <= 512) {
      const p = this.byKey.get(secretHash(key));
      if (p) return p;
      throw unauthorized();
    }
    const auth = headers.authorization;
    if (typeof auth === 'string' && auth.length <= 600) {
      const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(auth);
      const p = m ? this.byToken.get(secretHash(m[1]!)) : undefined;
      if (p) return p;
    }
    throw unauthorized();
  }
}

/** May the principal see this PoD? */
export function canSeePod(p: Principal, pod: string): boolean {
  return p.pods === null || p.pods.has(pod);
}
