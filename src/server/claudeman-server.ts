import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { CaseStore } from '../agent/cases/cases.js';
import { resolveWorkingDir } from '../agent/cases/working-dir.js';
import { installHookRelay } from '../agent/claude/hooks/relay-script.js';
import { SessionHookFiles } from '../agent/claude/hooks/session-hook-files.js';
import { RalphLoop } from '../agent/ralph/ralph-loop.js';
import { RespawnManager } from '../agent/respawn/respawn-manager.js';
import { ScheduledRunner } from '../agent/scheduled/scheduled-runner.js';
import { SessionManager } from '../agent/session/session-manager.js';
import { TaskQueue } from '../agent/tasks/task-queue.js';
import { TmuxServer } from '../agent/terminal/tmux/tmux-server.js';
import { EventBus } from '../events/bus.js';
import { ApiErrorCode } from '../protocol/errors.js';
import { databaseHealth, openDatabase } from '../store/database.js';
import { InstanceLock } from '../store/instance-lock.js';
import { SqliteTaskRepository } from '../store/overseer-tasks.js';
import { SqliteQueueTaskRepository } from '../store/queue-tasks.js';
import { SqliteRalphStateRepository } from '../store/ralph-state.js';
import { SqliteRespawnRepository } from '../store/respawn-controllers.js';
import { SqliteScheduledRunRepository } from '../store/scheduled-runs.js';
import { SqliteSessionRepository } from '../store/sessions.js';
import { storageGuardOf } from '../store/storage-guard.js';
import { watchStorage } from '../store/storage-watch.js';
import { systemClock } from '../supervisor/clock.js';
import {
  guardedLedger,
  orphanCounts,
  orphanNotes,
  sweepOrphans,
} from '../supervisor/recovery/boot-orphan-sweep.js';
import { Supervisor } from '../supervisor/supervisor.js';
import { STOP_GRACE_MS } from '../supervisor/terminate/shutdown.js';
import { ensurePrivateDir } from '../util/private-file.js';
import type { ClaudemanConfig } from './claudeman-config.js';
import type { EngineEvent } from './engine-event.js';
import type { ClientLimits } from './limits.js';
import { type Logger, logAdapter } from './logger.js';
import { collectClaudemanMetrics } from './metrics/claudeman-metrics.js';
import { EventCounters } from './metrics/stream-counters.js';
import { EventLog } from './overseer/event-log.js';
import { OverseerHub } from './overseer/hub.js';
import { registerOverseerRoute } from './overseer/route.js';
import type { ApiContext, StatusSnapshot } from './rest/context.js';
import { apiClientErrorHandler, installErrorHandling, writeRawApiError } from './rest/error-handler.js';
import { sendApiError } from './rest/error-reply.js';
import { acceptEmptyJsonBodies } from './rest/json-body.js';
import { caseRoutes } from './rest/routes/cases.js';
import { eventRoutes } from './rest/routes/events.js';
import { hookRoutes } from './rest/routes/hooks.js';
import { metricsRoutes } from './rest/routes/metrics.js';
import { quickRunRoutes } from './rest/routes/quick-run.js';
import { ralphRoutes } from './rest/routes/ralph.js';
import { respawnRoutes } from './rest/routes/respawn.js';
import { scheduledRoutes } from './rest/routes/scheduled.js';
import { sessionRoutes } from './rest/routes/sessions.js';
import { statusRoutes } from './rest/routes/status.js';
import { taskRoutes } from './rest/routes/tasks.js';
import { accessHook } from './security/access-hook.js';
import { setBrowserHeaders } from './security/browser-headers.js';
import { HostAllowlist } from './security/host-allowlist.js';
import { loadOrCreateToken } from './security/token.js';
import { defaultTrustedCidrs, parseTrustedCidrs } from './security/trusted-cidrs.js';
import { requireTrustedPeer } from './security/trusted-peer-hook.js';
import { SseHub } from './sse/sse-hub.js';
import { registerTerminalRoute, TerminalClients } from './terminal/route.js';
import { webUiRoutes } from './web-ui.js';
import { registerWebSocketSupport } from './websocket-support.js';

/** Largest request body (bytes): a 100,000-character prompt in UTF-8 fits with room to spare. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const DATABASE_FILE = 'claudeman.db';
/** The data directory's single-instance lock (see store/instance-lock.ts). */
export const LOCK_FILE = 'claudeman.lock';

/** The address the CLI's hooks use: the bound one, or loopback when bound to every interface. */
function hookHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** What tests may change beyond the configuration: lower client limits (default: the constants). */
export interface ClaudemanServerOptions {
  readonly clientLimits?: Partial<ClientLimits>;
}

/** The tmux server interactive sessions run on, or null for plain PTYs (setting `pty`, or no tmux). */
function terminalHostServer(config: ClaudemanConfig): TmuxServer | null {
  if (config.terminalHost === 'pty') return null;
  const tmux = TmuxServer.detect(config.dataDir, process.env.PATH);
  if (tmux === null && config.terminalHost === 'tmux') {
    throw new Error('CLAUDEMAN_TERMINAL_HOST=tmux, but tmux is not installed (apt-get install tmux)');
  }
  return tmux;
}

