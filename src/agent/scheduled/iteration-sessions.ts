import type { Result } from '../../protocol/result.js';
import type { SessionErrorCode } from '../session/session-errors.js';

/**
 * The part of the session layer a scheduled run uses: the SessionManager and its sessions satisfy it,
 * and unit tests pass a fake. Each iteration gets a session of its own, deleted afterwards.
 */
export interface IterationOutcome {
  readonly result: string | null;
  /** USD, from the CLI's `total_cost_usd` (0 when no result line arrived). */
  readonly cost: number;
  /** Why the iteration failed, or null when it succeeded. */
  readonly error: string | null;
  /** Set when it failed at a usage limit: when the limit lifts (epoch ms). */
  readonly limitedUntil?: number | null;
}

export interface IterationSession {
  readonly id: string;
  runPrompt(
    prompt: string,
    options: { readonly timeoutMs?: number },
  ): Result<{ readonly done: Promise<IterationOutcome> }, SessionErrorCode>;
}

export interface IterationSessions {
  create(request: {
    readonly workingDir: string;
  }): Result<{ readonly session: IterationSession }, SessionErrorCode>;
  /** Removes the session and stops its run (waiting for its exit); a failure leaves it as it was. */
  delete(id: string): Promise<Result<object, SessionErrorCode>>;
}
