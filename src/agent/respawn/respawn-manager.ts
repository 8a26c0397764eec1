import type { ApiErrorCode } from '../../protocol/errors.js';
import type { RespawnEvent } from '../../protocol/events.js';
import { DEFAULT_RESPAWN_CONFIG, RespawnConfig, type RespawnStatus } from '../../protocol/rest/respawn.js';
import { failure, type Result } from '../../protocol/result.js';
import type { RespawnRepository, StoredRespawnController } from '../../store/respawn-controllers.js';
import { type StorageErrorCode, tryWrite } from '../../store/storage-errors.js';
import type { Clock } from '../../supervisor/clock.js';
import type { Session } from '../session/session.js';
import { notInteractive } from '../session/session-errors.js';
import { mergeRespawnConfig } from './respawn-config.js';
import { type RespawnTarget, STOP_REQUESTED_REASON } from './respawn-contract.js';
import { RespawnController } from './respawn-controller.js';

/**
 * Why a controller that ran when the server stopped (or crashed) no longer runs. Its session's CLI
 * died with the server and comes back stopped, so there is nothing to drive until someone starts
 * interactive mode again — and then typing into it unasked would surprise them. The config is kept:
 * a start without a config resumes with it.
 */
export const SERVER_RESTARTED_REASON = 'server restarted';
/** Why controllers stop on shutdown; not written to the store, so the next start sees they ran. */
export const SERVER_SHUTDOWN_REASON = 'server shutting down';
/** Why a running controller stopped when a start replaced it. */
export const REPLACED_REASON = 'replaced by a new start';

/** What the manager needs of a session. */
export type RespawnSession = Pick<
  Session,
  'isInteractive' | 'status' | 'state' | 'limitedUntil' | 'submitLine' | 'onSignal'
>;

/** How the respawn API fails: codes of the REST API, so each one has its HTTP status. */
export type RespawnErrorCode =
  | Extract<
      ApiErrorCode,
      | 'SESSION_NOT_FOUND'
      | 'NOT_INTERACTIVE'
      | 'RESPAWN_NOT_FOUND'
      | 'RESPAWN_NOT_RUNNING'
      | 'INVALID_RESPAWN_CONFIG'
    >
  | StorageErrorCode;

export interface RespawnManagerOptions {
  readonly sessions: { get(id: string): RespawnSession | undefined };
  readonly repository: RespawnRepository;
  readonly clock: Clock;
  readonly publish: (event: RespawnEvent) => void;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
  /** Waited past a usage limit's reset before cycles start again (ms; default a minute). */
  readonly limitResumeMarginMs?: number;
}

/** The Session as the controller sees it. */
function targetOf(session: RespawnSession): RespawnTarget {
  return {
    get isInteractive() {
      return session.isInteractive;
    },
    get isIdle() {
      return session.status === 'idle';
    },
    get limitedUntil() {
      return session.state === 'limited' ? session.limitedUntil : null;
    },
    submitLine: (text) => session.submitLine(text),
    onSignal: (listener) => session.onSignal(listener),
  };
}

/** One respawn controller per session: start, stop, config, status, persistence and restoration. */
export class RespawnManager {
  readonly #controllers = new Map<string, RespawnController>();
  #shuttingDown = false;

  constructor(private readonly options: RespawnManagerOptions) {}

