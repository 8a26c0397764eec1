import { DEFAULT_MAX_WAIT_MINUTES } from '../../protocol/limits.js';
import { RalphLimits } from '../../protocol/rest/ralph.js';
import { failure, type Result } from '../../protocol/result.js';
import { LIMIT_RESUME_MARGIN_MS, type LimitWaitPolicy } from '../session/limit-pause.js';

/** What a client may ask of a loop it starts (`POST /api/ralph/start`). */
export interface RalphStartOptions {
  readonly minDurationMinutes?: number | null;
  readonly sessionIds?: readonly string[];
  readonly maxCostUsd?: number | null;
  readonly maxWorkers?: number;
  readonly autoResume?: boolean;
  readonly maxWaitMinutes?: number;
}

/** Its limit policy (`autoResume`, `maxWaitMinutes`) is the one every controller shares. */
export interface RalphSettings extends LimitWaitPolicy {
  readonly minDurationMinutes: number | null;
  readonly maxCostUsd: number | null;
  readonly maxWorkers: number;
  readonly sessionIds: readonly string[];
}

/**
 * Sessions the loop keeps running when not told: one agent at a time (each spends money), or as many
 * as the sessions it was given, so that after a restart it brings all of them back.
 */
export const DEFAULT_MAX_WORKERS = 1;

/** Checks a start request once, at the entry, with messages naming the option and the value. */
export function checkStartOptions(
  options: RalphStartOptions,
  sessionExists: (id: string) => boolean,
): Result<{ settings: RalphSettings }> {
  const minDurationMinutes = options.minDurationMinutes ?? null;
  if (minDurationMinutes !== null && !inRange(minDurationMinutes, RalphLimits.maxMinDurationMinutes)) {
    return failure(
      'BAD_REQUEST',
      `minDurationMinutes must be a number > 0 and ≤ ${RalphLimits.maxMinDurationMinutes}, got ${minDurationMinutes}`,
    );
  }
  const maxCostUsd = options.maxCostUsd ?? null;
  if (maxCostUsd !== null && !inRange(maxCostUsd, RalphLimits.maxCostUsd)) {
    return failure(
      'BAD_REQUEST',
      `maxCostUsd must be a number > 0 and ≤ ${RalphLimits.maxCostUsd}, got ${maxCostUsd}`,
    );
  }
  const sessionIds = [...new Set(options.sessionIds ?? [])];
  if (sessionIds.length > RalphLimits.sessionIds) {
    return failure('BAD_REQUEST', `at most ${RalphLimits.sessionIds} sessionIds, got ${sessionIds.length}`);
  }
  const unknown = sessionIds.filter((id) => !sessionExists(id));
  if (unknown.length > 0) return failure('SESSION_NOT_FOUND', `no session ${unknown.join(', ')}`);
  const maxWorkers =
    options.maxWorkers ?? Math.min(Math.max(DEFAULT_MAX_WORKERS, sessionIds.length), RalphLimits.maxWorkers);
  if (!Number.isInteger(maxWorkers) || maxWorkers < 0 || maxWorkers > RalphLimits.maxWorkers) {
    return failure(
      'BAD_REQUEST',
      `maxWorkers must be an integer from 0 to ${RalphLimits.maxWorkers}, got ${maxWorkers}`,
    );
  }
  const maxWaitMinutes = options.maxWaitMinutes ?? DEFAULT_MAX_WAIT_MINUTES;
  if (!inRange(maxWaitMinutes, RalphLimits.maxWaitMinutes)) {
    return failure(
      'BAD_REQUEST',
      `maxWaitMinutes must be a number > 0 and ≤ ${RalphLimits.maxWaitMinutes}, got ${maxWaitMinutes}`,
    );
  }
  const autoResume = options.autoResume ?? true;
  return {
    ok: true,
    settings: Object.freeze({
      minDurationMinutes,
      maxCostUsd,
      maxWorkers,
      sessionIds,
      autoResume,
      maxWaitMinutes,
    }),
  };
}

function inRange(value: number, max: number): boolean {
  return Number.isFinite(value) && value > 0 && value <= max;
}

export interface RalphTiming {
  /** A task without its own timeout gets this long, from assignment to marker (ms). */
  readonly taskTimeoutMs: number;
  /** How long a started worker may take to show its prompt (ms). */
  readonly workerStartTimeoutMs: number;
  /** Period of the re-evaluation that catches what sends no event: cost, time, deleted sessions (ms). */
  readonly tickMs: number;
  /** Waited past a usage limit's reset before tasks are handed out again (ms). */
  readonly limitResumeMarginMs: number;
}

export const DEFAULT_RALPH_TIMING: RalphTiming = {
  // Half an hour: a long agent turn with builds and tests fits; a stuck one frees its worker.
  taskTimeoutMs: 30 * 60 * 1000,
  // The CLI shows its prompt within seconds; a minute allows a loaded machine.
  workerStartTimeoutMs: 60 * 1000,
  // Costs arrive from sessions without a signal; a second is soon enough to stop a budget.
  tickMs: 1000,
  limitResumeMarginMs: LIMIT_RESUME_MARGIN_MS,
};

/** A task handed to agents this often without an outcome (their sessions died) is given up. */
export const MAX_TASK_ATTEMPTS = 3;
/** Workers failing to start this many times in a row means the CLI cannot start: stop, don't spin. */
export const MAX_WORKER_START_FAILURES = 3;
/** Interrupts the agent's turn (Esc), as a person would. */
export const INTERRUPT_KEY = '\x1b';

export const RalphStopReason = {
  requested: 'stopped by request',
  done: 'all tasks done',
  budget: (spent: number, limit: number): string =>
    `budget reached: $${spent.toFixed(4)} spent of $${limit.toFixed(4)}`,
  limit: (until: number, why: string): string =>
    `usage limit until ${new Date(until).toISOString()} (${why})`,
} as const;
