import { LIMIT_RESUME_MARGIN_MS, type RalphSettings } from './ralph-settings.js';

/** What a usage limit means for the loop: wait until `resumeAt`, or stop (the wait is not allowed). */
export type LimitDecision =
  | { readonly kind: 'pause'; readonly resumeAt: number }
  | { readonly kind: 'paused-already' }
  | { readonly kind: 'stop' };

/**
 * The Ralph loop's pause at a usage limit: no task is handed out until a margin after the reset (the
 * reset is not to the second), then the loop goes on by itself. A loop told not to wait
 * (`autoResume: false`), or a reset further away than `maxWaitMinutes`, stops instead.
 */
export class LimitPause {
  private until: number | null = null;

  get pausedUntil(): number | null {
    return this.until;
  }

  /** A worker hit a limit that lifts at `limitedUntil`. */
  hit(limitedUntil: number, now: number, settings: RalphSettings): LimitDecision {
    const resumeAt = limitedUntil + LIMIT_RESUME_MARGIN_MS;
    if (!settings.autoResume || resumeAt - now > settings.maxWaitMinutes * 60_000) return { kind: 'stop' };
    if (this.until !== null && this.until >= resumeAt) return { kind: 'paused-already' };
    this.until = resumeAt;
    return { kind: 'pause', resumeAt };
  }

  /** Whether the loop must still wait; the first look after the pause ends returns 'resumed'. */
  check(now: number): 'waiting' | 'resumed' | 'running' {
    if (this.until === null) return 'running';
    if (now < this.until) return 'waiting';
    this.until = null;
    return 'resumed';
  }

  clear(): void {
    this.until = null;
  }
}
