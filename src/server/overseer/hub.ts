import type { RawData, WebSocket } from 'ws';
import type { EventBus, Subscription } from '../../events/bus.js';
import { type IncomingMessage, MessageType } from '../../protocol/overseer/messages.js';
import type { Failure } from '../../protocol/result.js';
import type { SupervisorErrorCode } from '../../supervisor/errors.js';
import type { SupervisedTaskEvent } from '../../supervisor/events.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { parseRfc3339 } from '../../util/rfc3339.js';
import type { EngineEvent } from '../engine-event.js';
import { CloseCodes, closeWebSocket, Limits } from '../limits.js';
import { SocketHeartbeat } from '../socket-heartbeat.js';
import { frameText } from '../websocket-support.js';
import { ClientConnection } from './client-connection.js';
import { decodeMessage } from './decode.js';
import { encodeError, encodeEvent, encodeStartedReply, encodeTasks } from './encode.js';
import { DecodeErrors, INTERNAL_ERROR_TEXT, supervisorErrorText } from './error-text.js';
import type { EventLog } from './event-log.js';
import { OutputFlowControl } from './output-flow.js';

export interface HubLog {
  info(message: string, detail?: Record<string, unknown>): void;
  warn(message: string, detail?: Record<string, unknown>): void;
}

export interface OverseerHubOptions {
  /** Most connections at once (default Limits.maxOverseerClients); one more is closed with 1013. */
  readonly maxClients?: number;
  /** Silence after which a connection is ended (default Limits.clientTimeoutMs; 0: never). */
  readonly clientTimeoutMs?: number;
}

/** Which supervisor events go to every connection, and which to the event log (the original's choices). */
function isBroadcast(event: EngineEvent): event is SupervisedTaskEvent {
  switch (event.kind) {
    case 'process:output':
    case 'process:exited':
    case 'process:restarting':
    case 'process:errored':
      return true;
    case 'process:started':
      return event.cause === 'restart';
    default:
      return false;
  }
}
function isLogged(event: EngineEvent): boolean {
  return event.kind === 'process:output' || event.kind === 'process:exited';
}

/**
 * The overseer face: speaks the sticky-overseer protocol on each WebSocket, replies to the requester
 * and broadcasts supervisor events to every connection. Each event is encoded once per batch; the same
 * text goes to all connections and to the event log.
 */
export class OverseerHub {
  private readonly connections = new Set<ClientConnection>();
  private readonly subscription: Subscription;
  private readonly flow: OutputFlowControl<ClientConnection>;
  readonly maxClients: number;
  /** Pings every connection; ends those that stopped answering (a dead client must not hold a slot). */
  readonly heartbeat: SocketHeartbeat;
  private readonly handlers: Partial<
    Record<string, (connection: ClientConnection, message: IncomingMessage) => void>
  > = {
    [MessageType.start]: (connection, message) => this.handleStart(connection, message),
    [MessageType.list]: (connection, message) => this.handleList(connection, message),
    [MessageType.stop]: (connection, message) => this.handleStop(connection, message),
    [MessageType.reset]: (connection, message) => this.handleReset(connection, message),
    [MessageType.replay]: (connection, message) => this.handleReplay(connection, message),
  };

