/**
 * The recent output of a session, kept for clients that connect or reconnect (the terminal replay, the
 * text output endpoint), capped in UTF-8 bytes and trimmed from the front (as VS Code's
 * terminalRecorder does).
 *
 * Appends are O(1) amortised: chunks are kept in an array (with their UTF-8 sizes) and joined only when
 * read. Once over the cap the buffer is cut down to a fraction of it (75 % by default) by dropping
 * whole chunks from the front and slicing only the first one that remains, so a cut costs about the
 * size of one chunk, not of the buffer — a terminal flood goes through it at memory speed. A cut never
 * splits a surrogate pair.
 *
 * For a terminal replay, `startAtLine` moves the cut forward to just after the next line feed, so the
 * replay does not begin inside an escape sequence or half way through a line; a full-screen program
 * may write few line feeds, so when none is near the cut it moves to the next ESC (the start of a
 * sequence) instead, and failing that stays where it is. The move is bounded (`MAX_ALIGN_CHARS`, and at
 * most a quarter of what is kept), so it never empties the buffer.
 *
 * Sizes count each append's UTF-8 length; a surrogate pair split across two appends is counted as two
 * replacement characters (6 bytes, not 4) until the next cut recounts. A cut keeps a slice of the
 * joined text, which V8 may back by the joined string until the next cut: memory stays within about
 * twice the cap.
 */

/** Fraction of the capacity kept after a trim: leaves a quarter of the cap as room before the next. */
export const DEFAULT_TRIM_RATIO = 0.75;

/** Longest forward move of a `startAtLine` cut (UTF-16 code units): a few terminal lines. */
export const MAX_ALIGN_CHARS = 4096;

/** Small appends are merged in groups this size, so the chunk array does not hold a string per byte. */
const MERGE_EVERY = 256;

const LF = '\n';
const ESC = '\x1b';

export interface BoundedTextBufferOptions {
  /**
   * Fraction of the capacity kept after a trim, in (0, 1]. Default `DEFAULT_TRIM_RATIO`. Near 1 the
   * buffer trims on almost every append once full, and appends stop being cheap.
   */
  trimRatio?: number;
  /** Move each cut to a line start (see the module comment). Default false. */
  startAtLine?: boolean;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Index of the first character after at least `bytes` UTF-8 bytes of `text`, never between the halves
 * of a surrogate pair. A hot loop during a trim, so it allocates nothing.
 */
function indexAfterBytes(text: string, bytes: number): number {
  let index = 0;
  let counted = 0;
  while (counted < bytes && index < text.length) {
    const code = text.charCodeAt(index);
    if (code < 0x80) counted += 1;
    else if (code < 0x800) counted += 2;
    else if (isHighSurrogate(code) && isLowSurrogate(text.charCodeAt(index + 1))) {
      counted += 4;
      index++;
    } else {
      // Other BMP characters, and lone surrogates (encoded as U+FFFD).
      counted += 3;
    }
    index++;
  }
  return index;
}

export class BoundedTextBuffer {
  readonly #capacity: number;
  readonly #keepBytes: number;
  readonly #startAtLine: boolean;
  /** Merged text, oldest first, and the UTF-8 size of each. */
  #chunks: string[] = [];
  #chunkBytes: number[] = [];
  /** Appends not merged into `#chunks` yet, and their total size. */
  #recent: string[] = [];
  #recentBytes = 0;
  #byteLength = 0;
  #trimmedBytes = 0;

