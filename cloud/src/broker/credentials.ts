/**
 * Broker accounts: one JSON credentials file
 * `{ "v": 1, "accounts": [{ "username", "role": "device"|"bal"|"operator", "passwordHash" }] }`
 * with mosquitto-compatible hashes (password-hash.ts), and optionally `natsPasswordHash` (bcrypt of
 * the same password, for a NATS server: nats-config.ts). A device's username is its PoD code,
 * which the ACL substitutes for `%u`.
 */
import { readFileSync } from 'node:fs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ValidationError } from '@lightnode/shared/errors';
import { POD_RE } from '@lightnode/shared/reading';
import { ROLES, USERNAME_RE, type Role } from './acl.js';
import { isPasswordHash, verifyPassword } from './password-hash.js';

export interface BrokerAccount {
  username: string; role: Role; passwordHash: string;
  /** The same password as a bcrypt hash (`$2a$`/`$2b$`), for NATS (`bal nats-config`); written by `bal passwd`. */
  natsPasswordHash?: string;
}

/** A bcrypt hash as nats-server 2.9 accepts in a `password` field. */
export const BCRYPT_RE = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
export interface CredentialsFile { v: 1; accounts: BrokerAccount[] }

const CODE = 'BAL_CREDENTIALS_INVALID';

/** Validate a parsed credentials file. */
export function parseCredentials(x: unknown, source = 'credentials'): CredentialsFile {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw new ValidationError(CODE, source, 'object', x);
  const o = x as Record<string, unknown>;
  if (o.v !== 1) throw new ValidationError(CODE, `${source}.v`, '1', o.v);
  if (!Array.isArray(o.accounts)) throw new ValidationError(CODE, `${source}.accounts`, 'array', o.accounts);
  const seen = new Set<string>();
  const accounts = o.accounts.map((a: unknown, i): BrokerAccount => {
    const f = `${source}.accounts[${i}]`;
    if (typeof a !== 'object' || a === null) throw new ValidationError(CODE, f, 'object', a);
    const { username, role, passwordHash, natsPasswordHash } = a as Record<string, unknown>;
    if (typeof username !== 'string' || !USERNAME_RE.test(username)) throw new ValidationError(CODE, `${f}.username`, 'string of [A-Za-z0-9._:-], 1..128', username);
    if (typeof role !== 'string' || !ROLES.includes(role as Role)) throw new ValidationError(CODE, `${f}.role`, ROLES.join(' | '), role);
    if (role === 'device' && !POD_RE.test(username)) throw new ValidationError(CODE, `${f}.username`, 'a PoD code for a device account', username);
    if (typeof passwordHash !== 'string' || !isPasswordHash(passwordHash)) throw new ValidationError(CODE, `${f}.passwordHash`, 'mosquitto $7$ or $6$ hash', passwordHash);
    if (natsPasswordHash !== undefined && (typeof natsPasswordHash !== 'string' || !BCRYPT_RE.test(natsPasswordHash))) throw new ValidationError(CODE, `${f}.natsPasswordHash`, 'bcrypt hash ($2a$/$2b$)', natsPasswordHash);
    if (seen.has(username)) throw new ValidationError(CODE, `${f}.username`, 'unique username', username);
    seen.add(username);
    return { username, role: role as Role, passwordHash, ...(natsPasswordHash !== undefined ? { natsPasswordHash: natsPasswordHash as string } : {}) };
  });
  return { v: 1, accounts };
}

/** Read and validate a credentials file. */
export function loadCredentialsFile(path: string): CredentialsFile {
  let text: string;
  try { text = readFileSync(path, 'utf8'); } catch (err) {
    throw new ValidationError(CODE, 'broker.credentialsPath', 'a readable file', `${path} (${(err as Error).message})`);
  }
  let parsed: unknown;
  try { parsed = JSON.parse(text); } catch { throw new ValidationError(CODE, path, 'JSON', 'unparsable text'); }
  return parseCredentials(parsed, path);
}

/** Accounts by username with password checks (successful checks cached by password digest). */
export class CredentialStore {
  private readonly accounts = new Map<string, BrokerAccount>();
  private readonly verified = new Map<string, Buffer>();
  private readonly pinned = new Set<string>();

  constructor(accounts: Iterable<BrokerAccount> = []) { for (const a of accounts) this.add(a); }

  /** Add or replace an account; a pinned one (the BAL's internal account) survives `replaceAll`. */
  add(account: BrokerAccount, opts: { pinned?: boolean } = {}): void {
    this.accounts.set(account.username, account);
    this.verified.delete(account.username);
    if (opts.pinned) this.pinned.add(account.username);
  }

  /** Replace every non-pinned account (credentials file reloaded); returns the usernames removed or changed. */
  replaceAll(accounts: Iterable<BrokerAccount>): string[] {
    const next = new Map<string, BrokerAccount>();
    for (const a of accounts) if (!this.pinned.has(a.username)) next.set(a.username, a);
    const gone: string[] = [];
    for (const [name, old] of this.accounts) {
      if (this.pinned.has(name)) continue;
      const now = next.get(name);
      if (!now || now.passwordHash !== old.passwordHash || now.role !== old.role) gone.push(name);
      if (!now) { this.accounts.delete(name); this.verified.delete(name); }
    }
    for (const a of next.values()) {
      const old = this.accounts.get(a.username);
      if (!old || old.passwordHash !== a.passwordHash || old.role !== a.role) this.add(a);
    }
    return gone;
  }
  get(username: string): BrokerAccount | undefined { return this.accounts.get(username); }
  list(): BrokerAccount[] { return [...this.accounts.values()]; }

  /** The account when the password matches, else null. */
  async authenticate(username: string | undefined, password: Uint8Array | string | undefined): Promise<BrokerAccount | null> {
    if (username === undefined || password === undefined) return null;
    const acct = this.accounts.get(username);
    if (!acct) return null;
    const pw = typeof password === 'string' ? password : Buffer.from(password).toString('utf8');
    const d = createHash('sha256').update(acct.passwordHash).update('\0').update(pw).digest();
    const cached = this.verified.get(username);
    if (cached && timingSafeEqual(cached, d)) return acct;
    if (!(await verifyPassword(pw, acct.passwordHash))) return null;
    this.verified.set(username, d);
    return acct;
  }
}
