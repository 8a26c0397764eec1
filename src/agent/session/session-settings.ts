import type { PermissionMode } from '../../protocol/rest/session.js';
import type { PtySize } from '../../supervisor/spawn/pty-process.js';
import type { LimitReasons } from '../../util/limit-reasons.js';
import type { SessionHookFiles } from '../claude/hooks/session-hook-files.js';
import type { TmuxServer } from '../terminal/tmux/tmux-server.js';

/** Limits of what a session keeps in memory for reconnecting clients. */
export const SessionLimits = {
  /** Raw terminal output (with ANSI) kept for replay: 2 MiB is many screens of scrollback. */
  terminalBytes: 2 * 1024 * 1024,
  /** ANSI-stripped text output: 1 MiB. */
  textBytes: 1024 * 1024,
  /** Parsed CLI messages kept: the most recent 500. */
  messages: 500,
  /** The CLI's stderr, for error reports: 64 KiB. */
  errorBytes: 64 * 1024,
  /** Transcript entries kept per session (in memory and in the store), the most recent. */
  transcriptEntries: 2_000,
} as const;

export const SESSION_LIMIT_REASONS: LimitReasons<typeof SessionLimits> = {
  terminalBytes: {
    metric: 'session_terminal_bytes',
    reason: 'Raw terminal output kept per session for replay: many screens of scrollback, bounded.',
  },
  textBytes: {
    metric: 'session_text_bytes',
    reason:
      'ANSI-stripped text output kept per session (oldest dropped first), so a long session uses fixed memory.',
  },
  messages: {
    metric: 'session_messages',
    reason: 'Parsed CLI messages kept per session (the most recent), so a long session uses fixed memory.',
  },
  errorBytes: {
    metric: 'session_error_bytes',
    reason:
      "The CLI's stderr kept per session for error reports; its start says what went wrong, the rest is bounded.",
  },
  transcriptEntries: {
    metric: 'session_transcript_entries',
    reason:
      'Transcript entries (prompts, replies, tool calls, errors) kept per session in memory and in the store; the oldest are trimmed.',
  },
};

export const DEFAULT_TERMINAL_SIZE: PtySize = { cols: 120, rows: 40 };

export interface SessionSettings {
  readonly claudeBin: string | null;
  readonly env: NodeJS.ProcessEnv;
  readonly permissionMode: PermissionMode;
  /** Deadline of a one-shot run (ms). */
  readonly oneShotTimeoutMs: number;
  /** The sessions' hook settings files (usable once the server listens); null runs without hooks. */
  readonly hookFiles: SessionHookFiles | null;
  /** Hosts interactive sessions so they survive the server; null or absent: plain PTYs. */
  readonly tmux?: TmuxServer | null;
  /** Records the processes the server starts, so a later instance can end them after a crash. */
  readonly processes?: ProcessTracker;
}

/** The process ledger, as sessions use it (see store/process-ledger.ts). */
export interface ProcessTracker {
  record(kind: 'session', ownerId: string, pid: number): void;
  release(kind: 'session', ownerId: string, pid: number): void;
}

export interface RunOptions {
  readonly permissionMode?: PermissionMode;
  readonly timeoutMs?: number;
  /** Continue the last conversation (`--resume <claudeSessionId>`), interactive or headless. */
  readonly resume?: boolean;
}
