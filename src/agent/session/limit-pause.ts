import { DEFAULT_MAX_WAIT_MINUTES } from '../../protocol/limits.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';

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

/**
 * A pause that ends by itself: for controllers driven by timers rather than by passes (scheduled
 * runs, the respawn controller). A limit arms one timer for a margin after its reset, and `lifted`
 * is called then; a later limit that lifts later moves it on.
 */
export class LimitWait {
  private readonly pause: LimitPause;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    marginMs: number,
    private readonly lifted: () => void,
  ) {
    this.pause = new LimitPause(marginMs);
  }

  get pausedUntil(): number | null {
    return this.pause.pausedUntil;
  }

  /** A limit that lifts at `limitedUntil`: when work resumes (the wait armed), or null to stop. */
  hit(limitedUntil: number, policy: LimitWaitPolicy): number | null {
    const decision = this.pause.hit(limitedUntil, this.clock.now(), policy);
    if (decision.kind === 'stop') return null;
    const until = this.pause.pausedUntil ?? this.clock.now();
    this.waitUntil(until);
    return until;
  }

  /** A pause stored before a restart: waited out from now. */
  restore(until: number): void {
    this.pause.restore(until);
    this.waitUntil(until);
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.pause.clear();
  }

  private waitUntil(until: number): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(
      () => {
        this.timer = null;
        this.pause.clear();
        this.lifted();
      },
      Math.max(0, until - this.clock.now()),
    );
  }
}
