import type { ServerResponse } from 'node:http';
import type { EventBus, Subscription } from '../../events/bus.js';
import type { ApiEvent } from '../../protocol/events.js';
import { isApiEventType, sseEnvelope } from '../../protocol/sse.js';
import type { LimitReasons } from '../../util/limit-reasons.js';
import type { EngineEvent } from '../engine-event.js';
import { Limits } from '../limits.js';
import { formatSseEvent, SSE_KEEP_ALIVE } from './framing.js';

/** Limits of the event stream. */
export const SseLimits = {
  /** Events kept for `Last-Event-ID` resume: enough for a reconnect after a short network hiccup. */
  historyEvents: 5_000,
  /** Bytes of framed events kept for resume (terminal output can be large): 16 MiB. */
  historyBytes: 16 * 1024 * 1024,
  /** Unsent bytes one client may fall behind before it is told to resync (it then starts afresh). */
  clientBacklogBytes: 8 * 1024 * 1024,
  /** Comment line sent this often so proxies and browsers keep the stream open (ms). */
  keepAliveMs: 15_000,
  /**
   * Most clients at once (one more gets 503 TOO_MANY_CLIENTS); each costs a socket and up to its
   * backlog in memory: 256 × 8 MiB bounds the worst case, and a page needs only one stream.
   */
  maxClients: 256,
} as const;

export const SSE_LIMIT_REASONS: LimitReasons<typeof SseLimits> = {
  maxClients: {
    metric: 'sse_max_clients',
    reason: 'Event streams at once (503 TOO_MANY_CLIENTS beyond); each costs a socket and up to its backlog.',
  },
  clientBacklogBytes: {
    metric: 'sse_client_backlog_bytes',
    reason: 'Unsent bytes one event stream may fall behind before it is told to resync.',
  },
  historyEvents: {
    metric: 'sse_history_events',
    reason: 'Events kept for Last-Event-ID resume after a short network hiccup.',
  },
  historyBytes: {
    metric: 'sse_history_bytes',
    reason:
      'Bytes of framed events kept for Last-Event-ID resume: terminal output can be large, so bytes are capped too.',
  },
  keepAliveMs: {
    metric: 'sse_keep_alive_seconds',
    reason: 'Interval of the keep-alive comment, so proxies and browsers keep the stream open.',
  },
};

/** The events of the REST API's catalogue (the supervisor's process:* events belong to /ws). */
function isApiEvent(event: EngineEvent): event is ApiEvent {
  return isApiEventType(event.kind);
}

interface FramedEvent {
  readonly id: number;
  readonly type: string;
  readonly sessionId: string | null;
  readonly text: string;
}

/** What a client follows: some sessions (null: all; events not about a session always pass), minus
 * the event types it left out (e.g. terminal output, which a browser has on the terminal socket). */
export interface StreamFilter {
  readonly sessions: ReadonlySet<string> | null;
  readonly exclude: ReadonlySet<string>;
}

class SseClient {
  private queue: string[] = [];
  private queuedBytes = 0;
  private draining = false;
  /** Since when what we wrote has not drained (Date.now()), or null while the client keeps up. */
  stalledSince: number | null = null;
  needsResync = false;

  constructor(
    readonly response: ServerResponse,
    readonly filter: StreamFilter,
    private readonly onDrained: (client: SseClient) => void,
  ) {
    response.on('drain', () => this.flush());
  }

  wants(event: FramedEvent): boolean {
    if (this.filter.exclude.has(event.type)) return false;
    const sessions = this.filter.sessions;
    return event.sessionId === null || sessions === null || sessions.has(event.sessionId);
  }

  /** False when the client fell too far behind (the caller resyncs it). */
  send(text: string): boolean {
    if (this.needsResync) return false;
    if (this.draining) {
      this.queue.push(text);
      this.queuedBytes += text.length;
      if (this.queuedBytes + this.response.writableLength > SseLimits.clientBacklogBytes) {
        this.queue = [];
        this.queuedBytes = 0;
        this.needsResync = true;
        return false;
      }
      return true;
    }
    if (!this.response.write(text)) this.stall();
    return true;
  }

  private stall(): void {
    this.draining = true;
    this.stalledSince ??= Date.now();
  }

  private flush(): void {
    this.draining = false;
    this.stalledSince = null;
    while (this.queue.length > 0 && !this.draining) {
      const text = this.queue.shift() as string;
      this.queuedBytes -= text.length;
      if (!this.response.write(text)) this.stall();
    }
    if (!this.draining) this.onDrained(this);
  }
}

export interface SseHubOptions {
  /** The full state, sent as `init` to a new client and after a resync. */
  readonly snapshot: () => unknown;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
  /** Most clients at once (default SseLimits.maxClients). */
  readonly maxClients?: number;
  /**
   * A stream whose writes have not drained for this long is ended (default Limits.clientTimeoutMs;
   * 0: never). A stream cannot answer pings: not taking what is sent is the only sign of a dead
   * reader, and it also frees a client stuck waiting for its resync.
   */
  readonly clientTimeoutMs?: number;
}