  /** @param capacity the cap, in UTF-8 bytes (a positive integer). */
  constructor(capacity: number, options: BoundedTextBufferOptions = {}) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be a positive integer number of bytes, got ${String(capacity)}`);
    }
    const trimRatio = options.trimRatio ?? DEFAULT_TRIM_RATIO;
    if (!(trimRatio > 0 && trimRatio <= 1)) {
      throw new RangeError(`trimRatio must be in (0, 1], got ${String(trimRatio)}`);
    }
    this.#capacity = capacity;
    this.#keepBytes = Math.floor(capacity * trimRatio);
    this.#startAtLine = options.startAtLine ?? false;
  }

  /** The cap, in UTF-8 bytes. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Size of the text held, in UTF-8 bytes; never above the capacity. */
  get byteLength(): number {
    return this.#byteLength;
  }

  /** UTF-8 bytes dropped from the front since creation or `clear()`, for "skipped N bytes" markers. */
  get trimmedBytes(): number {
    return this.#trimmedBytes;
  }

  append(text: string): void {
    if (text === '') return;
    const bytes = Buffer.byteLength(text, 'utf8');
    this.#recent.push(text);
    this.#recentBytes += bytes;
    if (this.#recent.length >= MERGE_EVERY) this.#mergeRecent();
    this.#byteLength += bytes;
    if (this.#byteLength > this.#capacity) this.#trim();
  }

  /** The text held; joined once and cached until the next append. */
  toString(): string {
    if (this.#recent.length > 0) this.#mergeRecent();
    if (this.#chunks.length > 1) {
      this.#chunks = [this.#chunks.join('')];
      this.#chunkBytes = [this.#byteLength];
    }
    return this.#chunks[0] ?? '';
  }

  clear(): void {
    this.#chunks = [];
    this.#chunkBytes = [];
    this.#recent = [];
    this.#recentBytes = 0;
    this.#byteLength = 0;
    this.#trimmedBytes = 0;
  }

  #mergeRecent(): void {
    this.#chunks.push(this.#recent.join(''));
    this.#chunkBytes.push(this.#recentBytes);
    this.#recent = [];
    this.#recentBytes = 0;
  }

  #trim(): void {
    if (this.#recent.length > 0) this.#mergeRecent();
    // The running size can only overcount (see the module comment), so dropping this much always
    // leaves at most the kept size.
    let toDrop = this.#byteLength - this.#keepBytes;
    let dropped = 0;
    let droppedChunks = 0;
    let droppedEndsLine = false;
    while (droppedChunks < this.#chunks.length - 1 && (this.#chunkBytes[droppedChunks] ?? 0) <= toDrop) {
      const bytes = this.#chunkBytes[droppedChunks] ?? 0;
      droppedEndsLine = (this.#chunks[droppedChunks] ?? '').endsWith(LF);
      toDrop -= bytes;
      dropped += bytes;
      droppedChunks++;
    }
    this.#chunks = this.#chunks.slice(droppedChunks);
    this.#chunkBytes = this.#chunkBytes.slice(droppedChunks);
    const first = this.#chunks[0] ?? '';
    let start = toDrop > 0 ? indexAfterBytes(first, toDrop) : 0;
    if (this.#startAtLine && !(start === 0 && (droppedChunks === 0 || droppedEndsLine))) {
      start = this.#alignedStart(first, start);
    }
    if (start > 0) {
      const cutBytes = Buffer.byteLength(first.slice(0, start), 'utf8');
      const kept = first.slice(start);
      dropped += cutBytes;
      if (kept === '') {
        this.#chunks.shift();
        this.#chunkBytes.shift();
      } else {
        this.#chunks[0] = kept;
        this.#chunkBytes[0] = (this.#chunkBytes[0] ?? 0) - cutBytes;
      }
    }
    this.#trimmedBytes += dropped;
    this.#byteLength -= dropped;
  }

  #alignedStart(text: string, start: number): number {
    if (start > 0 && text[start - 1] === LF) return start;
    const limit = start + Math.min(MAX_ALIGN_CHARS, Math.floor((text.length - start) / 4));
    const newline = text.indexOf(LF, start);
    if (newline !== -1 && newline < limit) return newline + 1;
    const sequence = text.indexOf(ESC, start);
    if (sequence !== -1 && sequence < limit) return sequence;
    return start;
  }
}
