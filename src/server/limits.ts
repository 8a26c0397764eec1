import type { LimitReasons } from '../util/limit-reasons.js';
/**
 * Limits of the network faces, each with its reason. Every one bounds memory that a client (or a
 * flood of output) could otherwise grow without end.
 */
export const Limits = {
  /** Largest WebSocket frame a client may send (bytes); larger ones close the socket with 1009. */
  maxFrameBytes: 1024 * 1024,
  /**
   * Unsent bytes a WebSocket client may have queued before it is disconnected as too slow: 16 MiB is
   * over a second of a full-speed flood of 100-byte lines, so only a stalled client reaches it.
   */
  clientBacklogBytes: 16 * 1024 * 1024,
  /**
   * Unsent bytes above which a WebSocket client counts as behind (1 MiB). When every client is
   * behind, the children's output stops being read until one of them catches up: the children run at
   * the pace of the fastest client, as with the original's blocking writes, and memory stays bounded.
   */
  clientHighWaterBytes: 1024 * 1024,
  /**
   * While output is held for clients that are behind, how long one may go without taking a single
   * byte before it is disconnected as stalled (ms), so that it cannot hold the children for longer.
   */
  stalledClientMs: 2_000,
  /**
   * Most bytes handed to one client's socket at a time (256 KiB); the rest waits in our own queue.
   * Kept small so that the close frame of a client cut off for being slow is not stuck behind megabytes.
   */
  socketWatermarkBytes: 256 * 1024,
  /**
   * How long a client we close may take to answer the close frame before its socket is destroyed
   * (ms). Long enough for a client that resumes reading to get its close code and reason; short
   * enough that a dead one does not keep a socket (and shutdown) waiting for ws's 30 s default.
   */
  closeHandshakeMs: 5_000,
  /** On shutdown, how long clients get to answer the 1001 close frame before their sockets are destroyed (ms). */
  shutdownCloseGraceMs: 1_000,
  /** Unwritten bytes the JSONL event log may buffer before lines are dropped (with a warning). */
  eventLogBacklogBytes: 32 * 1024 * 1024,
  /** Events queued for one internal subscriber within one delivery tick. */
  subscriberQueueEvents: 1_000_000,
  /**
   * Most `/ws` (overseer protocol) connections at once; one more is closed with 1013. Each holds a
   * socket and up to `clientBacklogBytes` of unsent output: 256 is far more than the scripts and
   * pages of one machine open (the fan-out benchmark uses 20), and it caps that memory.
   */
  maxOverseerClients: 256,
  /**
   * Most terminal WebSockets (`/ws/sessions/:id/terminal`) at once; one more is closed with 1013.
   * A page opens one per terminal it shows and each holds up to a high-water mark of output: 256
   * lets every session (at most 200) be watched, with room for a second tab.
   */
  maxTerminalClients: 256,
  /**
   * A client from which nothing has arrived for this long (ms) — WebSocket clients are pinged a few
   * times in it and answer by themselves; an event stream counts as dead when what we wrote has not
   * drained for this long — is disconnected, so frozen or vanished clients cannot hold the client
   * slots. 30 s tolerates a busy client or a slow network; 0 switches the check off.
   * (CLAUDEMAN_CLIENT_TIMEOUT_MS, OVERSEER_CLIENT_TIMEOUT_MS.)
   */
  clientTimeoutMs: 30_000,
} as const;

/** What `/metrics` says of each (the client limits show the running server's values; tests lower them). */
export const LIMIT_REASONS: LimitReasons<typeof Limits> = {
  maxOverseerClients: {
    metric: 'ws_max_clients',
    reason: '/ws connections at once (closed with 1013 beyond); each costs a socket and up to its backlog.',
  },
  maxTerminalClients: {
    metric: 'terminal_max_clients',
    reason:
      'Terminal WebSockets at once (closed with 1013 beyond); each holds up to its high-water mark of output.',
  },
  maxFrameBytes: {
    metric: 'ws_max_frame_bytes',
    reason: 'Largest WebSocket frame a client may send; larger ones close the socket with 1009.',
  },
  clientBacklogBytes: {
    metric: 'ws_client_backlog_bytes',
    reason: 'Unsent bytes a /ws client may have queued before it is closed as too slow (1013).',
  },
  clientHighWaterBytes: {
    metric: 'ws_client_high_water_bytes',
    reason:
      "Unsent bytes above which a /ws client counts as behind; when all are, children's output is held.",
  },
  stalledClientMs: {
    metric: 'ws_stalled_client_seconds',
    reason: 'While output is held, how long a /ws client may take nothing before it is closed as stalled.',
  },
  socketWatermarkBytes: {
    metric: 'ws_socket_watermark_bytes',
    reason:
      "Most bytes handed to one /ws client's socket at a time, so a close frame is not stuck behind megabytes.",
  },
  clientTimeoutMs: {
    metric: 'client_timeout_seconds',
    reason:
      'A WebSocket client that answers no ping, or an event stream that takes nothing, for this long is disconnected (0: never), so dead clients cannot hold the client slots.',
  },
  closeHandshakeMs: {
    metric: 'ws_close_handshake_seconds',
    reason: 'How long a WebSocket client we close may take to answer before its socket is destroyed.',
  },
  shutdownCloseGraceMs: {
    metric: 'ws_shutdown_close_grace_seconds',
    reason: 'On shutdown, how long clients get to answer the 1001 close frame.',
  },
  eventLogBacklogBytes: {
    metric: 'event_log_backlog_bytes',
    reason: 'Unwritten bytes the JSONL event log (sticky-overseer) may buffer before lines are dropped.',
  },
  subscriberQueueEvents: {
    metric: 'event_subscriber_queue_events',
    reason: 'Events queued for one internal event-bus subscriber before it is dropped (and told).',
  },
};

/** How many clients of each kind the server takes at once (the defaults above; tests lower them). */
export interface ClientLimits {
  /** Event streams (`/api/events`); default SseLimits.maxClients. */
  readonly sseClients: number;
  /** Overseer protocol connections (`/ws`); default Limits.maxOverseerClients. */
  readonly overseerClients: number;
  /** Terminal WebSockets; default Limits.maxTerminalClients. */
  readonly terminalClients: number;
}

/** WebSocket close codes used by the server (RFC 6455 §7.4.1). */
export const CloseCodes = {
  goingAway: 1001,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;

/**
 * Closes a WebSocket the server will not serve (over a limit, too slow) with `code` and `reason`,
 * and destroys it if the peer does not answer the close frame within `Limits.closeHandshakeMs`.
 */
export function closeWebSocket(
  socket: {
    close(code: number, reason: string): void;
    terminate(): void;
    once(event: 'close', listener: () => void): unknown;
  },
  code: number,
  reason: string,
): void {
  const timer = setTimeout(() => socket.terminate(), Limits.closeHandshakeMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  socket.close(code, reason);
}
