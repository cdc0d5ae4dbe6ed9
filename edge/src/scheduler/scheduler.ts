/**
 * Poll scheduling (issue 4 item 7): per-job fixed intervals (`intervalMs`, drift-free, aligned
 * to multiples of the interval so 1 s PMU-class and 15 min schedules land on the boundary) or
 * node-cron expressions with seconds (`0 *\/15 * * * *`). A job never overlaps itself: a tick
 * that finds the previous run still busy is skipped and counted (`scheduler_skipped_total`).
 * The clock is injected; cron expressions are evaluated with node-cron's matcher on a
 * one-second tick of that clock.
 */
import { createRequire } from 'node:module';
import type { ScheduledTask } from 'node-cron';
import { ValidationError } from '@lightnode/shared/errors';
import { Metrics } from '../ops/metrics.js';
import { systemClock, type Clock } from './clock.js';

export type JobFn = (scheduledMs: number) => Promise<void> | void;
export type JobSchedule = { intervalMs: number } | { cron: string };

interface Job { name: string; schedule: JobSchedule; fn: JobFn; busy: boolean; runAtStart: boolean; matcher?: ScheduledTask }

type NodeCron = typeof import('node-cron');
let cronLib: NodeCron | undefined;
/** node-cron, loaded on first use: most agents only use intervals (≈ 5 MB of RSS saved). */
function cron(): NodeCron {
  cronLib ??= createRequire(import.meta.url)('node-cron') as NodeCron;
  return cronLib;
}

/** Validate a cron expression (6 fields, seconds first) or throw CONFIG_INVALID naming `field`. */
export function validateCron(expr: string, field: string): void {
  if (expr.trim().split(/\s+/).length !== 6 || !cron().validate(expr)) {
    throw new ValidationError('CONFIG_INVALID', field, 'a 6-field node-cron expression with seconds (e.g. "0 */15 * * * *")', expr);
  }
}

/** Runs jobs on their schedules until `stop()`. */
export class Scheduler {
  readonly #clock: Clock;
  readonly #jobs: Job[] = [];
  readonly #timers = new Set<unknown>();
  #running = false;
  readonly #m;
  #onError: (name: string, err: unknown) => void;

  constructor(opts: { clock?: Clock; metrics?: Metrics; onError?: (job: string, err: unknown) => void } = {}) {
    this.#clock = opts.clock ?? systemClock;
    const m = opts.metrics ?? new Metrics();
    this.#m = {
      runs: m.counter('scheduler_runs_total', 'Scheduled job runs, by job'),
      skipped: m.counter('scheduler_skipped_total', 'Ticks skipped because the previous run of the job was still busy, by job'),
      failed: m.counter('scheduler_failed_total', 'Job runs that threw, by job'),
    };
    this.#onError = opts.onError ?? (() => undefined);
  }

  /**
   * Add a job (before or after start). `runAtStart` also runs it once right away, so a meter
   * on a 15-minute schedule still gives its first reading at boot.
   */
  add(name: string, schedule: JobSchedule, fn: JobFn, opts: { runAtStart?: boolean } = {}): void {
    const job: Job = { name, schedule, fn, busy: false, runAtStart: opts.runAtStart ?? false };
    if ('cron' in schedule) {
      validateCron(schedule.cron, `${name}.cron`);
      job.matcher = cron().createTask(schedule.cron, () => undefined);
    } else if (!Number.isSafeInteger(schedule.intervalMs) || schedule.intervalMs < 1) {
      throw new ValidationError('CONFIG_INVALID', `${name}.intervalMs`, 'a positive integer (ms)', schedule.intervalMs);
    }
    this.#jobs.push(job);
    if (this.#running) {
      if (job.runAtStart) this.#run(job, this.#clock.now());
      this.#arm(job);
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    for (const j of this.#jobs) if (j.runAtStart) this.#run(j, this.#clock.now());
    for (const j of this.#jobs.filter((j) => 'intervalMs' in j.schedule)) this.#arm(j);
    if (this.#jobs.some((j) => j.matcher)) this.#armCronTick();
  }

  #later(fn: () => void, ms: number): void {
    const h = this.#clock.setTimeout(() => {
      this.#timers.delete(h);
      if (this.#running) fn();
    }, ms);
    this.#timers.add(h);
  }

  #arm(job: Job): void {
    if (!('intervalMs' in job.schedule)) {
      if (!this.#jobs.some((j) => j !== job && j.matcher)) this.#armCronTick();
      return;
    }
    const every = job.schedule.intervalMs;
    const now = this.#clock.now();
    const due = Math.floor(now / every) * every + every; // next multiple of the interval
    this.#later(() => {
      this.#run(job, due);
      this.#arm(job);
    }, due - now);
  }

  #armCronTick(): void {
    const now = this.#clock.now();
    const due = Math.floor(now / 1000) * 1000 + 1000;
    this.#later(() => {
      const date = new Date(due);
      for (const j of this.#jobs) if (j.matcher && j.matcher.match(date)) this.#run(j, due);
      this.#armCronTick();
    }, due - now);
  }

  #run(job: Job, scheduledMs: number): void {
    if (job.busy) {
      this.#m.skipped.inc({ job: job.name });
      return;
    }
    job.busy = true;
    this.#m.runs.inc({ job: job.name });
    Promise.resolve()
      .then(() => job.fn(scheduledMs))
      .catch((err: unknown) => {
        this.#m.failed.inc({ job: job.name });
        this.#onError(job.name, err);
      })
      .finally(() => {
        job.busy = false;
      });
  }

  /** Stop every schedule (running jobs finish on their own). */
  stop(): void {
    this.#running = false;
    for (const h of this.#timers) this.#clock.clearTimeout(h);
    this.#timers.clear();
    for (const j of this.#jobs) void j.matcher?.destroy();
  }
}
