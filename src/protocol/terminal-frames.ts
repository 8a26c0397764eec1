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

/**
 * Client → server: raw keystrokes. With `clientId` (random per page or attach process) and `seq`
 * (increasing per client), the server applies a frame at most once, answers `inputAck` with its
 * `seq`, and a client may resend what it has no ack for after a reconnect. Without them a frame is
 * applied as it comes, as clients built before sequence numbers expect.
 */
export interface TerminalInputFrame {
  readonly type: 'input';
  readonly data: string;
  readonly clientId?: string;
  readonly seq?: number;
}

/**
 * Client → server: this viewer's terminal size, 1–MAX_TERMINAL_COLS × 1–MAX_TERMINAL_ROWS. It is
 * recorded; the agent takes it only when this viewer types (or holds the size already, or is the
 * first viewer of a session whose size no viewer has chosen). See the README's terminal socket.
 * `clientId`, as in its input: a client that reconnects (or reopens the view) still holds the size.
 */
export interface TerminalResizeFrame {
  readonly type: 'resize';
  readonly cols: number;
  readonly rows: number;
  readonly clientId?: string;
}

/** Client → server: how many characters of `output` the client has rendered since its last ack. */
export interface TerminalAckFrame {
  readonly type: 'ack';
  readonly chars: number;
}

/**
 * Client → server: the opening again (`history`, `replay`, `size`). For an agent in tmux the replay is
 * a snapshot, and what scrolled off its screen since reaches a client's scrollback only partly (tmux
 * redraws a burst instead of scrolling it): a client that wants to scroll back asks for it anew.
 * Answered at most every TerminalViewLimits.refreshIntervalMs.
 */
export interface TerminalRefreshFrame {
  readonly type: 'refresh';
}

export type TerminalClientFrame =
  | TerminalInputFrame
  | TerminalResizeFrame
  | TerminalAckFrame
  | TerminalRefreshFrame;

/**
 * Server → client, before `replay` when the session has any (an agent in tmux): its scrollback, the
 * lines above the screen, oldest first, CRLF between lines, at most TerminalViewLimits.historyLines lines
 * and TerminalViewLimits.historyChars characters. Drawn before the replay, it is what the page scrolls back to.
 */
export interface TerminalHistoryFrame {
  readonly type: 'history';
  readonly data: string;
  readonly lines: number;
}

/**
 * Server → client, first on every connection (after `history`): the screen starts over with `data`,
 * drawn at `cols` × `rows`, the agent's size when it was taken (absent: unknown, clients built before
 * `size` frames). For a plain PTY, the buffered output; for tmux, the screen as tmux holds it.
 */
export interface TerminalReplayFrame {
  readonly type: 'replay';
  readonly seq: number;
  readonly data: string;
  readonly cols?: number;
  readonly rows?: number;
  /** The screen from tmux, its scrollback in `history` (it grows by `refresh`); absent: buffered output. */
  readonly snapshot?: boolean;
}

/** Server → client, after `replay` and whenever it changes: the size of the agent's terminal. */
export interface TerminalSizeFrame {
  readonly type: 'size';
  readonly cols: number;
  readonly rows: number;
}

