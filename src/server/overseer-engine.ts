import type { EventBus } from '../events/bus.js';
import type { Database } from '../store/database.js';
import { SqliteTaskRepository } from '../store/overseer-tasks.js';
import type { Clock } from '../supervisor/clock.js';
import {
  guardedLedger,
  type OrphanSweep,
  orphanNotes,
  sweepOrphans,
} from '../supervisor/recovery/boot-orphan-sweep.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { STOP_GRACE_MS } from '../supervisor/terminate/shutdown.js';
import type { EngineEvent } from './engine-event.js';
import type { logAdapter } from './logger.js';
import { EventLog } from './overseer/event-log.js';
import { OverseerHub } from './overseer/hub.js';

export interface OverseerEngineOptions {
  readonly db: Database;
  readonly bus: EventBus<EngineEvent>;
  readonly log: ReturnType<typeof logAdapter>;
  readonly clock?: Clock;
  readonly pinnedCommand?: string | null;
  /** The JSONL event log (OVERSEER_LOG_FILE), or null for none. */
  readonly logFile: string | null;
  /** Most `/ws` connections at once (default Limits.maxOverseerClients). */
  readonly maxClients?: number;
  /** Silence after which a `/ws` client is disconnected (default Limits.clientTimeoutMs; 0: never). */
  readonly clientTimeoutMs?: number;
}

/** The supervisor with its recovered state, and the `/ws` face over it. */
export interface OverseerEngine {
  readonly supervisor: Supervisor;
  readonly hub: OverseerHub;
  readonly eventLog: EventLog | null;
  /** What the boot sweep found of a killed earlier instance; its ledger records this one's children. */
  readonly orphans: OrphanSweep;
  /** The process ledger every spawner of this instance writes to. */
  readonly processLedger: ReturnType<typeof guardedLedger>;
  /** How many stored tasks were restored. */
  readonly restored: number;
  /** Closes the face and the event log; stopping the workers is `supervisor.shutdown()`. */
  closeFace(): Promise<void>;
}

/**
 * The overseer half of the engine, composed once for both entry points (`sticky-overseer` and
 * `claudeman web`): what a killed earlier instance left running is ended first, then the tasks are
 * restored (as stopped, with a note for the ones whose orphan was ended), then the event log and the
 * hub open. The caller owns the database and the bus, and has taken the lock.
 */
export async function composeOverseerEngine(options: OverseerEngineOptions): Promise<OverseerEngine> {
  const { db, bus, log, clock } = options;
  const orphans = await sweepOrphans(db, { graceMs: STOP_GRACE_MS, log, clock });
  const processLedger = guardedLedger(orphans.ledger, log);
  const supervisor = new Supervisor({
    repository: new SqliteTaskRepository(db),
    publish: (event) => bus.publish(event),
    pinnedCommand: options.pinnedCommand ?? null,
    clock,
    log,
    processLedger,
  });
  const restored = supervisor.restore(orphanNotes(orphans.report, 'overseer'));
  const eventLog =
    options.logFile === null ? null : await EventLog.open(options.logFile, (message) => log.warn(message));
  const hub = new OverseerHub(supervisor, bus, eventLog, log, {
    maxClients: options.maxClients,
    clientTimeoutMs: options.clientTimeoutMs,
  });
  return {
    supervisor,
    hub,
    eventLog,
    orphans,
    processLedger,
    restored,
    closeFace: async () => {
      await hub.close();
      await eventLog?.close();
    },
  };
}
