/**
 * What a client may send on the terminal socket, decoded from one frame (text, or binary holding
 * the same JSON) without trusting any part of it: `input` {data: string} (raw keystrokes), `resize`
 * {cols: 1–500, rows: 1–200}, `ack` {bytes: how many characters it has rendered}. Anything else is a
 * clear reason, answered in an `error` frame; the connection stays open.
 */
export type TerminalClientFrame =
  | { readonly type: 'input'; readonly data: string }
  | { readonly type: 'resize'; readonly cols: number; readonly rows: number }
  | { readonly type: 'ack'; readonly bytes: number };

export type DecodedTerminalFrame =
  | { readonly ok: true; readonly frame: TerminalClientFrame }
  | { readonly ok: false; readonly message: string };

/** Largest terminal a client may ask for (columns × rows). */
export const MAX_TERMINAL_COLS = 500;
export const MAX_TERMINAL_ROWS = 200;

const isSize = (value: unknown, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max;

const SHAPE =
  'a frame is a JSON object: {"type":"input","data":…}, {"type":"resize","cols":…,"rows":…} or {"type":"ack","bytes":…}';

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
    case 'ack':
      if (typeof frame.bytes !== 'number' || !Number.isFinite(frame.bytes) || frame.bytes < 0) {
        return { ok: false, message: 'ack needs "bytes": a number ≥ 0' };
      }
      return { ok: true, frame: { type: 'ack', bytes: frame.bytes } };
    default:
      return { ok: false, message: `unknown or malformed message: ${SHAPE}` };
  }
}
