/** CPU time of a process or thread from /proc (Linux), for the benches: user + system, µs. */
import { readdirSync, readFileSync } from 'node:fs';

/** µs per clock tick (USER_HZ = 100 on Linux). */
const TICK_US = 1e6 / 100;

/** Fields 14 and 15 (utime, stime) of a /proc stat file, in µs; the command name may hold spaces, so split after its `)`. */
function statCpuUs(path: string): number {
  const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}

/** CPU µs used so far by process `pid`, all its threads (0 once it is gone). */
export function procCpuUs(pid: number): number {
  try { return statCpuUs(`/proc/${pid}/stat`); } catch { return 0; }
}

/** CPU µs used so far by this process's main thread only (the rest is workers, GC, libuv). */
export function mainThreadCpuUs(): number {
  return statCpuUs(`/proc/self/task/${process.pid}/stat`);
}

/** CPU µs used so far by one thread of this process (/proc/self/task/<tid>/stat); 0 once it is gone. */
export function threadCpuUs(tid: number | string): number {
  try { return statCpuUs(`/proc/self/task/${tid}/stat`); } catch { return 0; }
}

/** This process's thread ids (to tell the worker threads a pool started from the others). */
export function threadIds(): string[] {
  return readdirSync('/proc/self/task');
}
