import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute } from 'node:path';

/** Most read of a transcript file at once (bytes): the rest is read on the next call. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
/** A line longer than this is skipped whole (bytes): no entry is worth holding that much. */
const MAX_LINE_BYTES = 8 * 1024 * 1024;

/** A transcript path a hook may name: an absolute `.jsonl` file (Claude Code's own). */
export function isTranscriptPath(path: unknown): path is string {
  return typeof path === 'string' && isAbsolute(path) && path.endsWith('.jsonl') && !path.includes('\0');
}

/**
 * Follows the JSONL transcript Claude Code appends to: each `read()` returns the lines completed since
 * the last one, parsed (a line that is not JSON is skipped). A line still being written is kept for
 * the next read; a file that shrank, or another file put in its place, is read from its start.
 */
export class TranscriptFileTail {
  private offset = 0;
  private partial = Buffer.alloc(0);
  private skipping = false;
  /** The file read (device and inode): one put in its place is read from its start. */
  private identity = '';

  constructor(readonly path: string) {}

  read(): unknown[] {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return []; // Not written yet, or gone: nothing new.
    }
    try {
      const stat = fstatSync(fd);
      const size = stat.size;
      const identity = `${stat.dev}:${stat.ino}`;
      const replaced = this.identity !== '' && identity !== this.identity;
      this.identity = identity;
      if (size < this.offset || replaced) {
        this.offset = 0;
        this.partial = Buffer.alloc(0);
        this.skipping = false;
      }
      const length = Math.min(size - this.offset, MAX_READ_BYTES);
      if (length <= 0) return [];
      const chunk = Buffer.alloc(length);
      const read = readSync(fd, chunk, 0, length, this.offset);
      this.offset += read;
      return this.lines(chunk.subarray(0, read));
    } finally {
      closeSync(fd);
    }
  }

  private lines(chunk: Buffer): unknown[] {
    const parsed: unknown[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(10); newline !== -1; newline = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, newline);
      start = newline + 1;
      const line = this.partial.length === 0 ? piece : Buffer.concat([this.partial, piece]);
      this.partial = Buffer.alloc(0);
      if (this.skipping) {
        this.skipping = false;
        continue;
      }
      try {
        parsed.push(JSON.parse(line.toString('utf8')));
      } catch {
        // Not a line of JSON (a torn write after a crash): the next line is whole again.
      }
    }
    const rest = chunk.subarray(start);
    if (this.skipping) return parsed;
    if (this.partial.length + rest.length > MAX_LINE_BYTES) {
      this.partial = Buffer.alloc(0);
      this.skipping = true;
    } else if (rest.length > 0) {
      this.partial = Buffer.concat([this.partial, rest]);
    }
    return parsed;
  }
}
