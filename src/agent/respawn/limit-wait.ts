import type { Clock } from '../../supervisor/clock.js';
import { LimitPause, type LimitWaitPolicy } from '../session/limit-pause.js';
import { Timer } from './timer.js';

/**
 * The respawn controller at a usage limit: no cycle starts (each would spend tokens on an API that
 * refuses them) until a margin after the reset, when `lifted` is called and watching goes on.
 */
export class RespawnLimitWait {
  readonly #pause: LimitPause;
  readonly #timer: Timer;

  constructor(
    private readonly clock: Clock,
    marginMs: number,
    private readonly lifted: () => void,
  ) {
    this.#pause = new LimitPause(marginMs);
    this.#timer = new Timer(clock);
  }

  get pausedUntil(): number | null {
    return this.#pause.pausedUntil;
  }

  /** A limit that lifts at `limitedUntil`: 'paused' (until the margin after it), or 'stop' by the policy. */
  hit(limitedUntil: number, policy: LimitWaitPolicy): 'paused' | 'stop' {
    const now = this.clock.now();
    const decision = this.#pause.hit(limitedUntil, now, policy);
    if (decision.kind === 'stop') return 'stop';
    const until = this.#pause.pausedUntil ?? now;
    this.#timer.arm(Math.max(0, until - now), () => {
      this.#pause.clear();
      this.lifted();
    });
    return 'paused';
  }

  cancel(): void {
    this.#timer.cancel();
    this.#pause.clear();
  }
}
