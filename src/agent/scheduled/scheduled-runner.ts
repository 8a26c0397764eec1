import { randomUUID } from 'node:crypto';
import type { ApiErrorCode } from '../../protocol/errors.js';
import type { ScheduledEvent } from '../../protocol/events.js';
import { MAX_LIMIT_WAIT_MINUTES } from '../../protocol/limits.js';
import type { ScheduledRun } from '../../protocol/rest/scheduled.js';
import { failure, type Result } from '../../protocol/result.js';
import type { ScheduledRunRepository } from '../../store/scheduled-runs.js';
import { type StorageErrorCode, tryWrite } from '../../store/storage-errors.js';
import type { Clock } from '../../supervisor/clock.js';
import { resolveWorkingDir } from '../cases/working-dir.js';
import { DEFAULT_LIMIT_WAIT, LIMIT_RESUME_MARGIN_MS } from '../session/limit-pause.js';
import type { IterationSessions } from './iteration-sessions.js';
import { ScheduledLimits } from './limits.js';
import { appendLog } from './run-log.js';
import { ScheduledRunLoop } from './scheduled-run-loop.js';

const MINUTE_MS = 60_000;

/** Why a run is stopped by DELETE /api/scheduled/:id. */
export const CANCELLED_REASON = 'cancelled by request';
/** Why a run whose end passed while no server ran is completed at start-up. */
export const ENDED_WHILE_DOWN_REASON = 'the scheduled time ended while the server was not running';

/** How scheduled runs fail: codes of the REST API, so each one has its HTTP status. */
export type ScheduledErrorCode =
  | Extract<ApiErrorCode, 'BAD_REQUEST' | 'INVALID_PATH' | 'SCHEDULED_RUN_LIMIT' | 'SCHEDULED_RUN_NOT_FOUND'>
  | StorageErrorCode;

export interface ScheduledRunnerOptions {
  readonly repository: ScheduledRunRepository;
  readonly sessions: IterationSessions;
  readonly clock: Clock;
  readonly publish: (event: ScheduledEvent) => void;
  /** Base for relative working directories (the cases root), as for sessions. */
  readonly casesRoot: string;
  /** Deadline of one iteration's CLI run (ms): the server's one-shot timeout. */
  readonly iterationTimeoutMs: number;
  /** Waited past a usage limit's reset before the next iteration (ms; default a minute). */
  readonly limitResumeMarginMs?: number;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
}

export interface CreateScheduledRunRequest {
  readonly prompt: string;
  readonly workingDir?: string;
  /** Minutes, fractions allowed, > 0. */
  readonly durationMinutes: number;
  /** Stop once the iterations have cost this much (USD); none when absent or null. */
  readonly maxCostUsd?: number | null;
  /** At a usage limit: wait for its reset and go on (default true), for at most `maxWaitMinutes`. */
  readonly autoResume?: boolean;
  readonly maxWaitMinutes?: number;
}

/** All scheduled runs: creation, lookup, cancellation, restoration after a restart, and retention. */
export class ScheduledRunner {
  /** In creation order (a Map keeps insertion order), which is the list's order. */
  private readonly runs = new Map<string, ScheduledRunLoop>();

  constructor(private readonly options: ScheduledRunnerOptions) {}

  create(request: CreateScheduledRunRequest): Result<{ run: ScheduledRun }, ScheduledErrorCode> {
    const invalid = validate(request);
    if (invalid !== null) return failure('BAD_REQUEST', invalid);
    const active = [...this.runs.values()].filter((loop) => loop.isRunning).length;
    if (active >= ScheduledLimits.activeRuns) {
      return failure(
        'SCHEDULED_RUN_LIMIT',
        `at most ${ScheduledLimits.activeRuns} scheduled runs at once; stop one first`,
      );
    }
    // No directory given: the cases root (as for sessions), never the server's working directory.
    const dir = resolveWorkingDir(request.workingDir ?? this.options.casesRoot, this.options.casesRoot);
    if (!dir.ok) return failure('INVALID_PATH', dir.error);
    const now = this.options.clock.now();
    const run: ScheduledRun = {
      id: randomUUID(),
      prompt: request.prompt,
      workingDir: dir.path,
      durationMinutes: request.durationMinutes,
      startedAt: now,
      endAt: now + request.durationMinutes * MINUTE_MS,
      status: 'running',
      sessionId: null,
      completedTasks: 0,
      totalCost: 0,
      maxCostUsd: request.maxCostUsd ?? null,
      logs: [],
      stopReason: null,
      autoResume: request.autoResume ?? DEFAULT_LIMIT_WAIT.autoResume,
      maxWaitMinutes: request.maxWaitMinutes ?? DEFAULT_LIMIT_WAIT.maxWaitMinutes,
      pausedUntil: null,
    };
    // The intent is stored before anything runs, so a crash right after still knows the run; a store
    // that cannot take it refuses the run (nothing was started).
    const stored = tryWrite(() => this.options.repository.save(run));
    if (stored !== null) return stored;
    const loop = this.build(run);
    this.options.publish({
      kind: 'scheduled:created',
      data: { id: run.id, prompt: run.prompt, duration: run.durationMinutes },
      ts: now,
    });
    loop.start();
    return { ok: true, run: loop.snapshot() };
  }

  list(): ScheduledRun[] {
    return [...this.runs.values()].map((loop) => loop.snapshot());
  }

