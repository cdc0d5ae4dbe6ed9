/**
 * Node only (node:fs; not for the dashboard bundle). Data stays readable by its own user only
 * (issue 17: the BAL's bal.db and the agent's spool.db and signer cache were 0644 in 0755
 * folders): files 0600, folders created here 0700. SQLite gives the -wal/-shm files it creates the
 * database file's mode, so making the database file 0600 before SQLite opens it covers them too.
 * A folder that already exists keeps its mode (it may be shared, like /tmp). `bal run` and
 * `lightnode run` also set umask 077, and their systemd units `UMask=0077`. Used by the BAL's
 * SQLite store and the agent's spool, signer cache, PMU frame sink and data-dir lock.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/** Create `dir` (and missing parents) with mode 0700; an existing folder is left as it is. */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** Create `path` empty with mode 0600 if missing (its folder 0700), else make it 0600. */
export function ensurePrivateFile(path: string): void {
  ensurePrivateDir(dirname(path));
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

/** Prepare a SQLite database file: 0600 itself, and its -wal/-shm/-journal files if they exist. */
export function ensurePrivateSqlite(path: string): void {
  if (path === ':memory:' || path === '') return;
  ensurePrivateFile(path);
  for (const side of ['-wal', '-shm', '-journal']) if (existsSync(path + side)) chmodSync(path + side, 0o600);
}
