import type { LimitReasons } from '../../util/limit-reasons.js';
/** Timing of scheduled runs (ms). Every wait goes through the Clock, so tests advance time instead of sleeping. */
export const ScheduledTiming = {
  /**
   * How often a running run publishes `scheduled:updated` between iterations: 10 s keeps a countdown
   * in the UI honest (it interpolates from `endAt` in between) at one small event per run.
   */
  tickIntervalMs: 10_000,
  /**
   * First pause after a failed iteration, doubled per consecutive failure: a CLI that fails at once
   * (missing login, bad working directory contents) must not be respawned in a tight loop.
   */
  failureBackoffInitialMs: 1_000,
  /** Longest pause between failed iterations: a minute still retries soon after the cause is fixed. */
  failureBackoffMaxMs: 60_000,
  /**
   * How long an iteration still running at `endAt` may go on. It is allowed to finish (killing it would
   * lose its result and its cost, which the budget needs), but not forever: 5 minutes is ample to
   * wrap up for an agent that was told the time left.
   */
  overrunGraceMs: 5 * 60_000,
} as const;

/** Sizes that keep scheduled runs bounded in memory, in the store and in every event. */
export const ScheduledLimits = {
  /** Log lines kept per run (the most recent): a run's event and row stay a few tens of KiB. */
  logLines: 100,
  /** Longest log line (characters); CLI errors can be long, their start says what happened. */
  logMessageChars: 500,
  /** Runs running at once: each holds a session and a CLI process; more is a mistake, not a workload. */
  activeRuns: 20,
  /** Finished runs kept (the oldest go first), so the list and the store do not grow forever. */
  finishedRuns: 100,
  /** Longest duration (minutes): a week; longer unattended work belongs to a service, not a run. */
  durationMinutes: 7 * 24 * 60,
} as const;

/** Only the bound on running runs is an operator's concern; the rest shape what a run keeps. */
export const SCHEDULED_LIMIT_REASONS: LimitReasons<typeof ScheduledLimits> = {
  activeRuns: {
    metric: 'max_scheduled_runs',
    reason: 'Scheduled runs running at once (429 beyond); each holds a session and a CLI process.',
  },
  logLines: null,
  logMessageChars: null,
  finishedRuns: null,
  durationMinutes: null,
};
