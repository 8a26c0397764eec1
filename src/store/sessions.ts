import { randomBytes } from 'node:crypto';
import type {
  PermissionMode,
  SessionAgentState,
  SessionCost,
  SessionMode,
  SessionRateLimits,
  SessionStatus,
  TerminalHost,
} from '../protocol/rest/session.js';
import type { Database } from './database.js';
import { respawnRowKey } from './respawn-controllers.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** The storage guard's key of a session's row (its pending writes are by row). */
function sessionRowKey(id: string): string {
  return `sessions:${id}`;
}

interface SessionRow {
  id: string;
  working_dir: string;
  created_at: number;
  mode: SessionMode;
  status: SessionStatus;
  pid: number | null;
  claude_session_id: string | null;
  total_cost: number;
  message_count: number;
  last_activity_at: number;
  last_prompt_time: number | null;
  permission_mode: PermissionMode;
  last_error: string | null;
  exit_code: number | null;
  current_task_id: string | null;
  hook_secret: string | null;
  terminal_host: TerminalHost | null;
  observed: string | null;
}

/**
 * The last figure the CLI's status line gave for its own cost counter: the USD it reported and the
 * conversation it reported for. The next CLI process of the session may start its counter from it
 * (a resumed conversation's cost is restored), or from zero; this tells which.
 */
export interface CliCostReading {
  readonly conversationId: string | null;
  readonly usd: number;
}

/** What the server learned of a session's agent from its structured output (stored as JSON). */
export interface SessionObserved {
  readonly cost: SessionCost;
  readonly model: string | null;
  readonly contextUsedPct: number | null;
  readonly state: SessionAgentState;
  readonly stateSince: number;
  readonly stateReason: string | null;
  readonly limitedUntil: number | null;
  readonly maxCostUsd: number | null;
  /** Absent until the CLI's status line reported usage limits (subscriptions only). */
  readonly rateLimits?: SessionRateLimits;
  /** Absent until the CLI's status line reported its cost (stored, never shown). */
  readonly cliCost?: CliCostReading;
}

/** A Claude session as stored: what a restart needs to know of it (its buffers are stored apart). */
export interface SessionRecord {
  readonly id: string;
  readonly workingDir: string;
  readonly createdAt: number;
  readonly mode: SessionMode;
  readonly status: SessionStatus;
  readonly pid: number | null;
  readonly claudeSessionId: string | null;
  readonly totalCost: number;
  readonly messageCount: number;
  readonly lastActivityAt: number;
  readonly lastPromptTime: number | null;
  readonly permissionMode: PermissionMode;
  readonly lastError: string | null;
  readonly exitCode: number | null;
  readonly currentTaskId: string | null;
  /** Authenticates this session's hook callbacks (never shown in the API). */
  readonly hookSecret: string;
  readonly terminalHost: TerminalHost | null;
  /** Null for sessions stored before it was kept (read as "nothing seen yet"). */
  readonly observed: SessionObserved | null;
}

/** A session's replay buffers as stored: the tails of its terminal output and of its text output. */
export interface StoredBuffers {
  readonly terminal: string;
  readonly text: string;
}

/**
 * What the session manager needs from storage; SQLite in the server. Writes throw StorageError when
 * nothing could be written (saveEventually never does).
 */
export interface SessionRepository {
  save(record: SessionRecord): void;
  /** For changes no request waits for: what cannot be written now is written later. */
  saveEventually(record: SessionRecord): boolean;
  /** Deletes the session with its buffers and respawn controller. */
  delete(id: string): void;
  /** Every session in creation order. */
  loadAll(): SessionRecord[];
  saveBuffers(id: string, buffers: StoredBuffers, at: number): void;
  loadBuffers(id: string): StoredBuffers | null;
}

function toRow(record: SessionRecord): SessionRow {
  return {
    id: record.id,
    working_dir: record.workingDir,
    created_at: record.createdAt,
    mode: record.mode,
    status: record.status,
    pid: record.pid,
    claude_session_id: record.claudeSessionId,
    total_cost: record.totalCost,
    message_count: record.messageCount,
    last_activity_at: record.lastActivityAt,
    last_prompt_time: record.lastPromptTime,
    permission_mode: record.permissionMode,
    last_error: record.lastError,
    exit_code: record.exitCode,
    current_task_id: record.currentTaskId,
    hook_secret: record.hookSecret,
    terminal_host: record.terminalHost,
    observed: record.observed === null ? null : JSON.stringify(record.observed),
  };
}

