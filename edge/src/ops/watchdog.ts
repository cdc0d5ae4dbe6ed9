/**
 * systemd watchdog: when the unit has `WatchdogSec=` and `Type=notify`, systemd sets
 * NOTIFY_SOCKET (and WATCHDOG_USEC); we send `READY=1` once started and `WATCHDOG=1` at half the
 * watchdog period, only while the agent's own liveness check passes — so a wedged event loop or a
 * stuck spool gets the service restarted. Node has no AF_UNIX datagram sockets, so we call the
 * `systemd-notify` binary (with `--pid` = our pid; NotifyAccess=all in the unit). Without
 * NOTIFY_SOCKET this is a no-op.
 */
import { execFile } from 'node:child_process';

export interface Watchdog { ready(): void; stop(): void }

/** Start pinging systemd if NOTIFY_SOCKET is set. `alive()` gates each ping. */
export function startWatchdog(opts: { env?: NodeJS.ProcessEnv; intervalMs?: number; alive: () => boolean; onError?: (err: Error) => void }): Watchdog {
  const env = opts.env ?? process.env;
  if (!env.NOTIFY_SOCKET) return { ready() {}, stop() {} };
  const usec = Number(env.WATCHDOG_USEC ?? 0);
  const every = opts.intervalMs ?? (usec > 0 ? Math.max(500, Math.floor(usec / 2000)) : 10_000);
  const send = (...args: string[]): void => {
    execFile('systemd-notify', [`--pid=${process.pid}`, ...args], { env: env as NodeJS.ProcessEnv, timeout: 5000 }, (err) => {
      if (err) opts.onError?.(err);
    });
  };
  const timer = setInterval(() => { if (opts.alive()) send('WATCHDOG=1'); }, every);
  timer.unref();
  return {
    ready: () => send('--ready', `--status=running`),
    stop: () => { clearInterval(timer); send('STOPPING=1'); },
  };
}