  /**
   * Re-creates the stored controllers. One that was running starts again if its session is
   * interactive (it never is right after a restart, but the rule does not depend on that); otherwise
   * it is recorded as stopped with SERVER_RESTARTED_REASON. Returns how many were restored.
   */
  restore(): number {
    for (const stored of this.options.repository.loadAll()) {
      const session = this.options.sessions.get(stored.sessionId);
      if (session === undefined) {
        this.options.repository.deleteEventually(stored.sessionId);
        continue;
      }
      const config = this.#storedConfig(stored);
      if (stored.running && session.isInteractive) {
        this.#startController(stored.sessionId, session, config);
        continue;
      }
      const controller = this.#create(stored.sessionId, session, config, {
        cycleCount: stored.cycleCount,
        startedAt: stored.startedAt,
        stopReason: stored.running ? SERVER_RESTARTED_REASON : stored.stopReason,
      });
      this.#controllers.set(stored.sessionId, controller);
      if (stored.running) this.#persist(controller);
    }
    return this.#controllers.size;
  }

  /**
   * Starts (or restarts) the session's controller. The config is the previous one (also a stored one
   * from before a restart) or the defaults, with `patch` applied.
   */
  start(sessionId: string, patch: unknown = {}): Result<{ status: RespawnStatus }, RespawnErrorCode> {
    const session = this.options.sessions.get(sessionId);
    if (session === undefined) return failure('SESSION_NOT_FOUND', `no session ${sessionId}`);
    if (!session.isInteractive) return notInteractive();
    const previous = this.#controllers.get(sessionId);
    const merged = mergeRespawnConfig(previous?.config ?? DEFAULT_RESPAWN_CONFIG, patch);
    if (!merged.ok) return failure('INVALID_RESPAWN_CONFIG', merged.message);
    // Written before it runs: a store that cannot take it leaves everything as it was.
    const written = this.#write({
      sessionId,
      config: merged.config,
      running: true,
      cycleCount: 0,
      startedAt: this.options.clock.now(),
      stopReason: null,
    });
    if (!written.ok) return written;
    previous?.stop(REPLACED_REASON);
    const controller = this.#startController(sessionId, session, merged.config);
    return { ok: true, status: controller.status() };
  }

  stop(sessionId: string, reason = STOP_REQUESTED_REASON): Result<object, RespawnErrorCode> {
    if (this.options.sessions.get(sessionId) === undefined) {
      return failure('SESSION_NOT_FOUND', `no session ${sessionId}`);
    }
    const controller = this.#controllers.get(sessionId);
    if (controller === undefined || !controller.isRunning) {
      return failure('RESPAWN_NOT_RUNNING', `no respawn controller runs for session ${sessionId}`);
    }
    const written = this.#write({ ...this.#stored(controller), running: false, stopReason: reason });
    if (!written.ok) return written;
    controller.stop(reason);
    return { ok: true };
  }

  /** Updates the config of the session's controller, running or stopped (the next start uses it). */
  updateConfig(sessionId: string, patch: unknown): Result<{ config: RespawnConfig }, RespawnErrorCode> {
    if (this.options.sessions.get(sessionId) === undefined) {
      return failure('SESSION_NOT_FOUND', `no session ${sessionId}`);
    }
    const controller = this.#controllers.get(sessionId);
    if (controller === undefined) {
      return failure('RESPAWN_NOT_FOUND', `session ${sessionId} has no respawn controller: start one first`);
    }
    const merged = mergeRespawnConfig(controller.config, patch);
    if (!merged.ok) return failure('INVALID_RESPAWN_CONFIG', merged.message);
    const written = this.#write({ ...this.#stored(controller), config: merged.config });
    if (!written.ok) return written;
    const updated = controller.updateConfig(patch);
    if (!updated.ok) return failure('INVALID_RESPAWN_CONFIG', updated.message);
    return { ok: true, config: { ...updated.config } };
  }

  /** The controller's status, or null when the session never had one. */
  status(sessionId: string): RespawnStatus | null {
    this.#prune();
    return this.#controllers.get(sessionId)?.status() ?? null;
  }

  /** Every controller's status by session id (the `respawnStatus` of the state snapshot). */
  list(): Record<string, RespawnStatus> {
    this.#prune();
    const all: Record<string, RespawnStatus> = {};
    for (const [sessionId, controller] of this.#controllers) all[sessionId] = controller.status();
    return all;
  }

  /**
   * Stops every controller before the sessions stop, so none reacts to their exits. The store keeps
   * them as running, which is how the next start knows to report SERVER_RESTARTED_REASON.
   */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const controller of this.#controllers.values()) controller.stop(SERVER_SHUTDOWN_REASON);
  }

  #startController(
    sessionId: string,
    session: RespawnSession,
    config: Readonly<RespawnConfig>,
  ): RespawnController {
    const controller = this.#create(sessionId, session, config);
    this.#controllers.set(sessionId, controller);
    // The session was checked to be interactive, which is all start() can refuse.
    controller.start();
    return controller;
  }

  #create(
    sessionId: string,
    session: RespawnSession,
    config: Readonly<RespawnConfig>,
    restored?: { cycleCount: number; startedAt: number | null; stopReason: string | null },
  ): RespawnController {
    const controller: RespawnController = new RespawnController({
      sessionId,
      target: targetOf(session),
      clock: this.options.clock,
      config,
      publish: (event) => this.#onEvent(controller, event),
      ...(this.options.limitResumeMarginMs === undefined
        ? {}
        : { limitResumeMarginMs: this.options.limitResumeMarginMs }),
      ...(restored === undefined ? {} : { restored }),
    });
    return controller;
  }

  #onEvent(controller: RespawnController, event: RespawnEvent): void {
    switch (event.kind) {
      case 'respawn:started':
      case 'respawn:cycleStarted':
      case 'respawn:configUpdated':
        this.#persist(controller);
        break;
      case 'respawn:stopped':
        if (!this.#shuttingDown) this.#persist(controller);
        break;
      default:
        break;
    }
    this.options.publish(event);
  }

  /** The controller's row as it stands. */
  #stored(controller: RespawnController): StoredRespawnController {
    const status = controller.status();
    return {
      sessionId: controller.sessionId,
      config: status.config,
      running: status.state !== 'stopped',
      cycleCount: status.cycleCount,
      startedAt: status.startedAt,
      stopReason: status.stopReason,
    };
  }

  /** A change a client asked for, written before it is made; a refused write is the answer. */
  #write(record: StoredRespawnController): Result<object, RespawnErrorCode> {
    return tryWrite(() => this.options.repository.upsert(record)) ?? { ok: true };
  }

  /** The controller's own progress (a cycle began): written now, or as soon as the store can. */
  #persist(controller: RespawnController): void {
    // A controller no longer in the map (its session was deleted) has no row to write.
    if (this.#controllers.get(controller.sessionId) !== controller) return;
    try {
      this.options.repository.upsertEventually(this.#stored(controller));
    } catch (error) {
      this.options.warn('respawn controller state not persisted', {
        sessionId: controller.sessionId,
        error: (error as Error).message,
      });
    }
  }

  /** A stored config, known keys only (a newer version may have added some); the defaults if broken. */
  #storedConfig(stored: StoredRespawnController): Readonly<RespawnConfig> {
    const known: Record<string, unknown> = {};
    if (typeof stored.config === 'object' && stored.config !== null) {
      for (const [key, value] of Object.entries(stored.config)) {
        if (key in RespawnConfig.properties) known[key] = value;
      }
    }
    const merged = mergeRespawnConfig(DEFAULT_RESPAWN_CONFIG, known);
    if (merged.ok) return merged.config;
    this.options.warn('stored respawn config is invalid; using the defaults', {
      sessionId: stored.sessionId,
      error: merged.message,
    });
    return DEFAULT_RESPAWN_CONFIG;
  }

  /** Forgets controllers of deleted sessions (their rows went with the session, ON DELETE CASCADE). */
  #prune(): void {
    for (const [sessionId, controller] of this.#controllers) {
      if (this.options.sessions.get(sessionId) !== undefined) continue;
      this.#controllers.delete(sessionId);
      controller.stop('the session was deleted');
    }
  }
}
