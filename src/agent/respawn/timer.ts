import type { Clock, TimerHandle } from '../../supervisor/clock.js';

/**
 * One re-armable timer on a Clock. Arming replaces the pending callback, so a state machine holds at
 * most one timer per purpose and `cancel()` on each of them leaves nothing behind.
 */
export class Timer {
  #handle: TimerHandle | null = null;

  constructor(private readonly clock: Clock) {}

  get armed(): boolean {
    return this.#handle !== null;
  }

  arm(delayMs: number, callback: () => void): void {
    this.cancel();
    this.#handle = this.clock.setTimeout(() => {
      this.#handle = null;
      callback();
    }, delayMs);
  }

  cancel(): void {
    if (this.#handle === null) return;
    this.clock.clearTimeout(this.#handle);
    this.#handle = null;
  }
}
