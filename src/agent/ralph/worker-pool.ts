import type { Result } from '../../protocol/result.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import type { SessionErrorCode } from '../session/session-errors.js';
import type { SessionSignal } from '../session/session-signals.js';
import type { WorkerSession, WorkerSessions } from './worker-session.js';

export interface WorkerPoolOptions {
  readonly sessions: WorkerSessions;
  readonly clock: Clock;
  /** How long a started worker may take to show its prompt (ms). */
  readonly startTimeoutMs: number;
  /** Something happened in a worker that may let the loop act (it went idle, or exited). */
  readonly onChange: () => void;
  /**
   * A worker the pool started exited, or never showed its prompt; `inARow` counts such failures
   * since a worker last became ready.
   */
  readonly onStartFailed: (sessionId: string, reason: string, inARow: number) => void;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
}

/** A session in `dir` (null: any directory will do). */
function inDir(session: WorkerSession, dir: string | null): boolean {
  return dir === null || session.workingDir === dir;
}

/**
 * The Ralph loop's sessions: the ones it was given and the ones it started, watched for idle and exit,
 * with the cost they report. Starts workers (a new session, or a stopped one of the pool brought
 * back), picks the idle one that waited longest, and stops only processes it started itself.
 */
export class WorkerPool {
  private pool: string[] = [];
  private readonly unwatch = new Map<string, () => void>();
  /** Each session's cost when last looked at: only growth while in the pool is the loop's spending. */
  private readonly costSeen = new Map<string, number>();
  /** Workers started and not yet at their prompt, with their start deadline. */
  private readonly starting = new Map<string, TimerHandle>();
  /** Processes this pool started (stopped with the loop); user-started ones are left alone. */
  private readonly started = new Set<string>();
  /** Started for the loop and given nothing yet: a new CLI with nothing to clear. */
  private readonly fresh = new Set<string>();
  private readonly lastAssignedAt = new Map<string, number>();
  private startFailuresInARow = 0;

  constructor(private readonly options: WorkerPoolOptions) {}

  get ids(): readonly string[] {
    return this.pool;
  }

  /** Takes these sessions (those that still exist) as the pool; their cost so far is not the loop's. */
  load(ids: readonly string[]): void {
    for (const id of ids) {
      const session = this.options.sessions.get(id);
      if (session !== undefined) this.add(session);
    }
  }

  /** Drops sessions that were deleted; true when the pool changed. */
  prune(): boolean {
    const gone = this.pool.filter((id) => this.options.sessions.get(id) === undefined);
    for (const id of gone) this.forget(id);
    return gone.length > 0;
  }

  /** USD the pool's sessions reported since the last call. */
  collectCost(): number {
    let spent = 0;
    for (const id of this.pool) {
      const session = this.options.sessions.get(id);
      if (session === undefined) continue;
      const seen = this.costSeen.get(id) ?? session.totalCost;
      if (session.totalCost > seen) spent += session.totalCost - seen;
      this.costSeen.set(id, session.totalCost);
    }
    return spent;
  }

  /** Pool sessions with a running process (starting ones included). */
  liveCount(): number {
    return this.pool.filter((id) => this.options.sessions.get(id)?.hasProcess === true).length;
  }

  /** The idle interactive worker in `dir` that has waited longest, skipping `busy` ones. */
  idleWorker(dir: string | null, busy: (id: string) => boolean): WorkerSession | null {
    let best: WorkerSession | null = null;
    let bestAt = Number.POSITIVE_INFINITY;
    for (const session of this.idleWorkers(busy)) {
      const at = this.lastAssignedAt.get(session.id) ?? Number.NEGATIVE_INFINITY;
      if (inDir(session, dir) && at < bestAt) {
        best = session;
        bestAt = at;
      }
    }
    return best;
  }

  /** A worker still starting in `dir` that no other task has claimed in this pass. */
  startingWorker(dir: string | null, claimed: ReadonlySet<string>): string | null {
    for (const id of this.starting.keys()) {
      const session = this.options.sessions.get(id);
      if (session !== undefined && !claimed.has(id) && inDir(session, dir)) return id;
    }
    return null;
  }

  /**
   * The worker is handed a task now. Returns whether its screen should be cleared first: yes, unless
   * the pool started its CLI and nothing was typed into it yet.
   */
  assigned(id: string): boolean {
    this.lastAssignedAt.set(id, this.options.clock.now());
    return !this.fresh.delete(id);
  }