export interface RunningClaudeman {
  readonly port: number;
  readonly url: string;
  readonly token: string;
  readonly sessions: SessionManager;
  readonly supervisor: Supervisor;
  readonly sse: SseHub;
  /** Graceful shutdown: stop sessions and tasks, close clients, the store. */
  close(): Promise<void>;
}

/**
 * `claudeman web`: the engine (supervisor, sessions, cases), the store, one event bus, and the faces
 * on one Fastify server: REST + SSE under /api, the overseer protocol at /ws, OpenAPI, health.
 *
 * The data directory's lock is taken before anything else touches it (the database, the orphan sweep,
 * tmux adoption): a second server on it throws InstanceLockedError and changes nothing. The lock is
 * released by close(), or at once when the start fails.
 */
export async function startClaudemanServer(
  config: ClaudemanConfig,
  logger: Logger,
  options: ClaudemanServerOptions = {},
): Promise<RunningClaudeman> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const lock = InstanceLock.acquire(
    join(config.dataDir, LOCK_FILE),
    `this data directory (${config.dataDir})`,
  );
  try {
    return await startLocked(config, logger, options, lock);
  } catch (error) {
    lock.release();
    throw error;
  }
}

async function startLocked(
  config: ClaudemanConfig,
  logger: Logger,
  options: ClaudemanServerOptions,
  lock: InstanceLock,
): Promise<RunningClaudeman> {
  const log = logAdapter(logger);
  const clock = systemClock;
  // Owner only, also when it existed with looser modes: it holds the token, the database, the
  // sessions' hook secrets and the agents' environment.
  ensurePrivateDir(config.dataDir);
  const token = loadOrCreateToken(config.dataDir, config.token);
  const db = openDatabase(join(config.dataDir, DATABASE_FILE), log);
  const storage = storageGuardOf(db);
  const storageWatch = watchStorage(db, log);
  const bus = new EventBus<EngineEvent>();
  const publish = (event: EngineEvent): void => bus.publish(event);

  // ── orphans: what a killed earlier instance left running is ended before anything is restored ──
  const orphans = await sweepOrphans(db, { graceMs: STOP_GRACE_MS, log, clock });
  const processLedger = guardedLedger(orphans.ledger, log);
  const supervisor = new Supervisor({
    repository: new SqliteTaskRepository(db),
    publish,
    clock,
    log,
    processLedger,
  });
  supervisor.restore(orphanNotes(orphans.report, 'overseer'));
  // Claude Code hooks report here once the server listens (the port may be chosen by the OS).
  const hookFiles = new SessionHookFiles(config.dataDir);
  const hookRelay = installHookRelay(config.dataDir);
  const sessions = new SessionManager({
    repository: new SqliteSessionRepository(db),
    clock,
    publish,
    settings: {
      claudeBin: config.claudeBin,
      env: config.childEnv,
      permissionMode: config.permissionMode,
      oneShotTimeoutMs: config.oneShotTimeoutMs,
      hookFiles,
      tmux: terminalHostServer(config),
      processes: processLedger,
    },
    casesRoot: config.casesDir,
    warn: log.warn,
  });
  sessions.restore();
  // The default working directory of every session, task and run: it must exist.
  mkdirSync(config.casesDir, { recursive: true });
  const cases = new CaseStore(config.casesDir);

  // ── autonomy: respawn controllers ──
  const respawn = new RespawnManager({
    sessions,
    repository: new SqliteRespawnRepository(db),
    clock,
    publish,
    warn: log.warn,
  });
  respawn.restore();

  // ── autonomy: task queue and Ralph loop ──
  const queue = new TaskQueue({
    repository: new SqliteQueueTaskRepository(db),
    clock,
    publish,
    resolveWorkingDir: (dir) => resolveWorkingDir(dir, config.casesDir),
  });
  // A task whose agent was adopted from tmux stays running; the Ralph loop watches on (or requeues it).
  queue.restore((task) => {
    const sessionId = task.assignedSessionId;
    return sessionId !== null && sessions.get(sessionId)?.isInteractive === true;
  });
  const ralph = new RalphLoop({
    queue,
    sessions,
    repository: new SqliteRalphStateRepository(db),
    clock,
    publish,
    warn: log.warn,
  });
  ralph.restore();

  // ── autonomy: scheduled runs ──
  const scheduled = new ScheduledRunner({
    repository: new SqliteScheduledRunRepository(db),
    sessions,
    clock,
    publish,
    casesRoot: config.casesDir,
    iterationTimeoutMs: config.oneShotTimeoutMs,
    warn: log.warn,
  });
  scheduled.restore();

  const snapshot = (): StatusSnapshot => ({
    sessions: sessions.list().map((session) => session.info()),
    scheduledRuns: scheduled.list(),
    respawnStatus: respawn.list(),
    timestamp: clock.now(),
    casesRoot: config.casesDir,
  });
  const { clientLimits } = options;
  const sse = new SseHub(bus, {
    snapshot,
    warn: log.warn,
    maxClients: clientLimits?.sseClients,
    clientTimeoutMs: config.clientTimeoutMs,
  });
  const overseerLog = config.overseerLogFile
    ? await EventLog.open(config.overseerLogFile, (message) => log.warn(message))
    : null;
  const hub = new OverseerHub(supervisor, bus, overseerLog, log, {
    maxClients: clientLimits?.overseerClients,
    clientTimeoutMs: config.clientTimeoutMs,
  });
  const terminals = new TerminalClients(clientLimits?.terminalClients, undefined, config.clientTimeoutMs);
  const context: ApiContext = {
    sessions,
    cases,
    supervisor,
    bus,
    sse,
    clock,
    snapshot,
    storage: () => storage.status(),
  };

  const app = Fastify({
    // pino's Logger is a FastifyBaseLogger; typing it as such keeps the app's type the default one.
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    // On shutdown, connections still busy (a client that never read a response body) are closed
    // rather than waited for: the work behind them has already been stopped.
    forceCloseConnections: true,
    // A request without a Host header reaches the access hook (403 HOST_NOT_ALLOWED, the API's
    // body) instead of Node's bare 400 without a body.
    http: { requireHostHeader: false },
    // Types are checked, never converted: `{"prompt": 42}` is a bad request, not the prompt "42".
    ajv: { customOptions: { coerceTypes: false } },
    // Ids up to the schemas' own 200-character limit reach the routes (which answer 404).
    routerOptions: { maxParamLength: 256 },
    // Malformed URLs and over-long ids get the API's error body too.
    // (They come before any hook, so they set the browser-facing headers themselves.)
    frameworkErrors: (error, request, reply) => {
      void setBrowserHeaders(request, reply);
      return sendApiError(reply, 400, ApiErrorCode.BAD_REQUEST, `invalid request: ${error.message}`);
    },
    // So do requests Node's HTTP parser refuses (e.g. a URL past its 16 KiB header limit).
    clientErrorHandler: apiClientErrorHandler,
  });
  const trusted = config.trustedCidrs ? parseTrustedCidrs(config.trustedCidrs) : defaultTrustedCidrs();
  app.addHook('onRequest', setBrowserHeaders);
  app.addHook('onRequest', requireTrustedPeer(trusted));
  const hosts = new HostAllowlist({ extraNames: config.extraHostNames, boundHost: config.host });
  app.addHook('onRequest', accessHook({ token, hosts }));
  installErrorHandling(app);
  acceptEmptyJsonBodies(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Claudeman API', version: '1' },
      components: { securitySchemes: { token: { type: 'http', scheme: 'bearer' } } },
      security: [{ token: [] }],
    },
  });
  await app.register(sessionRoutes(context));
  await app.register(quickRunRoutes(context));
  await app.register(caseRoutes(context));
  await app.register(statusRoutes(context));
  await app.register(eventRoutes(context));
  await app.register(hookRoutes(sessions));
  const counters = new EventCounters(bus);
  await app.register(
    metricsRoutes(() =>
      collectClaudemanMetrics({
        sessions,
        supervisor,
        hub,
        sse,
        terminals,
        counters,
        bodyLimitBytes: BODY_LIMIT_BYTES,
        databaseOk: databaseHealth(db)?.ok,
        storage: storage.status(),
        recovery: { orphans: orphanCounts(orphans.report), sessions: sessions.recovery },
      }),
    ),
  );
  // ── autonomy routes ──
  await app.register(taskRoutes(queue));
  await app.register(ralphRoutes(ralph));
  await app.register(respawnRoutes({ sessions, respawn }));
  await app.register(scheduledRoutes(scheduled));
  await app.register(webUiRoutes());
  await registerWebSocketSupport(app, {
    onBadHandshake: (socket, message) =>
      writeRawApiError(socket, 400, `WebSocket handshake refused: ${message}`),
  });
  await app.register(registerOverseerRoute, { hub });
  await app.register(registerTerminalRoute, { sessions, bus, clients: terminals });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  // Adopted agents' settings get the new address too (the relay also looks it up in server.json).
  hookFiles.setEndpoint(
    { baseUrl: `http://${hookHost(config.host)}:${port}`, relayPath: hookRelay, nodePath: process.execPath },
    sessions.list(),
  );
  const shownHost = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${shownHost}:${port}/?token=${token}`;
  lock.announce(`http://${shownHost}:${port}`);

  let closing: Promise<void> | null = null;
  const close = async (): Promise<void> => {
    // ── autonomy shutdown (before sessions stop, so no controller reacts to the exits) ──
    ralph.shutdown();
    respawn.shutdown();
    await scheduled.shutdown();
    await sessions.shutdown();
    await supervisor.shutdown();
    sse.close();
    terminals.dispose();
    await hub.close();
    await overseerLog?.close();
    await app.close();
    storageWatch.close();
    db.close();
    lock.release();
  };
  return {
    port,
    url,
    token,
    sessions,
    supervisor,
    sse,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
