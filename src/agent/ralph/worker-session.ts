import type { SessionStatus } from '../../protocol/rest/session.js';
import type { Result } from '../../protocol/result.js';
import type { SessionErrorCode } from '../session/session-errors.js';
import type { SessionSignalListener } from '../session/session-signals.js';

/**
 * What the Ralph loop uses of a Claude Code session (a `Session` is one; tests use a fake). The loop
 * only types into sessions that run interactively and are idle, and reads their output through
 * signals, so it never needs the process or the buffers themselves.
 */
export interface WorkerSession {
  readonly id: string;
  readonly workingDir: string;
  readonly status: SessionStatus;
  readonly isInteractive: boolean;
  readonly hasProcess: boolean;
  /** USD reported by the CLI so far (result lines of headless runs). */
  readonly totalCost: number;
  /** Parsed CLI messages (bounded) and their running total: the structured output. */
  readonly messages: readonly unknown[];
  readonly messageCount: number;
  /**
   * Whether the running CLI reports its turns in structure (hooks and its transcript): then only its
   * messages can complete a task, never the screen, which any viewer's redraw repaints.
   */
  readonly reportsTurns: boolean;
  /** The user prompts of its conversation so far (the transcript's turn). */
  readonly turn: number;
  /** What the agent replied in the turns after `turn`. */
  assistantTextAfter(turn: number): string[];
  /** Shown in the session's info: the queue task it works on. */
  currentTaskId: string | null;
  onSignal(listener: SessionSignalListener): () => void;
  submitLine(text: string): Result<object, SessionErrorCode>;
  write(input: string): Result<object, SessionErrorCode>;
  startInteractive(): Result<object, SessionErrorCode>;
  stop(reason?: string): Promise<void>;
}

/** Where the loop finds the sessions it was given and creates the ones it starts (the SessionManager). */
export interface WorkerSessions {
  get(id: string): WorkerSession | undefined;
  create(request: { workingDir?: string }): Result<{ session: WorkerSession }, SessionErrorCode>;
}
