/**
 * Ctrl-C for a command run through `pnpm` (and `npx`) on a terminal. The terminal turns Ctrl-C
 * into SIGINT for the whole foreground process group: pnpm and the `sh -c` it runs the script
 * with get it too, and dash (Debian's sh) kills itself with SIGINT once its child has exited, even
 * when the child stopped cleanly and exited 0 — so pnpm printed "ELIFECYCLE Command failed" and
 * the shell saw 130. Read as a key in raw mode, Ctrl-C raises no signal at all, and only this
 * process acts on it.
 *
 * Raw mode is taken only when stdin is a terminal and this process is in its foreground group
 * (Linux: /proc/self/stat): a background job changing the terminal's mode would be stopped by
 * SIGTTOU. Node restores the terminal's mode when the process exits.
 */
import { readFileSync } from 'node:fs';

const CTRL_C = 0x03;

/** True when this process belongs to the foreground process group of its controlling terminal. */
function inForeground(): boolean {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // pid (comm) state ppid pgrp session tty_nr tpgid …; comm may hold spaces and parentheses
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[2]) === Number(f[5]);
  } catch {
    return false; // no /proc (macOS): keep the signal path
  }
}

/**
 * Call `onKey` when Ctrl-C is typed on the terminal (no SIGINT is raised then). Returns false,
 * changing nothing, when stdin is not a foreground terminal: SIGINT/SIGTERM handlers do the job.
 */
export function readCtrlCAsKey(onKey: () => void): boolean {
  const stdin = process.stdin;
  if (!stdin.isTTY || !inForeground()) return false;
  stdin.setRawMode(true);
  stdin.on('data', (chunk: Buffer) => { if (chunk.includes(CTRL_C)) onKey(); });
  stdin.resume();
  return true;
}
