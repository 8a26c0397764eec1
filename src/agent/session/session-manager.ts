import { randomBytes, randomUUID } from 'node:crypto';
import type { SessionEvent } from '../../protocol/events.js';
import type { PermissionMode } from '../../protocol/rest/session.js';
import { failure, type Result } from '../../protocol/result.js';
import type { SessionRecord, SessionRepository } from '../../store/sessions.js';
import { isStorageError, tryWrite } from '../../store/storage-errors.js';
import type { TranscriptRepository } from '../../store/transcripts.js';
import type { Clock } from '../../supervisor/clock.js';
import type { LimitReason } from '../../util/limit-reasons.js';
import { resolveWorkingDir } from '../cases/working-dir.js';
import { launchFiles, readExitStatus, removeLaunchFiles } from '../terminal/tmux/launch-script.js';
import { type PaneState, type TmuxServer, tmuxSessionName } from '../terminal/tmux/tmux-server.js';
import { Session } from './session.js';
import type { SessionErrorCode } from './session-errors.js';
import { SessionLimits, type SessionSettings } from './session-settings.js';
import type { SessionState } from './session-state.js';

/** Most sessions kept at once: each holds up to a few MiB of buffers and possibly a CLI process. */
export const MAX_SESSIONS = 200;
export const MAX_SESSIONS_REASON: LimitReason = {
  metric: 'max_sessions',
  reason: 'Most sessions at once (429 SESSION_LIMIT beyond); each may hold a CLI process and its buffers.',
};
/** How often changed replay buffers are written to the store (ms): output never waits for the disk. */
const BUFFER_PERSIST_INTERVAL_MS = 2_000;
/** Tail of the terminal buffer that is persisted for replay after a restart (bytes of text). */
const PERSISTED_TERMINAL_CHARS = 512 * 1024;

/** Randomness of a session's hook secret (bytes, hex-encoded). */
const HOOK_SECRET_BYTES = 24;

/** Why a session that ran when the server stopped (or crashed) no longer runs. */
const SERVER_STOPPED_REASON = 'the server restarted while the session ran';
/** A one-shot run cut off by the server stopping: its process was ended with it (or at the next boot). */
export const INTERRUPTED_RUN_REASON = 'interrupted: the server stopped during this one-shot run';
/** An interactive session on a plain PTY whose conversation can be continued. */
const RESUMABLE_REASON =
  'the server restarted while the session ran; resume its conversation with POST /api/sessions/:id/interactive {"resume": true}';

/** Why a session's process (not in tmux) ended with the server, by what it was running. */
function stoppedByServerReason(session: {
  mode: SessionRecord['mode'];
  claudeSessionId: string | null;
}): string {
  if (session.mode === 'oneshot') return INTERRUPTED_RUN_REASON;
  if (session.mode === 'interactive' && session.claudeSessionId !== null) return RESUMABLE_REASON;
  return SERVER_STOPPED_REASON;
}

/** Sessions that had a process when the previous server ended: re-attached, or marked stopped. */
export interface SessionRecovery {
  readonly adopted: number;
  readonly interrupted: number;
}

export interface SessionManagerOptions {
  readonly repository: SessionRepository;
  readonly clock: Clock;
  readonly publish: (event: SessionEvent) => void;
  readonly settings: SessionSettings;
  /** Base for relative working directories (the cases root). */
  readonly casesRoot: string;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
  /** Where transcripts are kept; absent: in memory only. */
  readonly transcripts?: TranscriptRepository;
}

export interface CreateSessionRequest {
  readonly workingDir?: string;
  readonly permissionMode?: PermissionMode;
  readonly maxCostUsd?: number | null;
}