  constructor(
    private readonly supervisor: Supervisor,
    bus: EventBus<EngineEvent>,
    private readonly eventLog: EventLog | null,
    private readonly log: HubLog,
    options: OverseerHubOptions = {},
  ) {
    this.maxClients = options.maxClients ?? Limits.maxOverseerClients;
    this.heartbeat = new SocketHeartbeat(options.clientTimeoutMs ?? Limits.clientTimeoutMs, (silentMs) =>
      this.log.warn('disconnecting a client that stopped answering pings', { silentMs }),
    );
    this.flow = new OutputFlowControl(
      (paused) => supervisor.setOutputPaused(paused),
      (connection) => {
        this.log.warn('disconnecting stalled client', { backlogBytes: connection.backlog });
        connection.close(
          CloseCodes.tryAgainLater,
          'client stalled: took no data while output was held for it',
        );
      },
    );
    this.subscription = bus.subscribe({
      filter: (event) => isBroadcast(event) || (eventLog !== null && isLogged(event)),
      maxQueued: Limits.subscriberQueueEvents,
      deliver: (batch) => this.deliver(batch),
      onOverflow: (queued) => this.log.warn('overseer event queue overflowed', { queued }),
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Connections not being closed. */
  get openConnectionCount(): number {
    let open = 0;
    for (const connection of this.connections) if (connection.open) open++;
    return open;
  }

  accept(socket: WebSocket): void {
    // Connections still closing count too: their sockets and queues are not freed yet.
    if (this.connections.size >= this.maxClients) {
      this.log.warn('refusing a connection over the limit', { maxClients: this.maxClients });
      socket.on('error', () => socket.terminate());
      closeWebSocket(
        socket,
        CloseCodes.tryAgainLater,
        `too many clients: at most ${this.maxClients} connections at once`,
      );
      return;
    }
    const connection = new ClientConnection(
      socket,
      (backlog) => this.log.warn('disconnecting slow client', { backlogBytes: backlog }),
      () => this.flow.drained(),
    );
    this.connections.add(connection);
    this.heartbeat.watch(socket);
    socket.on('message', (data: RawData) => this.handleFrame(connection, data));
    socket.on('error', (error) => this.log.info('websocket error', { error: error.message }));
    socket.once('close', () => {
      this.connections.delete(connection);
      this.flow.update(this.connections);
    });
  }

  /**
   * Server shutting down: stops listening to the engine and closes every connection (1001), waiting
   * briefly for the peers to answer; sockets of peers that do not are destroyed.
   */
  async close(): Promise<void> {
    this.subscription.close();
    this.flow.dispose();
    this.heartbeat.dispose();
    const closing = [...this.connections];
    for (const connection of closing) {
      connection.close(CloseCodes.goingAway, 'server shutting down', Limits.shutdownCloseGraceMs);
    }
    await Promise.all(closing.map((connection) => connection.closed()));
    this.connections.clear();
  }

  private deliver(batch: readonly EngineEvent[]): void {
    const broadcast: string[] = [];
    const logged: string[] = [];
    for (const event of batch) {
      const broadcastable = isBroadcast(event);
      const loggable = this.eventLog !== null && isLogged(event);
      if (!broadcastable && !loggable) continue;
      const text = encodeEvent(event as SupervisedTaskEvent);
      if (broadcastable) broadcast.push(text);
      if (loggable) logged.push(text);
    }
    if (broadcast.length > 0) {
      for (const connection of this.connections) connection.sendBatch(broadcast);
      this.flow.update(this.connections);
    }
    this.eventLog?.append(logged);
  }

  /**
   * Nothing a client sends may throw out of here (an exception in a socket's message handler ends
   * the server): an unexpected failure is logged and answered with an error, the connection stays.
   */
  private handleFrame(connection: ClientConnection, data: RawData): void {
    try {
      this.route(connection, data);
    } catch (error) {
      this.log.warn('overseer frame failed', { error: (error as Error).message });
      connection.send(encodeError(INTERNAL_ERROR_TEXT, ''));
    }
  }

  private route(connection: ClientConnection, data: RawData): void {
    const decoded = decodeMessage(frameText(data));
    if (!decoded.ok) {
      connection.send(encodeError(DecodeErrors.invalidJson, decoded.id));
      return;
    }
    const message = decoded.message;
    // Own keys only: a `type` such as "constructor" or "__proto__" must not reach Object.prototype.
    const handler = Object.hasOwn(this.handlers, message.type) ? this.handlers[message.type] : undefined;
    if (handler === undefined) connection.send(encodeError(DecodeErrors.unknownType, message.id));
    else handler(connection, message);
  }

  private handleStart(connection: ClientConnection, message: IncomingMessage): void {
    // The wire's zero values (Go's: '' and null) mean "absent"; the engine's absent is undefined.
    const result = this.supervisor.start({
      taskId: absentIfEmpty(message.taskId),
      command: absentIfEmpty(message.command),
      args: message.args ?? undefined,
      retryPolicy: message.retryPolicy ?? undefined,
    });
    if (!result.ok) {
      this.sendFailure(connection, result, message.id);
      return;
    }
    this.log.info('started worker', { taskId: result.taskId, pid: result.pid });
    this.replyStarted(connection, encodeStartedReply(result, message.id));
  }

  private handleReset(connection: ClientConnection, message: IncomingMessage): void {
    const result = this.supervisor.reset(absentIfEmpty(message.taskId));
    if (!result.ok) {
      this.sendFailure(connection, result, message.id);
      return;
    }
    this.replyStarted(connection, encodeStartedReply(result, message.id));
  }

  private sendFailure(connection: ClientConnection, failure: Failure<SupervisorErrorCode>, id: string): void {
    connection.send(encodeError(supervisorErrorText(failure, this.supervisor.pinnedCommand), id));
  }

  /** `started` goes to the requester only, and (with its `id`) to the event log. */
  private replyStarted(connection: ClientConnection, text: string): void {
    connection.send(text);
    this.eventLog?.append([text]);
  }

  private handleList(connection: ClientConnection, message: IncomingMessage): void {
    const since = parseSince(message.since);
    if (since === null) {
      connection.send(encodeError(DecodeErrors.invalidSince, message.id));
      return;
    }
    connection.send(encodeTasks(this.supervisor.list(since), message.id));
  }

  private handleStop(connection: ClientConnection, message: IncomingMessage): void {
    const result = this.supervisor.stop(absentIfEmpty(message.taskId));
    // Success has no reply: the broadcast `exited` (intentional) is the acknowledgement.
    if (!result.ok) this.sendFailure(connection, result, message.id);
  }

  private handleReplay(connection: ClientConnection, message: IncomingMessage): void {
    const found = this.supervisor.replayFor(absentIfEmpty(message.taskId));
    if (!found.ok) {
      this.sendFailure(connection, found, message.id);
      return;
    }
    const since = parseSince(message.since);
    if (since === null) {
      connection.send(encodeError(DecodeErrors.invalidSince, message.id));
      return;
    }
    connection.sendBatch(found.events(since).map((event) => encodeEvent(event)));
  }
}

/** Go's zero value for a string field is how the wire says "absent". */
function absentIfEmpty(text: string): string | undefined {
  return text === '' ? undefined : text;
}

/** `undefined` for no filter, `null` for an unparsable value. */
function parseSince(text: string): number | undefined | null {
  if (text === '') return undefined;
  return parseRfc3339(text);
}