function parseObserved(text: string | null): SessionObserved | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as SessionObserved;
    return typeof value === 'object' && value !== null && typeof value.cost === 'object' ? value : null;
  } catch {
    return null;
  }
}

function fromRow(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    workingDir: row.working_dir,
    createdAt: row.created_at,
    mode: row.mode,
    status: row.status,
    pid: row.pid,
    claudeSessionId: row.claude_session_id,
    totalCost: row.total_cost,
    messageCount: row.message_count,
    lastActivityAt: row.last_activity_at,
    lastPromptTime: row.last_prompt_time,
    permissionMode: row.permission_mode,
    lastError: row.last_error,
    exitCode: row.exit_code,
    currentTaskId: row.current_task_id,
    // Sessions from before hooks existed get a fresh secret on load.
    hookSecret: row.hook_secret ?? randomBytes(24).toString('hex'),
    terminalHost: row.terminal_host,
    observed: parseObserved(row.observed),
  };
}

/** Claude sessions and their replay buffers in SQLite. */
export class SqliteSessionRepository implements SessionRepository {
  private readonly upsertStatement;
  private readonly deleteStatement;
  private readonly selectAll;
  private readonly saveBuffersStatement;
  private readonly selectBuffers;
  private readonly guard: StorageGuard;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.upsertStatement = db.prepare(`
      INSERT INTO sessions (id, working_dir, created_at, mode, status, pid, claude_session_id, total_cost,
        message_count, last_activity_at, last_prompt_time, permission_mode, last_error, exit_code, current_task_id,
        hook_secret, terminal_host, observed)
      VALUES (@id, @working_dir, @created_at, @mode, @status, @pid, @claude_session_id, @total_cost,
        @message_count, @last_activity_at, @last_prompt_time, @permission_mode, @last_error, @exit_code, @current_task_id,
        @hook_secret, @terminal_host, @observed)
      ON CONFLICT (id) DO UPDATE SET mode = excluded.mode, status = excluded.status, pid = excluded.pid,
        claude_session_id = excluded.claude_session_id, total_cost = excluded.total_cost,
        message_count = excluded.message_count, last_activity_at = excluded.last_activity_at,
        last_prompt_time = excluded.last_prompt_time, permission_mode = excluded.permission_mode,
        last_error = excluded.last_error, exit_code = excluded.exit_code, current_task_id = excluded.current_task_id,
        terminal_host = excluded.terminal_host, observed = excluded.observed`);
    this.deleteStatement = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.selectAll = db.prepare<[], SessionRow>('SELECT * FROM sessions ORDER BY seq');
    this.saveBuffersStatement = db.prepare(`
      INSERT INTO session_buffers (session_id, terminal, text, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (session_id) DO UPDATE SET terminal = excluded.terminal, text = excluded.text,
        updated_at = excluded.updated_at`);
    this.selectBuffers = db.prepare<[string], StoredBuffers>(
      'SELECT terminal, text FROM session_buffers WHERE session_id = ?',
    );
  }

  /** Writes the session now; throws StorageError when it cannot (nothing was written). */
  save(record: SessionRecord): void {
    const row = toRow(record);
    this.guard.write(() => this.upsertStatement.run(row), sessionRowKey(record.id));
  }

  /** A change no request waits for: written now, or on a later tick of the storage watch. */
  saveEventually(record: SessionRecord): boolean {
    const row = toRow(record);
    return this.guard.writeEventually(sessionRowKey(record.id), () => {
      this.upsertStatement.run(row);
    });
  }

  /** Deletes the session (its buffers and respawn controller go with it); throws StorageError. */
  delete(id: string): void {
    this.guard.write(() => this.deleteStatement.run(id));
    // Rows that went with it (ON DELETE CASCADE) must not be written again by a pending change.
    this.guard.forget(sessionRowKey(id));
    this.guard.forget(respawnRowKey(id));
  }

  loadAll(): SessionRecord[] {
    return this.selectAll.all().map(fromRow);
  }

  /** Throws StorageError when it cannot write (the caller keeps the buffers to write later). */
  saveBuffers(id: string, buffers: StoredBuffers, at: number): void {
    this.guard.write(() => this.saveBuffersStatement.run(id, buffers.terminal, buffers.text, at));
  }

  loadBuffers(id: string): StoredBuffers | null {
    return this.selectBuffers.get(id) ?? null;
  }
}
