import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { SessionManager } from '../../agent/session/session-manager.js';
import type { EventBus } from '../../events/bus.js';
import { ApiErrorCode } from '../../protocol/errors.js';
import { TerminalCloseCode } from '../../protocol/terminal-frames.js';
import type { EngineEvent } from '../engine-event.js';
import { CloseCodes, closeWebSocket, Limits } from '../limits.js';
import { sendApiError } from '../rest/error-reply.js';
import { SocketHeartbeat } from '../socket-heartbeat.js';
import { ViewerRegistry } from './session-viewers.js';
import { TERMINAL_BACKLOG_BYTES, TerminalSocket } from './terminal-socket.js';

/** The open terminal sockets, counted against their limit (and shown in /metrics). */
export class TerminalClients {
  private open = 0;
  /** Pings every terminal socket; ends those that stopped answering (they would hold a slot). */
  readonly heartbeat: SocketHeartbeat;
  /** Each session's viewers: who sizes its terminal, what input was applied. */
  readonly viewers = new ViewerRegistry();

  constructor(
    /** Most sockets at once; one more is closed with 1013. */
    readonly maxClients: number = Limits.maxTerminalClients,
    /** Unsent bytes above which one socket is closed as too slow. */
    readonly backlogBytes: number = TERMINAL_BACKLOG_BYTES,
    /** Silence after which a socket is ended (ms; 0: never). */
    clientTimeoutMs: number = Limits.clientTimeoutMs,
  ) {
    this.heartbeat = new SocketHeartbeat(clientTimeoutMs);
  }

  dispose(): void {
    this.heartbeat.dispose();
  }

  get count(): number {
    return this.open;
  }

  /** Counts the socket until it closes; false (and the socket closed with 1013) when full. */
  admit(socket: WebSocket): boolean {
    if (this.open >= this.maxClients) {
      socket.on('error', () => socket.terminate());
      closeWebSocket(
        socket,
        CloseCodes.tryAgainLater,
        `too many terminal connections: at most ${this.maxClients} at once`,
      );
      return false;
    }
    this.open++;
    socket.once('close', () => this.open--);
    this.heartbeat.watch(socket);
    return true;
  }
}

export interface TerminalRouteOptions {
  readonly sessions: SessionManager;
  readonly bus: EventBus<EngineEvent>;
  /** Default: the limits of Limits.maxTerminalClients and TERMINAL_BACKLOG_BYTES. */
  readonly clients?: TerminalClients;
}

/** `/ws/sessions/:id/terminal`: the live terminal of one session (see TerminalSocket). */
export async function registerTerminalRoute(
  app: FastifyInstance,
  options: TerminalRouteOptions,
): Promise<void> {
  const clients = options.clients ?? new TerminalClients();
  app.route<{ Params: { id: string } }>({
    method: 'GET',
    url: '/ws/sessions/:id/terminal',
    handler: async (_request, reply) =>
      sendApiError(reply, ApiErrorCode.BAD_REQUEST, 'this endpoint is a WebSocket: connect with an upgrade'),
    preHandler: async (request, reply) => {
      if (options.sessions.get(request.params.id) === undefined) {
        return sendApiError(reply, ApiErrorCode.SESSION_NOT_FOUND, `no session ${request.params.id}`);
      }
    },
    wsHandler: (socket, request) => {
      const session = options.sessions.get(request.params.id);
      if (session === undefined) {
        socket.close(TerminalCloseCode.noSuchSession, 'no such session');
        return;
      }
      if (!clients.admit(socket)) return;
      new TerminalSocket(
        socket,
        session,
        options.bus,
        clients.backlogBytes,
        (message, detail) => app.log.warn(detail ?? {}, message),
        clients.viewers.of(session),
      );
    },
  });
}