/** Server → client: the input frame of this client with `seq` was applied (or had been already). */
export interface TerminalInputAckFrame {
  readonly type: 'inputAck';
  readonly seq: number;
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
 * the session refused (`code`: its error code, e.g. NOT_INTERACTIVE; `seq`: the refused frame's, when
 * it had one: it will not be applied, and need not be resent). The connection stays open.
 */
export interface TerminalErrorFrame {
  readonly type: 'error';
  readonly code?: string;
  readonly message: string;
  readonly seq?: number;
}

export type TerminalServerFrame =
  | TerminalHistoryFrame
  | TerminalReplayFrame
  | TerminalSizeFrame
  | TerminalInputAckFrame
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

/** Bounds of what a viewer is given besides live output, and of what the server remembers of its input. */
export const TerminalViewLimits = {
  /** Lines of scrollback sent in a `history` frame: the web UI's scrollback holds as many. */
  historyLines: 5_000,
  /** Characters of a `history` frame (colours included), trimmed from the oldest line. */
  historyChars: 1_000_000,
  /** Clients per session whose last applied input `seq` is remembered; the least recent is forgotten. */
  inputClients: 64,
  /** How long a client's last `seq` is remembered after its last input (ms): longer than any reconnect. */
  inputClientTtlMs: 60 * 60 * 1000,
  /** Least time between two openings a client asks for with `refresh` (ms): each captures from tmux. */
  refreshIntervalMs: 500,
  /** Longest `clientId`. */
  clientIdChars: 64,
} as const;

export const TERMINAL_VIEW_REASONS: LimitReasons<typeof TerminalViewLimits> = {
  historyLines: {
    metric: 'terminal_history_lines',
    reason:
      'Lines of tmux scrollback a terminal viewer is given when it connects (its scrollback holds as many).',
  },
  historyChars: {
    metric: 'terminal_history_chars',
    reason:
      'Characters of scrollback a terminal viewer is given when it connects, oldest lines dropped first.',
  },
  inputClients: {
    metric: 'terminal_input_clients',
    reason: 'Terminal clients per session whose last input sequence number is kept to apply a resend once.',
  },
  inputClientTtlMs: {
    metric: 'terminal_input_client_ttl_seconds',
    reason: "How long a terminal client's last input sequence number is kept after its last keystroke.",
  },
  refreshIntervalMs: {
    metric: 'terminal_refresh_interval_seconds',
    reason: 'Least time between two scrollback refreshes one terminal client is answered (each asks tmux).',
  },
  // A wire constant: it bounds a field, nothing a server holds.
  clientIdChars: null,
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

/** What a `clientId` may be: short and plain, so it can be logged and used as a key as it is. */
const CLIENT_ID = new RegExp(`^[A-Za-z0-9_-]{1,${TerminalViewLimits.clientIdChars}}$`);
const CLIENT_ID_SHAPE = `1–${TerminalViewLimits.clientIdChars} of A–Z a–z 0–9 _ -`;
const isClientId = (value: unknown): value is string => typeof value === 'string' && CLIENT_ID.test(value);

const isSeq = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** An input frame, with its sequence fields checked: both or neither, each well-formed. */
function decodeInput(frame: Record<string, unknown>): DecodedTerminalFrame {
  if (typeof frame.data !== 'string') return { ok: false, message: 'input needs "data": a string' };
  const { clientId, seq } = frame;
  if (clientId === undefined && seq === undefined)
    return { ok: true, frame: { type: 'input', data: frame.data } };
  if (!isClientId(clientId) || !isSeq(seq)) {
    return {
      ok: false,
      message: `input needs "clientId" (${CLIENT_ID_SHAPE}) and "seq" (a whole number ≥ 0) together, or neither`,
    };
  }
  return { ok: true, frame: { type: 'input', data: frame.data, clientId, seq } };
}

const SHAPE =
  'a frame is a JSON object: {"type":"input","data":…}, {"type":"resize","cols":…,"rows":…}, {"type":"ack","chars":…} or {"type":"refresh"}';

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
      return decodeInput(frame);
    case 'resize':
      if (!isSize(frame.cols, MAX_TERMINAL_COLS) || !isSize(frame.rows, MAX_TERMINAL_ROWS)) {
        return {
          ok: false,
          message: `resize needs whole numbers "cols" 1–${MAX_TERMINAL_COLS} and "rows" 1–${MAX_TERMINAL_ROWS}`,
        };
      }
      if (frame.clientId !== undefined && !isClientId(frame.clientId)) {
        return { ok: false, message: `resize needs "clientId", when given, to be ${CLIENT_ID_SHAPE}` };
      }
      return {
        ok: true,
        frame: {
          type: 'resize',
          cols: frame.cols,
          rows: frame.rows,
          ...(frame.clientId === undefined ? {} : { clientId: frame.clientId }),
        },
      };
    case 'refresh':
      return { ok: true, frame: { type: 'refresh' } };
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
