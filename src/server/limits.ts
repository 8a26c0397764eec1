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
  /** After the close frame, how long a disconnected slow client gets before its socket is destroyed (ms). */
  slowClientCloseGraceMs: 1_000,
  /** Unwritten bytes the JSONL event log may buffer before lines are dropped (with a warning). */
  eventLogBacklogBytes: 32 * 1024 * 1024,
  /** Events queued for one internal subscriber within one delivery tick. */
  subscriberQueueEvents: 1_000_000,
} as const;

/** WebSocket close codes used by the server (RFC 6455 §7.4.1). */
export const CloseCodes = {
  goingAway: 1001,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;