  /**
   * Starts a worker in `dir`: a stopped session of the pool in that directory, else a new session.
   * The caller checks the worker limit.
   */
  startWorker(dir: string | null): Result<{ sessionId: string }, SessionErrorCode> {
    let session = this.pool
      .map((id) => this.options.sessions.get(id))
      .find((candidate) => candidate !== undefined && !candidate.hasProcess && inDir(candidate, dir));
    if (session === undefined) {
      const created = this.options.sessions.create(dir === null ? {} : { workingDir: dir });
      if (!created.ok) return created;
      session = created.session;
      this.add(session);
    }
    const started = session.startInteractive();
    if (!started.ok) return started;
    const id = session.id;
    this.started.add(id);
    this.fresh.add(id);
    this.starting.set(
      id,
      this.options.clock.setTimeout(() => {
        this.starting.delete(id);
        this.stopSession(id, 'the Ralph loop gave up waiting for the CLI to start');
        this.startFailed(id, `no prompt within ${this.options.startTimeoutMs} ms`);
      }, this.options.startTimeoutMs),
    );
    return { ok: true, sessionId: id };
  }

  /**
   * Stops one idle worker the pool started that does not serve `dir`, to free a slot for a task that
   * needs another directory. True when one was stopped.
   */
  retireIdle(dir: string | null, busy: (id: string) => boolean): boolean {
    for (const session of this.idleWorkers(busy)) {
      if (this.started.has(session.id) && !inDir(session, dir)) {
        this.stopSession(session.id, 'the Ralph loop needed a worker in another directory');
        return true;
      }
    }
    return false;
  }

  /** Stops the processes the pool started (the loop stopped) and lets go of everything. */
  stopStarted(reason: string): void {
    for (const id of this.started) this.stopSession(id, reason);
    this.dispose();
  }

  /** Lets go of the sessions without touching them (server shutting down). */
  dispose(): void {
    for (const timer of this.starting.values()) this.options.clock.clearTimeout(timer);
    for (const unwatch of this.unwatch.values()) unwatch();
    this.pool = [];
    this.unwatch.clear();
    this.costSeen.clear();
    this.starting.clear();
    this.started.clear();
    this.fresh.clear();
    this.lastAssignedAt.clear();
    this.startFailuresInARow = 0;
  }

  private *idleWorkers(busy: (id: string) => boolean): Iterable<WorkerSession> {
    for (const id of this.pool) {
      const session = this.options.sessions.get(id);
      if (session === undefined || this.starting.has(id) || busy(id)) continue;
      if (session.isInteractive && session.status === 'idle') yield session;
    }
  }

  private add(session: WorkerSession): void {
    if (this.unwatch.has(session.id)) return;
    this.pool.push(session.id);
    this.costSeen.set(session.id, session.totalCost);
    this.unwatch.set(
      session.id,
      session.onSignal((signal) => this.signal(session.id, signal)),
    );
  }

  private forget(id: string): void {
    this.unwatch.get(id)?.();
    this.unwatch.delete(id);
    this.pool = this.pool.filter((other) => other !== id);
    const timer = this.starting.get(id);
    if (timer !== undefined) this.options.clock.clearTimeout(timer);
    this.starting.delete(id);
    this.costSeen.delete(id);
    this.started.delete(id);
    this.fresh.delete(id);
    this.lastAssignedAt.delete(id);
  }

  private signal(id: string, signal: SessionSignal): void {
    if (signal.kind !== 'idle' && signal.kind !== 'exit') return;
    const timer = this.starting.get(id);
    if (timer !== undefined) {
      this.options.clock.clearTimeout(timer);
      this.starting.delete(id);
      if (signal.kind === 'exit') this.startFailed(id, 'the CLI exited before showing its prompt');
      else this.startFailuresInARow = 0;
    }
    if (signal.kind === 'exit') this.fresh.delete(id);
    this.options.onChange();
  }

  private startFailed(id: string, reason: string): void {
    this.startFailuresInARow++;
    this.options.onStartFailed(id, reason, this.startFailuresInARow);
  }

  private stopSession(id: string, reason: string): void {
    const session = this.options.sessions.get(id);
    if (session?.hasProcess !== true) return;
    // The exit arrives as a signal; nothing waits for the promise, which only fails on a bug.
    session
      .stop(reason)
      .catch((error: unknown) =>
        this.options.warn('worker session did not stop', { sessionId: id, error: String(error) }),
      );
  }
}
