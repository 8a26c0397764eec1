import type { RalphStateRecord } from '../../store/ralph-state.js';
import { DEFAULT_LIMIT_WAIT } from '../session/limit-pause.js';
import { DEFAULT_MAX_WORKERS, type RalphSettings, RalphStopReason } from './ralph-settings.js';

const NO_SETTINGS: RalphSettings = {
  minDurationMinutes: null,
  maxCostUsd: null,
  maxWorkers: DEFAULT_MAX_WORKERS,
  sessionIds: [],
  ...DEFAULT_LIMIT_WAIT,
};

/**
 * What a Ralph run was started with and what it has done: its stored record (store/ralph-state.ts)
 * but for whether it runs and its pool's sessions, which the loop knows. A run restored after a
 * restart keeps counting from its original start.
 */
export class RalphProgress {
  completedCount = 0;
  failedCount = 0;
  /** USD its sessions reported while it ran. */
  totalCost = 0;
  stopReason: string | null = null;

  /** A run started at `startedAt` (null: none started yet), with nothing done. */
  constructor(
    public settings: RalphSettings = NO_SETTINGS,
    readonly startedAt: number | null = null,
  ) {}

  static restored(stored: RalphStateRecord): RalphProgress {
    const progress = new RalphProgress(
      {
        minDurationMinutes: stored.minDurationMinutes,
        maxCostUsd: stored.maxCostUsd,
        maxWorkers: stored.maxWorkers,
        sessionIds: stored.sessionIds,
        autoResume: stored.autoResume,
        maxWaitMinutes: stored.maxWaitMinutes,
      },
      stored.startedAt,
    );
    progress.completedCount = stored.completedCount;
    progress.failedCount = stored.failedCount;
    progress.totalCost = stored.totalCost;
    progress.stopReason = stored.stopReason;
    return progress;
  }

  /** The record to store; a running loop's sessions are its pool's (`poolIds`). */
  record(running: boolean, poolIds: readonly string[], pausedUntil: number | null = null): RalphStateRecord {
    return {
      running,
      startedAt: this.startedAt,
      minDurationMinutes: this.settings.minDurationMinutes,
      maxCostUsd: this.settings.maxCostUsd,
      maxWorkers: this.settings.maxWorkers,
      sessionIds: running ? [...poolIds] : this.settings.sessionIds,
      completedCount: this.completedCount,
      failedCount: this.failedCount,
      totalCost: this.totalCost,
      stopReason: this.stopReason,
      autoResume: this.settings.autoResume,
      maxWaitMinutes: this.settings.maxWaitMinutes,
      pausedUntil: running ? pausedUntil : null,
    };
  }

  /** Why the run must stop once its cost reached the budget; null while it has not (or there is none). */
  budgetReached(): string | null {
    const limit = this.settings.maxCostUsd;
    return limit !== null && this.totalCost >= limit ? RalphStopReason.budget(this.totalCost, limit) : null;
  }

  minDurationReached(now: number): boolean {
    const minutes = this.settings.minDurationMinutes;
    if (minutes === null || this.startedAt === null) return true;
    return now - this.startedAt >= minutes * 60 * 1000;
  }
}
