/**
 * Limits that a client states as well as the server: the web UI and the CLI clamp or check their
 * requests against these, and the server's schemas and decoders refuse what exceeds them. Written
 * once here so the two sides cannot drift apart.
 */

import type { LimitReason } from '../util/limit-reasons.js';

/** Largest terminal a client may ask for (columns × rows), on the terminal socket and in REST bodies. */
export const MAX_TERMINAL_COLS = 500;
export const MAX_TERMINAL_ROWS = 200;

/** Longest prompt accepted (characters): it goes to the CLI's stdin, not argv. */
export const MAX_PROMPT_CHARS = 100_000;
export const MAX_PROMPT_CHARS_REASON: LimitReason = {
  metric: 'prompt_chars',
  reason: 'Longest prompt accepted (400 beyond); it goes to the CLI on stdin.',
};

/** Longest wait for a usage limit to lift (minutes) a loop, run or controller may be given: a week, the longest plan window. */
export const MAX_LIMIT_WAIT_MINUTES = 7 * 24 * 60;
/** How long a loop, run or controller waits at most for a usage limit to lift unless told (minutes): a 5-hour window and some. */
export const DEFAULT_MAX_WAIT_MINUTES = 6 * 60;

/** Priorities are small integers in practice; the bound keeps them exact in SQLite and JSON. */
export const MAX_ABS_TASK_PRIORITY = 1_000_000;

/** Bounds of the respawn controller's timings (ms), in its REST config and the CLI's options. */
export const RespawnTimingLimits = {
  /** Shortest quiet time after the prompt before the session counts as idle. */
  minIdleTimeoutMs: 100,
  /** Longest idle timeout: an hour. */
  maxIdleTimeoutMs: 3_600_000,
  /** Longest pause between the steps of a cycle: ten minutes. */
  maxInterStepDelayMs: 600_000,
} as const;
