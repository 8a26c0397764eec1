import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { CaseStore } from '../agent/cases/cases.js';
import { resolveWorkingDir } from '../agent/cases/working-dir.js';
import { installHookRelay } from '../agent/claude/hooks/relay-script.js';
import { SessionHookFiles } from '../agent/claude/hooks/session-hook-files.js';
import { RalphLoop } from '../agent/ralph/ralph-loop.js';
import { RespawnManager } from '../agent/respawn/respawn-manager.js';
import { ScheduledRunner } from '../agent/scheduled/scheduled-runner.js';
import { CostLedger } from '../agent/session/cost-ledger.js';
import { LIMIT_RESUME_MARGIN_MS } from '../agent/session/limit-pause.js';
import { SessionManager } from '../agent/session/session-manager.js';
import { TaskQueue } from '../agent/tasks/task-queue.js';
import { TmuxServer } from '../agent/terminal/tmux/tmux-server.js';
import { EventBus } from '../events/bus.js';
import type { CostSummary, StatusSnapshot } from '../protocol/rest/status.js';
import { SqliteCostLedgerRepository } from '../store/cost-ledger.js';
import { databaseHealth, openDatabase } from '../store/database.js';
import { InstanceLock } from '../store/instance-lock.js';
import { SqliteQueueTaskRepository } from '../store/queue-tasks.js';
import { SqliteRalphStateRepository } from '../store/ralph-state.js';
import { SqliteRespawnRepository } from '../store/respawn-controllers.js';
import { SqliteScheduledRunRepository } from '../store/scheduled-runs.js';
import { SqliteSessionRepository } from '../store/sessions.js';
import { storageGuardOf } from '../store/storage-guard.js';
import { watchStorage } from '../store/storage-watch.js';
import { SqliteTranscriptRepository } from '../store/transcripts.js';
import { systemClock } from '../supervisor/clock.js';
import { orphanCounts } from '../supervisor/recovery/boot-orphan-sweep.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { ensurePrivateDir } from '../util/private-file.js';
import { BODY_LIMIT_BYTES, buildClaudemanApp } from './claudeman-app.js';
import type { ClaudemanConfig } from './claudeman-config.js';
import { CostFeed } from './cost-feed.js';
import type { EngineEvent } from './engine-event.js';
import type { ClientLimits } from './limits.js';
import { type Logger, logAdapter } from './logger.js';
import { collectClaudemanMetrics } from './metrics/claudeman-metrics.js';
import { EventCounters } from './metrics/stream-counters.js';
import { composeOverseerEngine } from './overseer-engine.js';
import type { ApiContext } from './rest/context.js';
import { loadOrCreateToken } from './security/token.js';
import { SseHub } from './sse/sse-hub.js';
import { TerminalClients } from './terminal/route.js';

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
  const limitResumeMarginMs = config.limitResumeMarginMs ?? LIMIT_RESUME_MARGIN_MS;
  // Owner only, also when it existed with looser modes: it holds the token, the database, the
  // sessions' hook secrets and the agents' environment.
  ensurePrivateDir(config.dataDir);
  const token = loadOrCreateToken(config.dataDir, config.token);
  const db = openDatabase(join(config.dataDir, DATABASE_FILE), log);
  const storage = storageGuardOf(db);
  const storageWatch = watchStorage(db, log);
  const bus = new EventBus<EngineEvent>();
  const costFeed = new CostFeed(
    new CostLedger({
      repository: new SqliteCostLedgerRepository(db),
      clock,
      casesRoot: config.casesDir,
      warn: log.warn,
    }),
  );
  const publish = (event: EngineEvent): void => {
    costFeed.take(event);
    bus.publish(event);
  };

  // ── the overseer half: what a killed earlier instance left running is ended before anything is
  // restored (sessions included: they share the process ledger) ──
  const { clientLimits } = options;
  const engine = await composeOverseerEngine({
    db,
    bus,
    log,
    clock,
    logFile: config.overseerLogFile ?? null,
    maxClients: clientLimits?.overseerClients,
    clientTimeoutMs: config.clientTimeoutMs,
  });
  const { supervisor, hub, processLedger, orphans } = engine;
  // Claude Code hooks report here once the server listens (the port may be chosen by the OS).
  const hookFiles = new SessionHookFiles(config.dataDir);
  const hookRelay = installHookRelay(config.dataDir);
  const sessions = new SessionManager({
    repository: new SqliteSessionRepository(db),
    transcripts: new SqliteTranscriptRepository(db),
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
  costFeed.begin(sessions.list());
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
    limitResumeMarginMs,
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
    timing: { limitResumeMarginMs },
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
    limitResumeMarginMs,
    warn: log.warn,
  });
  scheduled.restore();

  const costSummary = (): CostSummary => costFeed.summary(ralph.status().totalCost, scheduled.list());
  const snapshot = (): StatusSnapshot => ({
    sessions: sessions.list().map((session) => session.info()),
    scheduledRuns: scheduled.list(),
    respawnStatus: respawn.list(),
    timestamp: clock.now(),
    casesRoot: config.casesDir,
    costs: costSummary(),
  });
  const sse = new SseHub(bus, {
    snapshot,
    warn: log.warn,
    maxClients: clientLimits?.sseClients,
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

  const counters = new EventCounters(bus);

  // Everything above is open; a start that fails from here (the port is taken) closes it again.
  const shutdown = async (app: FastifyInstance | null): Promise<void> => {
    // ── autonomy shutdown (before sessions stop, so no controller reacts to the exits) ──
    ralph.shutdown();
    respawn.shutdown();
    await scheduled.shutdown();
    await sessions.shutdown();
    await supervisor.shutdown();
    sse.close();
    terminals.dispose();
    await engine.closeFace();
    await app?.close();
    storageWatch.close();
    db.close();
  };
  let app: FastifyInstance | null = null;
  try {
    app = await buildClaudemanApp({
      logger,
      config,
      token,
      context,
      hub,
      terminals,
      autonomy: { queue, ralph, respawn, scheduled },
      metrics: () =>
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
          costs: costSummary(),
        }),
    });
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    await shutdown(app);
    throw error;
  }
  const listening = app;
  const address = listening.server.address();
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
    await shutdown(listening);
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
