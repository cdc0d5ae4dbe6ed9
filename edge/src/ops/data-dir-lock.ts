/**
 * One data directory, one agent (issue 17, defect 2: two agents on one config fought over the
 * spool — "database is locked" — and the MQTT session, 2.3 takeovers a second). The agent holds
 * `<dataDir>/agent.lock`, created exclusively (O_EXCL) with its pid; a second agent finds it and
 * refuses to start with EDGE_DATA_DIR_LOCKED naming the holder. A lock whose process is gone (a
 * SIGKILL, a power cut) is stale and taken over: its pid is dead, or alive but another process
 * (pids are reused after a reboot: the boot id and the process start time are recorded too).
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { ensurePrivateDir } from '@lightnode/shared/private-files';
import { join } from 'node:path';
import { LightNodeError } from '@lightnode/shared/errors';

export const LOCK_FILE = 'agent.lock';

/** What the lock file holds. */
export interface LockOwner { pid: number; bootId: string | null; startTicks: number | null; startedMs: number }

/** The running system's view of a process, injectable for tests. */
export interface ProcessProbe {
  /** True when a process with this pid exists. */
  alive(pid: number): boolean;
  /** Its start time (Linux /proc/<pid>/stat field 22), null where unknown. */
  startTicks(pid: number): number | null;
  /** This boot's id (Linux /proc/sys/kernel/random/boot_id), null where unknown. */
  bootId(): string | null;
}

const readOrNull = (path: string): string | null => { try { return readFileSync(path, 'utf8'); } catch { return null; } };

/** The probe of this machine (Linux /proc where present). */
export const systemProbe: ProcessProbe = {
  alive(pid) {
    try { process.kill(pid, 0); return true; } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM'; }
  },
  startTicks(pid) {
    const stat = readOrNull(`/proc/${pid}/stat`);
    // Fields after the command (in parentheses, which may hold spaces); starttime is field 22.
    const rest = stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
    const v = rest ? Number(rest[19]) : NaN;
    return Number.isSafeInteger(v) ? v : null;
  },
  bootId() { return readOrNull('/proc/sys/kernel/random/boot_id')?.trim() || null; },
};

/** Parse a lock file's text; null when it is not one (a torn write: treated as stale). */
export function parseLockOwner(text: string): LockOwner | null {
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isSafeInteger(o.pid) || o.pid! <= 0) return null;
    return { pid: o.pid!, bootId: typeof o.bootId === 'string' ? o.bootId : null, startTicks: Number.isSafeInteger(o.startTicks) ? o.startTicks! : null, startedMs: Number(o.startedMs) || 0 };
  } catch { return null; }
}

/** True when `owner` still runs: same boot, pid alive, and (where known) the same process start time. */
export function ownerRuns(owner: LockOwner, probe: ProcessProbe): boolean {
  const boot = probe.bootId();
  if (owner.bootId && boot && owner.bootId !== boot) return false;
  if (!probe.alive(owner.pid)) return false;
  if (owner.startTicks === null) return true;
  const ticks = probe.startTicks(owner.pid);
  return ticks === null || ticks === owner.startTicks;
}

/** A held lock. */
export interface DataDirLock {
  readonly path: string;
  /** The stale owner this lock replaced, if any. */
  readonly replaced: LockOwner | null;
  /** Remove the lock file (idempotent; only while it is still ours). */
  release(): void;
}

export interface AcquireOptions { probe?: ProcessProbe; pid?: number; now?: () => number }

/** Take `<dataDir>/agent.lock`; throws EDGE_DATA_DIR_LOCKED when another running agent holds it. */
export function acquireDataDirLock(dataDir: string, opts: AcquireOptions = {}): DataDirLock {
  const probe = opts.probe ?? systemProbe;
  const pid = opts.pid ?? process.pid;
  const path = join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid, bootId: probe.bootId(), startTicks: probe.startTicks(pid), startedMs: (opts.now ?? Date.now)() };
  const text = `${JSON.stringify(me)}\n`;
  ensurePrivateDir(dataDir);
  let replaced: LockOwner | null = null;
  for (let attempt = 0; ; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 2) throw lockError(path, err);
      const owner = parseLockOwner(readOrNull(path) ?? '');
      // Our own pid: a second agent in this very process (tests, a library user) — still a second agent.
      if (owner && ownerRuns(owner, probe)) {
        throw new LightNodeError('EDGE_DATA_DIR_LOCKED', `data directory ${dataDir} is in use by the agent with pid ${owner.pid} (lock ${path}): one data directory, one agent`, { path, pid: owner.pid });
      }
      replaced = owner ?? { pid: 0, bootId: null, startTicks: null, startedMs: 0 };
      try { unlinkSync(path); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw lockError(path, e); }
      continue;
    }
    try { writeSync(fd, text); } finally { closeSync(fd); }
    break;
  }
  let held = true;
  return {
    path, replaced,
    release() {
      if (!held) return;
      held = false;
      if (parseLockOwner(readOrNull(path) ?? '')?.pid !== pid) return; // not ours any more: leave it
      try { unlinkSync(path); } catch { /* already gone */ }
    },
  };
}

function lockError(path: string, err: unknown): LightNodeError {
  return new LightNodeError('EDGE_DATA_DIR_LOCKED', `lock ${path}: ${(err as Error).message}`, { path }, { cause: err });
}
