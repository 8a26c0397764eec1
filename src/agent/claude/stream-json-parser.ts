/**
 * Framing of a `claude -p --output-format stream-json --verbose` output stream into messages.
 *
 * Input is text: decode bytes upstream with a streaming decoder (`setEncoding('utf8')` on a pipe; a
 * PTY hands out strings already), so a character split across reads arrives whole. Lines end at `\n`
 * (one `\r` before it is dropped, as a PTY turns `\n` into `\r\n`); a partial line waits for the next
 * chunk. Each line is ANSI-stripped (a PTY may add colour), and every line that parses as a JSON object
 * is a message, whatever the order of its keys; every other line with visible content is passed on as
 * text. A line longer than the limit is passed on as text, in pieces, as it arrives: it is not held
 * back in memory waiting for an end that may be megabytes away.
 */
import { stripAnsi } from '../terminal/ansi.js';
import { type ClassifiedMessage, classifyMessage, isJsonObject } from './claude-messages.js';

/**
 * Longest line parsed as JSON (UTF-16 code units, so at least 8 MiB of ASCII JSON): a `result` line
 * repeats the whole final answer and a tool result can carry a large file, so the limit is generous;
 * it exists only to bound the memory one runaway line can take.
 */
export const MAX_LINE_LENGTH = 8 * 1024 * 1024;

const LF = '\n';
const CR = '\r';
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;

export interface StreamJsonParserCallbacks {
  /** A line that parsed as a JSON object; `line` is its ANSI-stripped, trimmed JSON text. */
  onMessage(message: ClassifiedMessage, line: string): void;
  /**
   * Any other line with visible content (warnings, errors, pieces of an over-long line): `text` is
   * ANSI-stripped, `rawLine` is as received. Empty and whitespace-only lines are skipped.
   */
  onText(text: string, rawLine: string): void;
}

export interface StreamJsonParserOptions {
  /** Longest line parsed as JSON, in UTF-16 code units; at least 2. Default `MAX_LINE_LENGTH`. */
  maxLineLength?: number;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * End of the piece of at most `max` code units that starts at `start`, never between the halves of a
 * surrogate pair: it ends before a pair that would be cut, or, when that would leave it empty (a piece
 * limited to one unit by the end of what is being sent), after the pair.
 */
function pieceEnd(text: string, start: number, max: number): number {
  const cut = start + max;
  if (cut >= text.length) return text.length;
  if (!isHighSurrogate(text.charCodeAt(cut - 1))) return cut;
  return cut - 1 > start ? cut - 1 : cut + 1;
}

/**
 * Callbacks run synchronously inside `push()` and `end()`. If one throws, the error propagates to the
 * caller; the lines after the failed one are kept and delivered on the next `push()` or `end()` (pieces
 * of an over-long line still being sent out are the exception: they are lost).
 */
export class StreamJsonParser {
  readonly #callbacks: StreamJsonParserCallbacks;
  readonly #maxLineLength: number;
  /** The unterminated line so far, in arrival order; joined only when it ends or grows too long. */
  #pending: string[] = [];
  #pendingLength = 0;
  /** The current line has outgrown the limit: what remains of it goes out as text. */
  #overflowed = false;
  /** Lines not delivered yet because a callback threw; they go out before the next input. */
  #backlog = '';

  constructor(callbacks: StreamJsonParserCallbacks, options: StreamJsonParserOptions = {}) {
    const maxLineLength = options.maxLineLength ?? MAX_LINE_LENGTH;
    // A piece must be able to hold a surrogate pair, or cutting could make no progress.
    if (!Number.isSafeInteger(maxLineLength) || maxLineLength < 2) {
      throw new RangeError(`maxLineLength must be an integer >= 2, got ${String(maxLineLength)}`);
    }
    this.#callbacks = callbacks;
    this.#maxLineLength = maxLineLength;
  }

  /** Feeds the next piece of output. */
  push(chunk: string): void {
    const text = this.#backlog === '' ? chunk : this.#backlog + chunk;
    this.#backlog = '';
    let start = 0;
    try {
      let newline = text.indexOf(LF);
      while (newline !== -1) {
        const line = text.slice(start, newline);
        start = newline + 1;
        this.#endLine(line);
        newline = text.indexOf(LF, start);
      }
    } catch (error) {
      this.#backlog = text.slice(start);
      throw error;
    }
    if (start < text.length) this.#hold(start === 0 ? text : text.slice(start));
  }

  /** Ends the stream: a last line without `\n` is delivered. The parser can then be fed anew. */
  end(): void {
    if (this.#backlog !== '') this.push('');
    if (this.#pendingLength > 0 || this.#overflowed) this.#endLine('');
  }

  #takeLine(last: string): string {
    const line = this.#pending.length === 0 ? last : this.#pending.join('') + last;
    this.#pending = [];
    this.#pendingLength = 0;
    return line;
  }

  #endLine(last: string): void {
    let line = this.#takeLine(last);
    const overflowed = this.#overflowed;
    this.#overflowed = false;
    if (line.endsWith(CR)) line = line.slice(0, -1);
    if (overflowed || line.length > this.#maxLineLength) this.#emitPieces(line, line.length);
    else this.#deliver(line);
  }

  /** Keeps an unterminated tail; past the limit, sends out all of it but the last piece as text. */
  #hold(text: string): void {
    this.#pending.push(text);
    this.#pendingLength += text.length;
    if (this.#pendingLength <= this.#maxLineLength) return;
    const line = this.#takeLine('');
    this.#overflowed = true;
    // Whole pieces go out while more than a piece remains, so the line's end (and a `\r` there) stays
    // behind and is handled by #endLine; the remainder never exceeds one piece.
    const keep = (line.length - 1) % this.#maxLineLength;
    const sent = this.#emitPieces(line, line.length - keep - 1);
    this.#pending.push(line.slice(sent));
    this.#pendingLength = line.length - sent;
  }

  /** Emits `line[0, end)` as text in pieces of at most the limit; returns where it stopped. */
  #emitPieces(line: string, end: number): number {
    let start = 0;
    while (start < end) {
      const cut = pieceEnd(line, start, Math.min(this.#maxLineLength, end - start));
      this.#text(line.slice(start, cut));
      start = cut;
    }
    return start;
  }

  #deliver(rawLine: string): void {
    const text = stripAnsi(rawLine);
    const json = text.trim();
    if (json === '') return;
    if (json.charCodeAt(0) === OPEN_BRACE && json.charCodeAt(json.length - 1) === CLOSE_BRACE) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(json);
      } catch {
        // Not JSON after all (a log line in braces, a truncated object): it is text.
        parsed = undefined;
      }
      if (isJsonObject(parsed)) {
        this.#callbacks.onMessage(classifyMessage(parsed), json);
        return;
      }
    }
    this.#callbacks.onText(text, rawLine);
  }

  #text(rawLine: string): void {
    const text = stripAnsi(rawLine);
    if (text.trim() !== '') this.#callbacks.onText(text, rawLine);
  }
}
