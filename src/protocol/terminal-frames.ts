import type { LimitReasons } from '../util/limit-reasons.js';
import { MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from './limits.js';

/**
 * The frames of the terminal socket (`/ws/sessions/:id/terminal`), JSON text both ways, and its
 * flow control. The server (src/server/terminal/terminal-socket.ts), the web UI and `claudeman
 * session attach` all speak it through these types.
 *
 * Counts of output are in characters (UTF-16 code units, JavaScript's `string.length`), the unit the
 * server measures its window in: hence `chars`. Clients built before the rename sent and read
 * `bytes` for the same count; the decoder still accepts it and `skipped` still carries it.
 */

/** Client → server: raw keystrokes. */
export interface TerminalInputFrame {
  readonly type: 'input';
  readonly data: string;
}

/** Client → server: the terminal's size, 1–MAX_TERMINAL_COLS × 1–MAX_TERMINAL_ROWS. */
export interface TerminalResizeFrame {
  readonly type: 'resize';
  readonly cols: number;
  readonly rows: number;
}

/** Client → server: how many characters of `output` the client has rendered since its last ack. */
export interface TerminalAckFrame {
  readonly type: 'ack';
  readonly chars: number;
}

export type TerminalClientFrame = TerminalInputFrame | TerminalResizeFrame | TerminalAckFrame;

/** Server → client, first on every connection: the buffered terminal; the screen starts over. */
export interface TerminalReplayFrame {
  readonly type: 'replay';
  readonly seq: number;
  readonly data: string;
}

/** Server → client: live output, counted against the client's window until acknowledged. */
export interface TerminalOutputFrame {
  readonly type: 'output';
  readonly seq: number;
  readonly data: string;
}

/** Server → client: output dropped while the client was behind; the latest screenful follows. */
export interface TerminalSkippedFrame {
  readonly type: 'skipped';
  readonly chars: number;
  /** @deprecated The same count as `chars`, for clients built before the rename. */
  readonly bytes: number;
}

/** Server → client: the session's terminal ended. */
export interface TerminalExitFrame {
  readonly type: 'exit';
  readonly code: number | null;
  readonly signal: string | null;
}

/**
 * Server → client: a frame that could not be handled (without `code`: the decoder's reason) or input
 * the session refused (`code`: its error code, e.g. NOT_INTERACTIVE). The connection stays open.
 */
export interface TerminalErrorFrame {
  readonly type: 'error';
  readonly code?: string;
  readonly message: string;
}

export type TerminalServerFrame =
  | TerminalReplayFrame
  | TerminalOutputFrame
  | TerminalSkippedFrame
  | TerminalExitFrame
  | TerminalErrorFrame;

/** The one way to build a `skipped` frame, so the deprecated field always matches. */
export function skippedFrame(chars: number): TerminalSkippedFrame {
  return { type: 'skipped', chars, bytes: chars };
}

/**
 * Flow control with acknowledgements, as VS Code's terminals do: output is sent while the client's
 * unacknowledged characters stay under the high-water mark; past it, output is dropped and counted,
 * and once the client has caught up (acknowledged below the low-water mark) it gets a `skipped`
 * frame and the tail of the buffer, so a flood never freezes the page or grows memory.
 */
export const TerminalFlow = {
  /** Unacknowledged characters above which output is dropped for this client. */
  highWaterChars: 1_000_000,
  /** Unacknowledged characters under which a client that was behind is caught up again. */
  lowWaterChars: 100_000,
  /** Characters of the buffer's tail sent after a skip (about a screenful of a busy terminal). */
  catchUpChars: 64 * 1024,
  /** Events the server queues for one socket between deliveries (its own bound, not the client's). */
  maxQueuedEvents: 10_000,
} as const;

export const TERMINAL_FLOW_REASONS: LimitReasons<typeof TerminalFlow> = {
  highWaterChars: {
    metric: 'terminal_high_water_chars',
    reason:
      'Unacknowledged characters above which terminal output is dropped for a client (it is caught up later).',
  },
  lowWaterChars: {
    metric: 'terminal_low_water_chars',
    reason: 'Unacknowledged characters under which a terminal client that was behind is caught up.',
  },
  catchUpChars: {
    metric: 'terminal_catch_up_chars',
    reason: "Characters of the buffer's tail sent to a terminal client after a skip (about a screenful).",
  },
  maxQueuedEvents: {
    metric: 'terminal_queue_events',
    reason: 'Events queued for one terminal socket between deliveries before it is closed (1013).',
  },
};

/** Close codes of the terminal socket besides the standard ones. */
export const TerminalCloseCode = {
  /** The session does not exist (any more): a client should not reconnect. */
  noSuchSession: 4404,
} as const;

export type DecodedTerminalFrame =
  | { readonly ok: true; readonly frame: TerminalClientFrame }
  | { readonly ok: false; readonly message: string };

const isSize = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0;

const SHAPE =
  'a frame is a JSON object: {"type":"input","data":…}, {"type":"resize","cols":…,"rows":…} or {"type":"ack","chars":…}';

/**
 * What a client may send, decoded from one frame (text, or binary holding the same JSON) without
 * trusting any part of it. Anything else is a clear reason, answered in an `error` frame.
 */
export function decodeTerminalFrame(text: string): DecodedTerminalFrame {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'invalid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, message: `unknown or malformed message: ${SHAPE}` };
  }
  const frame = parsed as Record<string, unknown>;
  switch (frame.type) {
    case 'input':
      if (typeof frame.data !== 'string') return { ok: false, message: 'input needs "data": a string' };
      return { ok: true, frame: { type: 'input', data: frame.data } };
    case 'resize':
      if (!isSize(frame.cols, MAX_TERMINAL_COLS) || !isSize(frame.rows, MAX_TERMINAL_ROWS)) {
        return {
          ok: false,
          message: `resize needs whole numbers "cols" 1–${MAX_TERMINAL_COLS} and "rows" 1–${MAX_TERMINAL_ROWS}`,
        };
      }
      return { ok: true, frame: { type: 'resize', cols: frame.cols, rows: frame.rows } };
    case 'ack': {
      // `chars` wins when both are given; `bytes` is the name clients built before the rename send.
      const count = 'chars' in frame ? frame.chars : frame.bytes;
      if (!isCount(count)) return { ok: false, message: 'ack needs "chars": a number ≥ 0' };
      return { ok: true, frame: { type: 'ack', chars: count } };
    }
    default:
      return { ok: false, message: `unknown or malformed message: ${SHAPE}` };
  }
}