/** All Claude sessions: creation, lookup, deletion, persistence and restoration after a restart. */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly dirtyBuffers = new Set<SessionState>();
  private readonly recovered = { adopted: 0, interrupted: 0 };
  private persistTimer: NodeJS.Timeout;

  constructor(private readonly options: SessionManagerOptions) {
    this.persistTimer = setInterval(() => this.persistBuffers(), BUFFER_PERSIST_INTERVAL_MS);
    this.persistTimer.unref();
  }

  /**
   * Loads stored sessions with their last known state and reconciles them with what still runs:
   * an interactive agent whose tmux session is alive is adopted (re-attached, scrollback from tmux);
   * any other session that had a process is marked stopped with what happened to it. tmux sessions
   * that no stored session claims are ended. Returns how many sessions there are.
   */
  restore(): number {
    const tmux = this.options.settings.tmux ?? null;
    const panes = tmux?.panes() ?? new Map<string, PaneState>();
    const claimed = new Set<string>();
    for (const stored of this.options.repository.loadAll()) {
      const session = this.build(stored);
      const buffers = this.options.repository.loadBuffers(stored.id);
      if (buffers !== null) {
        session.terminal.append(buffers.terminal);
        session.text.append(buffers.text);
      }
      session.restoreTranscript(this.options.transcripts?.load(stored.id) ?? []);
      this.sessions.set(stored.id, session);
      const hadProcess = stored.pid !== null || stored.status === 'busy';
      if (!hadProcess) continue;
      const name = tmuxSessionName(stored.id);
      const pane = panes.get(name);
      if (tmux !== null && stored.terminalHost === 'tmux' && pane !== undefined && !pane.dead) {
        claimed.add(name);
        const adopted = session.adoptTmux(tmux, pane.panePid, tmux.captureHistory(name));
        if (adopted.ok) {
          this.recovered.adopted++;
          continue;
        }
        this.options.warn('tmux session not re-attached', { sessionId: stored.id, error: adopted.message });
      }
      session.markInterrupted(this.interruptionReason(stored, tmux));
      this.recovered.interrupted++;
      this.save(session);
    }
    if (tmux !== null) this.endUnclaimedTmuxSessions(tmux, panes, claimed);
    return this.sessions.size;
  }

  /** What to tell the user about a session whose process did not survive the previous server. */
  private interruptionReason(stored: SessionRecord, tmux: TmuxServer | null): string {
    if (stored.mode !== 'interactive' || stored.terminalHost !== 'tmux') return stoppedByServerReason(stored);
    if (tmux === null) return 'lost: tmux is no longer available to re-attach the session';
    const files = launchFiles(tmux.stateDir, tmuxSessionName(stored.id));
    const exit = readExitStatus(files);
    removeLaunchFiles(files);
    if (exit === null) return 'lost: its tmux session ended while the server was down';
    return `the agent exited while the server was down (${exit.signal ? `on ${exit.signal}` : `code ${exit.code}`})`;
  }

  /** tmux sessions of ours that no stored session claims (deleted while the server was down, say). */
  private endUnclaimedTmuxSessions(
    tmux: TmuxServer,
    panes: Map<string, PaneState>,
    claimed: Set<string>,
  ): void {
    for (const name of panes.keys()) {
      if (claimed.has(name)) continue;
      this.options.warn('ending a tmux session no session claims', { tmuxSession: name });
      tmux.killSession(name);
      removeLaunchFiles(launchFiles(tmux.stateDir, name));
    }
  }

  /** What the last restore found of the sessions that had a process when the previous server ended. */
  get recovery(): SessionRecovery {
    return this.recovered;
  }

  create(request: CreateSessionRequest): Result<{ session: Session }, SessionErrorCode> {
    if (this.sessions.size >= MAX_SESSIONS) {
      return failure('SESSION_LIMIT', `at most ${MAX_SESSIONS} sessions; delete some first`);
    }
    // No directory given: the cases root, never the server's own working directory (the agent may
    // run with permissions skipped, and the server's cwd is often a checkout of something else).
    const dir = resolveWorkingDir(request.workingDir ?? this.options.casesRoot, this.options.casesRoot);
    if (!dir.ok) return failure('INVALID_PATH', dir.error);
    const now = this.options.clock.now();
    const session = this.build({
      id: randomUUID(),
      workingDir: dir.path,
      createdAt: now,
      mode: 'none',
      status: 'idle',
      pid: null,
      claudeSessionId: null,
      totalCost: 0,
      messageCount: 0,
      lastActivityAt: now,
      lastPromptTime: null,
      permissionMode: request.permissionMode ?? this.options.settings.permissionMode,
      lastError: null,
      exitCode: null,
      currentTaskId: null,
      hookSecret: randomBytes(HOOK_SECRET_BYTES).toString('hex'),
      terminalHost: null,
      observed: null,
    });
    session.maxCostUsd = request.maxCostUsd ?? null;
    // Stored before anyone hears of it: a store that cannot take it refuses the session.
    const stored = tryWrite(() => this.options.repository.save(session.record()));
    if (stored !== null) return stored;
    this.sessions.set(session.id, session);
    this.options.publish({
      kind: 'session:created',
      sessionId: session.id,
      data: { session: session.info() },
      ts: now,
    });
    return { ok: true, session };
  }

  get(id: string): Session | undefined {
    return this.sessions.get(id);
  }

  list(): Session[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  /**
   * Removes the session's stored state, then the session, and stops its process. A store that cannot
   * take the deletion leaves the session as it was (STORAGE_FULL, STORAGE_UNAVAILABLE).
   */
  async delete(id: string): Promise<Result<object, SessionErrorCode>> {
    const session = this.sessions.get(id);
    if (session === undefined) return failure('SESSION_NOT_FOUND', `no session ${id}`);
    const deleted = tryWrite(() => this.options.repository.delete(id));
    if (deleted !== null) return deleted;
    this.sessions.delete(id);
    this.dirtyBuffers.delete(session);
    await session.stop();
    this.dirtyBuffers.delete(session);
    try {
      this.options.settings.hookFiles?.remove(id);
    } catch (error) {
      this.options.warn('hook settings of a deleted session not removed', {
        sessionId: id,
        error: (error as Error).message,
      });
    }
    this.options.publish({ kind: 'session:deleted', sessionId: id, data: {}, ts: this.options.clock.now() });
    return { ok: true };
  }

  /**
   * Server shutting down: agents in tmux are let go of (they run on, and the next server adopts
   * them); every other process is stopped. Then the buffers are written.
   */
  async shutdown(): Promise<void> {
    clearInterval(this.persistTimer);
    await Promise.all(
      this.list().map(async (session) => {
        if (!(await session.detach())) await session.stop(stoppedByServerReason(session));
      }),
    );
    for (const session of this.sessions.values()) this.dirtyBuffers.add(session);
    this.persistBuffers();
  }

  private build(record: SessionRecord): Session {
    return new Session(record, this.options.settings, {
      clock: this.options.clock,
      publish: this.options.publish,
      changed: (session) => this.save(session),
      persistIntent: (intent) => {
        if (!this.sessions.has(intent.id)) return { ok: true };
        return tryWrite(() => this.options.repository.save(intent)) ?? { ok: true };
      },
      buffersChanged: (session) => {
        if (this.sessions.has(session.id)) this.dirtyBuffers.add(session);
      },
    });
  }

  /** A change of the session's own (a status, an exit): written now, or as soon as the store can. */
  private save(session: SessionState): void {
    if (!this.sessions.has(session.id)) return;
    try {
      this.options.repository.saveEventually(session.record());
    } catch (error) {
      this.options.warn('session state not persisted', {
        sessionId: session.id,
        error: (error as Error).message,
      });
    }
  }

  private persistBuffers(): void {
    if (this.dirtyBuffers.size === 0) return;
    const now = this.options.clock.now();
    const unwritten = new Set<SessionState>();
    for (const session of this.dirtyBuffers) {
      try {
        this.options.repository.saveBuffers(
          session.id,
          {
            terminal: session.terminal.toString().slice(-PERSISTED_TERMINAL_CHARS),
            text: session.text.toString().slice(-PERSISTED_TERMINAL_CHARS),
          },
          now,
        );
        const entries = session.transcript.unsaved();
        this.options.transcripts?.append(session.id, entries, SessionLimits.transcriptEntries);
        session.transcript.markSaved(entries.at(-1)?.seq ?? 0);
      } catch (error) {
        // A store that cannot write now (a full disk) gets the buffers again at the next interval,
        // from the live buffers (nothing is copied meanwhile); the guard has counted and logged it.
        if (isStorageError(error)) {
          unwritten.add(session);
          continue;
        }
        this.options.warn('session buffers not persisted', {
          sessionId: session.id,
          error: (error as Error).message,
        });
      }
    }
    this.dirtyBuffers.clear();
    for (const session of unwritten) this.dirtyBuffers.add(session);
  }
}
