/**
 * Time as the engine sees it. Retry windows, restart delays and stop escalation read the time and set
 * timers only through a Clock, so their logic can be tested with a fake one without sleeping.
 */
export interface TimerHandle {
  /** Opaque; only meaningful to the clock that created it. */
  readonly id: unknown;
}

export interface Clock {
  /** Milliseconds since the Unix epoch (may carry a sub-millisecond fraction). */
  now(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => ({ id: setTimeout(callback, delayMs) }),
  clearTimeout: (handle) => clearTimeout(handle.id as NodeJS.Timeout),
};
