import { DEFAULT_MAX_WAIT_MINUTES } from '../../protocol/limits.js';

/**
 * What the controllers that keep agents busy unattended (the Ralph loop, scheduled runs, the respawn
 * controller) do at a usage limit: wait until a margin after the reset (the reset is not to the
 * second), then go on by themselves. A controller told not to wait (`autoResume: false`), or a reset
 * further away than `maxWaitMinutes`, stops instead: nobody wants a loop parked for a week unasked.
 */

/** The policy a controller was started with. */
export interface LimitWaitPolicy {
  /** Wait for the limit to lift and go on (default true); false stops at a limit. */
  readonly autoResume: boolean;
  /** Longest wait for a limit to lift (minutes); a later reset stops. */
  readonly maxWaitMinutes: number;
}

export const DEFAULT_LIMIT_WAIT: LimitWaitPolicy = {
  autoResume: true,
  maxWaitMinutes: DEFAULT_MAX_WAIT_MINUTES,
};
/**
 * Waited past a limit's reset before work resumes (ms): a minute, because the reset time is rounded
 * and clocks differ. The server's `CLAUDEMAN_LIMIT_RESUME_MARGIN_MS` changes it (tests shorten it).
 */
export const LIMIT_RESUME_MARGIN_MS = 60_000;

/** What a usage limit means for the controller: wait until `resumeAt`, or stop (the wait is not allowed). */
export type LimitDecision =
  | { readonly kind: 'pause'; readonly resumeAt: number }
  | { readonly kind: 'paused-already' }
  | { readonly kind: 'stop' };

/** One controller's pause: set by a limit, checked on each of its passes, cleared when it stops. */
export class LimitPause {
  private until: number | null = null;

  constructor(private readonly marginMs: number = LIMIT_RESUME_MARGIN_MS) {}

  get pausedUntil(): number | null {
    return this.until;
  }

  /** A worker hit a limit that lifts at `limitedUntil`. */
  hit(limitedUntil: number, now: number, policy: LimitWaitPolicy): LimitDecision {
    const resumeAt = limitedUntil + this.marginMs;
    if (!policy.autoResume || resumeAt - now > policy.maxWaitMinutes * 60_000) return { kind: 'stop' };
    if (this.until !== null && this.until >= resumeAt) return { kind: 'paused-already' };
    this.until = resumeAt;
    return { kind: 'pause', resumeAt };
  }

  /** A pause stored before a restart: it holds on until its time (a past one ends at the next check). */
  restore(until: number | null): void {
    this.until = until;
  }

  /** Whether the controller must still wait; the first look after the pause ends returns 'resumed'. */
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