  get(id: string): ScheduledRun | undefined {
    return this.runs.get(id)?.snapshot();
  }

  /**
   * Stops a run (its iteration too) with status `stopped`; resolves once its session is gone. A run
   * that already ended stays as it is. The stop is written before it is made: a store that cannot
   * take it leaves the run running (STORAGE_FULL, STORAGE_UNAVAILABLE).
   */
  async cancel(id: string): Promise<Result<object, ScheduledErrorCode>> {
    const loop = this.runs.get(id);
    if (loop === undefined) return failure('SCHEDULED_RUN_NOT_FOUND', `no scheduled run ${id}`);
    if (loop.isRunning) {
      const stopped: ScheduledRun = {
        ...loop.snapshot(),
        status: 'stopped',
        stopReason: CANCELLED_REASON,
        sessionId: null,
      };
      const stored = tryWrite(() => this.options.repository.save(stopped));
      if (stored !== null) return stored;
    }
    await loop.stop(CANCELLED_REASON);
    return { ok: true };
  }

  /**
   * Loads the stored runs. A run that was running resumes with a new iteration if its end is still
   * ahead, and is completed if its end passed while no server ran. Returns how many were loaded.
   */
  restore(): number {
    const now = this.options.clock.now();
    const resumed: ScheduledRunLoop[] = [];
    for (const stored of this.options.repository.loadAll()) {
      if (stored.status !== 'running') {
        this.build(stored);
        continue;
      }
      if (stored.endAt > now) {
        resumed.push(this.build(stored));
        continue;
      }
      const completed: ScheduledRun = {
        ...stored,
        status: 'completed',
        sessionId: null,
        stopReason: ENDED_WHILE_DOWN_REASON,
        logs: appendLog(stored.logs, now, `completed: ${ENDED_WHILE_DOWN_REASON}`),
      };
      this.save(completed);
      this.build(completed);
      // Its interrupted iteration's session (after a kill -9) is of no use any more.
      if (stored.sessionId !== null) this.removeStaleSession(stored.sessionId);
    }
    for (const loop of resumed) loop.resume();
    this.prune();
    return this.runs.size;
  }

  /**
   * Server shutdown: every running run stops its iteration and removes the session, but stays
   * `running` in the store, so the next server resumes it.
   */
  async shutdown(): Promise<void> {
    await Promise.all([...this.runs.values()].map((loop) => loop.suspend()));
  }

  private removeStaleSession(sessionId: string): void {
    this.options.sessions.delete(sessionId).catch((error: unknown) => {
      this.options.warn('session of an interrupted iteration not removed', {
        sessionId,
        error: (error as Error).message,
      });
    });
  }

  private build(run: ScheduledRun): ScheduledRunLoop {
    const loop = new ScheduledRunLoop(run, {
      sessions: this.options.sessions,
      clock: this.options.clock,
      publish: this.options.publish,
      save: (state) => this.save(state),
      iterationTimeoutMs: this.options.iterationTimeoutMs,
      limitResumeMarginMs: this.options.limitResumeMarginMs ?? LIMIT_RESUME_MARGIN_MS,
      ended: () => this.prune(),
    });
    this.runs.set(run.id, loop);
    return loop;
  }

  /** Drops the oldest finished runs beyond ScheduledLimits.finishedRuns, from memory and the store. */
  private prune(): void {
    const finished = [...this.runs.values()].filter((loop) => !loop.isRunning);
    for (const loop of finished.slice(0, Math.max(0, finished.length - ScheduledLimits.finishedRuns))) {
      this.runs.delete(loop.id);
      try {
        this.options.repository.deleteEventually(loop.id);
      } catch (error) {
        this.options.warn('finished scheduled run not removed from the store', {
          runId: loop.id,
          error: (error as Error).message,
        });
      }
    }
  }

  /** The run's own progress: written now, or by the store as soon as it takes writes again. */
  private save(run: ScheduledRun): void {
    try {
      this.options.repository.saveEventually(run);
    } catch (error) {
      // Not a storage fault (those are kept for later): a bug, reported; the run goes on.
      this.options.warn('scheduled run state not persisted', {
        runId: run.id,
        error: (error as Error).message,
      });
    }
  }
}

/** Checks a request the REST schema already validated, for callers that are not the REST API. */
function validate(request: CreateScheduledRunRequest): string | null {
  if (typeof request.prompt !== 'string' || request.prompt.trim() === '') {
    return 'prompt must be a non-empty string';
  }
  const duration = request.durationMinutes;
  if (!Number.isFinite(duration) || duration <= 0 || duration > ScheduledLimits.durationMinutes) {
    return `durationMinutes must be a number above 0 and at most ${ScheduledLimits.durationMinutes}, got ${String(duration)}`;
  }
  const max = request.maxCostUsd;
  if (max !== undefined && max !== null && !(Number.isFinite(max) && max > 0)) {
    return `maxCostUsd must be a number above 0, got ${String(max)}`;
  }
  const wait = request.maxWaitMinutes;
  if (wait !== undefined && !(Number.isFinite(wait) && wait > 0 && wait <= MAX_LIMIT_WAIT_MINUTES)) {
    return `maxWaitMinutes must be a number above 0 and at most ${MAX_LIMIT_WAIT_MINUTES}, got ${String(wait)}`;
  }
  return null;
}
