import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { RalphLoop } from '../agent/ralph/ralph-loop.js';
import type { RespawnManager } from '../agent/respawn/respawn-manager.js';
import type { ScheduledRunner } from '../agent/scheduled/scheduled-runner.js';
import type { TaskQueue } from '../agent/tasks/task-queue.js';
import { ApiErrorCode } from '../protocol/errors.js';
import type { LimitReason } from '../util/limit-reasons.js';
import type { ClaudemanConfig } from './claudeman-config.js';
import type { Logger } from './logger.js';
import type { MetricFamily } from './metrics/stream-counters.js';
import type { OverseerHub } from './overseer/hub.js';
import { registerOverseerRoute } from './overseer/route.js';
import type { ApiContext } from './rest/context.js';
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
import { defaultTrustedCidrs, parseTrustedCidrs } from './security/trusted-cidrs.js';
import { requireTrustedPeer } from './security/trusted-peer-hook.js';
import { registerTerminalRoute, type TerminalClients } from './terminal/route.js';
import { webUiRoutes } from './web-ui.js';
import { registerWebSocketSupport } from './websocket-support.js';

/** Largest request body (bytes): a 100,000-character prompt in UTF-8 fits with room to spare. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
export const BODY_LIMIT_REASON: LimitReason = {
  metric: 'request_body_bytes',
  reason: 'Largest HTTP request body; larger ones get 413 BODY_TOO_LARGE (a 100,000-character prompt fits).',
};

export interface ClaudemanAppOptions {
  readonly logger: Logger;
  readonly config: ClaudemanConfig;
  readonly token: string;
  readonly context: ApiContext;
  readonly hub: OverseerHub;
  readonly terminals: TerminalClients;
  readonly autonomy: {
    readonly queue: TaskQueue;
    readonly ralph: RalphLoop;
    readonly respawn: RespawnManager;
    readonly scheduled: ScheduledRunner;
  };
  /** The families of `/metrics`, collected at each scrape. */
  readonly metrics: () => readonly MetricFamily[];
}

/**
 * The faces of `claudeman web` on one Fastify app, not yet listening: the browser-facing headers, the
 * peer, host and token checks (in that order, before any route), REST + SSE under /api, OpenAPI, the
 * web UI, the overseer protocol at /ws and the terminal sockets.
 */
export async function buildClaudemanApp(options: ClaudemanAppOptions): Promise<FastifyInstance> {
  const { logger, config, token, context, hub, terminals, autonomy } = options;
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
      return sendApiError(reply, ApiErrorCode.BAD_REQUEST, `invalid request: ${error.message}`);
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
  await app.register(hookRoutes(context.sessions));
  await app.register(metricsRoutes(options.metrics));
  // ── autonomy routes ──
  await app.register(taskRoutes(autonomy.queue));
  await app.register(ralphRoutes(autonomy.ralph));
  await app.register(respawnRoutes({ sessions: context.sessions, respawn: autonomy.respawn }));
  await app.register(scheduledRoutes(autonomy.scheduled));
  await app.register(webUiRoutes());
  await registerWebSocketSupport(app, {
    onBadHandshake: (socket, message) =>
      writeRawApiError(socket, 400, `WebSocket handshake refused: ${message}`),
  });
  await app.register(registerOverseerRoute, { hub });
  await app.register(registerTerminalRoute, {
    sessions: context.sessions,
    bus: context.bus,
    clients: terminals,
  });
  app.get('/api/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
