import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { EventBus } from '../events/bus.js';
import { openDatabase } from '../store/database.js';
import { InstanceLock } from '../store/instance-lock.js';
import { watchStorage } from '../store/storage-watch.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { EngineEvent } from './engine-event.js';
import { type Logger, logAdapter } from './logger.js';
import type { OverseerHub } from './overseer/hub.js';
import { registerOverseerRoute } from './overseer/route.js';
import { composeOverseerEngine } from './overseer-engine.js';
import { HostAllowlist } from './security/host-allowlist.js';
import type { TrustedCidrs } from './security/trusted-cidrs.js';
import { requireOwnHost, requireTrustedPeer } from './security/trusted-peer-hook.js';
import { registerWebSocketSupport } from './websocket-support.js';

export interface OverseerServerConfig {
  readonly dbPath: string;
  readonly pinnedCommand: string | null;
  readonly logFile: string | null;
  readonly trusted: TrustedCidrs;
  /** Host names the `Host` header may carry besides loopback, interfaces and the host name (OVERSEER_ALLOWED_HOSTS). */
  readonly allowedHosts?: readonly string[];
  /** Bind address; `::` listens on every interface (IPv4 too), as the original's `:PORT`. */
  readonly host: string;
  readonly port: number;
  readonly logger: Logger;
  /** Most `/ws` connections at once (default Limits.maxOverseerClients; tests lower it). */
  readonly maxClients?: number;
  /** Silence after which a client is disconnected (OVERSEER_CLIENT_TIMEOUT_MS; default Limits.clientTimeoutMs; 0: never). */
  readonly clientTimeoutMs?: number;
}

export interface RunningOverseer {
  readonly port: number;
  readonly supervisor: Supervisor;
  readonly hub: OverseerHub;
  /** Graceful shutdown: stop every worker (bounded wait), close clients, the log and the database. */
  close(): Promise<void>;
}

/** The single-instance lock of a database file: `<db>.lock` beside it. */
export function overseerLockPath(dbPath: string): string {
  return `${dbPath}.lock`;
}

/**
 * The sticky-overseer server: engine, store and the `/ws` face, wired together and listening. The
 * database's lock is taken first: a second server on the same file throws InstanceLockedError before
 * it reads or changes anything (an in-memory database has nothing to share, so no lock).
 */
export async function startOverseerServer(config: OverseerServerConfig): Promise<RunningOverseer> {
  const inMemory = config.dbPath === ':memory:';
  // The directory is created as openDatabase would, and left as it is (it may be the user's cwd).
  if (!inMemory) mkdirSync(dirname(config.dbPath), { recursive: true });
  const lock = inMemory
    ? null
    : InstanceLock.acquire(overseerLockPath(config.dbPath), `the database ${config.dbPath}`);
  try {
    return await startLocked(config, lock);
  } catch (error) {
    lock?.release();
    throw error;
  }
}

async function startLocked(
  config: OverseerServerConfig,
  lock: InstanceLock | null,
): Promise<RunningOverseer> {
  const log = logAdapter(config.logger);
  const db = openDatabase(config.dbPath, log);
  const storageWatch = watchStorage(db, log);
  const bus = new EventBus<EngineEvent>();
  const engine = await composeOverseerEngine({
    db,
    bus,
    log,
    pinnedCommand: config.pinnedCommand,
    logFile: config.logFile,
    maxClients: config.maxClients,
    clientTimeoutMs: config.clientTimeoutMs,
  });
  const { supervisor, hub, restored } = engine;

  // Per-request logs would cost more than the requests on a busy socket server; errors are still logged.
  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps the app's type the default one.
    loggerInstance: config.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
  });
  const hosts = new HostAllowlist({ extraNames: config.allowedHosts ?? [], boundHost: config.host });
  app.addHook('onRequest', requireTrustedPeer(config.trusted));
  app.addHook('onRequest', requireOwnHost(hosts));
  await registerWebSocketSupport(app);
  await app.register(registerOverseerRoute, { hub });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await engine.closeFace();
    storageWatch.close();
    db.close();
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  lock?.announce(`ws://${shownHost}:${port}/ws`);
  log.info('sticky-overseer listening', {
    address: `${config.host}:${port}`,
    tasksRestored: restored,
    trustedCidrs: config.trusted.describe(),
    allowedHosts: hosts.describe(),
    pinnedCommand: config.pinnedCommand,
  });

  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    await supervisor.shutdown();
    await hub.close();
    await app.close();
    await engine.eventLog?.close();
    storageWatch.close();
    db.close();
    lock?.release();
  };
  return {
    port,
    supervisor,
    hub,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