/**
 * The `/api/events` stream: every engine event for the API, framed once with a monotonic id, kept in
 * a bounded history for `Last-Event-ID` resume, and written to each client through its own bounded
 * queue. A client that falls behind gets a `resync` and a fresh `init` instead of silent gaps.
 */
export class SseHub {
  private readonly clients = new Set<SseClient>();
  private readonly history: FramedEvent[] = [];
  private historyBytes = 0;
  private nextId = 1;
  private readonly subscription: Subscription;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly liveness: NodeJS.Timeout | null;
  readonly maxClients: number;
  readonly clientTimeoutMs: number;

  constructor(
    bus: EventBus<EngineEvent>,
    private readonly options: SseHubOptions,
  ) {
    this.maxClients = options.maxClients ?? SseLimits.maxClients;
    this.subscription = bus.subscribe({
      filter: isApiEvent,
      maxQueued: Limits.subscriberQueueEvents,
      deliver: (batch) => {
        for (const event of batch) if (isApiEvent(event)) this.broadcast(event);
      },
      onOverflow: (queued) => options.warn('event stream queue overflowed', { queued }),
    });
    this.keepAlive = setInterval(() => {
      for (const client of this.clients) client.send(SSE_KEEP_ALIVE);
    }, SseLimits.keepAliveMs);
    this.keepAlive.unref();
    this.clientTimeoutMs = options.clientTimeoutMs ?? Limits.clientTimeoutMs;
    this.liveness =
      this.clientTimeoutMs > 0
        ? setInterval(() => this.endStalledClients(), Math.max(1, Math.floor(this.clientTimeoutMs / 3)))
        : null;
    this.liveness?.unref();
  }

  /** Ends streams that have taken nothing of what was written to them for the timeout. */
  private endStalledClients(): void {
    const now = Date.now();
    for (const client of this.clients) {
      if (client.stalledSince === null || now - client.stalledSince < this.clientTimeoutMs) continue;
      this.options.warn('ending an event stream that stopped reading', {
        stalledMs: now - client.stalledSince,
      });
      this.clients.delete(client);
      client.response.destroy();
    }
  }

  get clientCount(): number {
    return this.clients.size;
  }

  get lastEventId(): number {
    return this.nextId - 1;
  }

  get isFull(): boolean {
    return this.clients.size >= this.maxClients;
  }

  /**
   * Starts streaming to `response` (headers are written here). With `lastEventId`, replays what the
   * client missed when the history still holds it, else sends `resync` then `init`.
   */
  attach(response: ServerResponse, filter: StreamFilter, lastEventId: number | null): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const client = new SseClient(response, filter, (drained) => this.afterDrain(drained));
    this.clients.add(client);
    response.on('close', () => this.clients.delete(client));
    const oldest = this.history[0]?.id ?? this.nextId;
    if (lastEventId !== null && lastEventId >= oldest - 1 && lastEventId < this.nextId) {
      for (const event of this.history) {
        if (event.id > lastEventId && client.wants(event)) client.send(event.text);
      }
      return;
    }
    if (lastEventId !== null)
      client.send(formatSseEvent(this.lastEventId, 'resync', { type: 'resync', data: {} }));
    this.sendInit(client);
  }

  close(): void {
    this.subscription.close();
    clearInterval(this.keepAlive);
    if (this.liveness !== null) clearInterval(this.liveness);
    for (const client of this.clients) client.response.end();
    this.clients.clear();
  }

  private broadcast(event: ApiEvent): void {
    const sessionId = 'sessionId' in event ? event.sessionId : null;
    const id = this.nextId++;
    const text = formatSseEvent(id, event.kind, sseEnvelope(event));
    const framed: FramedEvent = { id, type: event.kind, sessionId, text };
    this.remember(framed);
    for (const client of this.clients) {
      if (client.wants(framed) && !client.send(framed.text) && client.needsResync) {
        this.options.warn('event stream client fell behind; it will resync', {});
      }
    }
  }

  private remember(event: FramedEvent): void {
    this.history.push(event);
    this.historyBytes += event.text.length;
    while (
      this.history.length > SseLimits.historyEvents ||
      (this.historyBytes > SseLimits.historyBytes && this.history.length > 1)
    ) {
      const dropped = this.history.shift();
      if (dropped !== undefined) this.historyBytes -= dropped.text.length;
    }
  }

  /** A client that had to be cut off starts afresh once its socket has drained. */
  private afterDrain(client: SseClient): void {
    if (!client.needsResync) return;
    client.needsResync = false;
    client.send(formatSseEvent(this.lastEventId, 'resync', { type: 'resync', data: {} }));
    this.sendInit(client);
  }

  private sendInit(client: SseClient): void {
    client.send(formatSseEvent(this.lastEventId, 'init', { type: 'init', data: this.options.snapshot() }));
  }
}
