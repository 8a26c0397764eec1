import { randomBytes, randomUUID } from 'node:crypto';
import type { PermissionMode } from '../api/session.js';
import type { SessionEvent } from '../events/types.js';
import type { SqliteSessionRepository } from '../store/sessions.js';
import type { Clock } from '../supervisor/clock.js';
import { Session, type SessionRecord, type SessionResult, type SessionSettings } from './session.js';
import { resolveWorkingDir } from './working-dir.js';

/** Most sessions kept at once: each holds up to a few MiB of buffers and possibly a CLI process. */
export const MAX_SESSIONS = 200;
/** How often changed replay buffers are written to the store (ms): output never waits for the disk. */
export const BUFFER_PERSIST_INTERVAL_MS = 2_000;
/** Tail of the terminal buffer that is persisted for replay after a restart (bytes of text). */
export const PERSISTED_TERMINAL_CHARS = 512 * 1024;

/** Randomness of a session's hook secret (bytes, hex-encoded). */
const HOOK_SECRET_BYTES = 24;

/** Why a session that ran when the server stopped (or crashed) no longer runs. */
export const SERVER_STOPPED_REASON = 'the server restarted while the session ran';

export interface SessionManagerOptions {
  readonly repository: SqliteSessionRepository;
  readonly clock: Clock;
  readonly publish: (event: SessionEvent) => void;
  readonly settings: SessionSettings;
  /** Base for relative working directories (the cases root). */
  readonly casesRoot: string;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
}

export interface CreateSessionRequest {
  readonly workingDir?: string;
  readonly permissionMode?: PermissionMode;
}

/** All Claude sessions: creation, lookup, deletion, persistence and restoration after a restart. */
export class SessionManager {
  private readonly sessions = new Map<string, Session>();
  private readonly dirtyBuffers = new Set<Session>();
  private persistTimer: NodeJS.Timeout;

  constructor(private readonly options: SessionManagerOptions) {
    this.persistTimer = setInterval(() => this.persistBuffers(), BUFFER_PERSIST_INTERVAL_MS);
    this.persistTimer.unref();
  }

  /**
   * Loads stored sessions with their last known state. Their processes died with the previous
   * server: a session that had one is marked stopped, with the reason.
   */
  restore(): number {
    for (const stored of this.options.repository.loadAll()) {
      const hadProcess = stored.pid !== null || stored.status === 'busy';
      const record: SessionRecord = hadProcess
        ? { ...stored, pid: null, status: 'stopped', lastError: 'the server restarted while the session ran' }
        : stored;
      const session = this.build(record);
      const buffers = this.options.repository.loadBuffers(record.id);
      if (buffers !== null) {
        session.terminal.append(buffers.terminal);
        session.text.append(buffers.text);
      }
      this.sessions.set(record.id, session);
      if (hadProcess) this.save(session);
    }
    return this.sessions.size;
  }

  create(request: CreateSessionRequest): SessionResult<{ session: Session }> {
    if (this.sessions.size >= MAX_SESSIONS) {
      return {
        ok: false,
        code: 'SESSION_LIMIT',
        message: `at most ${MAX_SESSIONS} sessions; delete some first`,
      };
    }
    const dir = resolveWorkingDir(request.workingDir ?? process.cwd(), this.options.casesRoot);
    if (!dir.ok) return { ok: false, code: 'INVALID_PATH', message: dir.error };
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
    });
    this.sessions.set(session.id, session);
    this.save(session);
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

  /** Stops the session's process, then removes it and its stored state. */
  async delete(id: string): Promise<boolean> {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    this.sessions.delete(id);
    this.dirtyBuffers.delete(session);
    await session.stop();
    this.dirtyBuffers.delete(session);
    this.options.repository.delete(id);
    this.options.publish({ kind: 'session:deleted', sessionId: id, data: {}, ts: this.options.clock.now() });
    return true;
  }

  /** Stops every process and writes the buffers (server shutting down). */
  async shutdown(): Promise<void> {
    clearInterval(this.persistTimer);
    await Promise.all(this.list().map((session) => session.stop(SERVER_STOPPED_REASON)));
    for (const session of this.sessions.values()) this.dirtyBuffers.add(session);
    this.persistBuffers();
  }

  private build(record: SessionRecord): Session {
    return new Session(record, this.options.settings, {
      clock: this.options.clock,
      publish: this.options.publish,
      changed: (session) => this.save(session),
      buffersChanged: (session) => {
        if (this.sessions.has(session.id)) this.dirtyBuffers.add(session);
      },
    });
  }

  private save(session: Session): void {
    if (!this.sessions.has(session.id)) return;
    try {
      this.options.repository.save(session.record());
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
      } catch (error) {
        this.options.warn('session buffers not persisted', {
          sessionId: session.id,
          error: (error as Error).message,
        });
      }
    }
    this.dirtyBuffers.clear();
  }
}
