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

/**
 * Longest delay one Node timer can hold (ms): above 2^31-1 Node fires after 1 ms instead. Longer
 * delays (a restart_delay of "720h" is valid) are covered by a chain of timers.
 */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

type SystemTimer = { current: NodeJS.Timeout | null } | { current: NodeJS.Immediate | null; immediate: true };

function arm(timer: { current: NodeJS.Timeout | null }, callback: () => void, remainingMs: number): void {
  if (remainingMs <= MAX_TIMER_DELAY_MS) {
    timer.current = setTimeout(callback, remainingMs);
    return;
  }
  timer.current = setTimeout(
    () => arm(timer, callback, remainingMs - MAX_TIMER_DELAY_MS),
    MAX_TIMER_DELAY_MS,
  );
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, delayMs) => {
    // A zero (or negative, as Go's timers read it) delay runs on the next turn of the loop, without
    // the 1 ms minimum of a Node timer: an immediate restart should be immediate.
    if (!(delayMs > 0))
      return { id: { current: setImmediate(callback), immediate: true } satisfies SystemTimer };
    const timer = { current: null };
    arm(timer, callback, delayMs);
    return { id: timer satisfies SystemTimer };
  },
  clearTimeout: (handle) => {
    const timer = handle.id as SystemTimer;
    if (timer.current === null) return;
    if ('immediate' in timer) clearImmediate(timer.current);
    else clearTimeout(timer.current);
  },
};
