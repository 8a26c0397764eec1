/**
 * Line framing of a child's stdout/stderr pipe, as the overseer protocol defines an `output` event:
 * split on `\n`, drop the `\n` and one trailing `\r`, keep empty lines, emit a final unterminated line
 * at end of stream (Go's `bufio.ScanLines`). Bytes are decoded per whole line, so a UTF-8 character
 * split across two reads decodes intact; invalid bytes become U+FFFD.
 *
 * Unlike the original, which stopped reading at 64 KiB and could block the child, an over-long line is
 * emitted in pieces of at most `maxLineBytes` bytes, each cut on a character boundary.
 */

const LF = 0x0a;
const CR = 0x0d;
/** A UTF-8 character is at most 4 bytes; a smaller piece size could not always make progress. */
const MIN_LINE_BYTES = 4;
/** Continuation bytes of a multi-byte UTF-8 sequence look like 10xxxxxx. */
const CONTINUATION_MASK = 0xc0;
const CONTINUATION_TAG = 0x80;
/** How far back a character boundary can be: the lead byte of a 4-byte sequence. */
const MAX_CONTINUATION_BYTES = 3;

function isContinuation(byte: number | undefined): boolean {
  return byte !== undefined && (byte & CONTINUATION_MASK) === CONTINUATION_TAG;
}

/** Length of the UTF-8 sequence a lead byte announces; 1 for ASCII and for bytes that lead nothing. */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #onLine: (line: string) => void;
  /** Bytes of the current line not emitted yet, in arrival order; joined only when needed. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  /**
   * @param maxLineBytes largest piece emitted for one line, in bytes (at least 4).
   * @param onLine called synchronously for every line or piece, in order.
   */
  constructor(maxLineBytes: number, onLine: (line: string) => void) {
    if (!Number.isSafeInteger(maxLineBytes) || maxLineBytes < MIN_LINE_BYTES) {
      throw new RangeError(`maxLineBytes must be an integer >= ${MIN_LINE_BYTES}, got ${maxLineBytes}`);
    }
    this.#maxLineBytes = maxLineBytes;
    this.#onLine = onLine;
  }

  /**
   * Feeds the next bytes of the stream. The splitter may keep a reference to `chunk` (as stream
   * consumers do), so the caller must not modify it afterwards.
   */
  push(chunk: Buffer): void {
    let start = 0;
    let newline = chunk.indexOf(LF);
    if (this.#pendingBytes > 0) {
      if (newline === -1) {
        this.#hold(chunk);
        return;
      }
      this.#pending.push(chunk.subarray(0, newline));
      const line = this.#takePending();
      this.#emitLine(line, 0, line.length);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    while (newline !== -1) {
      this.#emitLine(chunk, start, newline);
      start = newline + 1;
      newline = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      // A copy of a short tail avoids pinning the whole chunk in memory until the line completes.
      this.#hold(start === 0 ? chunk : Buffer.from(chunk.subarray(start)));
    }
  }

  /** Ends the stream: a last line without `\n` is emitted; after a final `\n` nothing is. */
  end(): void {
    if (this.#pendingBytes === 0) return;
    const line = this.#takePending();
    this.#emitLine(line, 0, line.length);
  }

  #takePending(): Buffer {
    const [only] = this.#pending;
    const joined = this.#pending.length === 1 && only !== undefined ? only : Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    return joined;
  }

  /** Adds unterminated bytes and emits the pieces of a line that has grown past the limit. */
  #hold(bytes: Buffer): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    // Two bytes are held back beyond a full piece: if the rest were only a `\r` and the line then
    // ended, the piece would be followed by a spurious empty one.
    if (this.#pendingBytes <= this.#maxLineBytes + 1) return;
    const line = this.#takePending();
    let start = 0;
    while (line.length - start > this.#maxLineBytes + 1) {
      const cut = this.#pieceEnd(line, start, line.length);
      this.#onLine(line.toString('utf8', start, cut));
      start = cut;
    }
    this.#pending.push(line.subarray(start));
    this.#pendingBytes = line.length - start;
  }

  /** Emits `buf[start, end)`, a complete line without its `\n`, in pieces if it is too long. */
  #emitLine(buf: Buffer, start: number, end: number): void {
    let stop = end;
    if (stop > start && buf[stop - 1] === CR) stop--;
    let from = start;
    while (stop - from > this.#maxLineBytes) {
      const cut = this.#pieceEnd(buf, from, stop);
      this.#onLine(buf.toString('utf8', from, cut));
      from = cut;
    }
    this.#onLine(buf.toString('utf8', from, stop));
  }

  /**
   * End of the piece starting at `start`: `maxLineBytes` ahead, moved back to the start of a UTF-8
   * character that would otherwise be cut. Invalid sequences are cut anywhere: they decode to U+FFFD.
   */
  #pieceEnd(buf: Buffer, start: number, end: number): number {
    const cut = start + this.#maxLineBytes;
    if (cut >= end || !isContinuation(buf[cut])) return cut;
    for (let lead = cut - 1; lead >= cut - MAX_CONTINUATION_BYTES && lead > start; lead--) {
      const byte = buf[lead];
      if (byte === undefined || isContinuation(byte)) continue;
      return lead + sequenceLength(byte) > cut ? lead : cut;
    }
    return cut;
  }
}
