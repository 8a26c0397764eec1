import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Limits } from '../limits.js';

/** How much of the file's tail is read at a time while looking for its last newline (bytes). */
const REPAIR_CHUNK_BYTES = 64 * 1024;

/**
 * Cuts a partial last line (from a crash in the middle of a write, or a full disk) off the log, so
 * that what we append next starts on a line of its own and every line parses. Returns how many bytes
 * were dropped (0 when the file is missing, empty or ends with a newline).
 */
export async function repairPartialLine(path: string): Promise<number> {
  let file: Awaited<ReturnType<typeof open>>;
  try {
    file = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    const { size } = await file.stat();
    if (size === 0) return 0;
    const buffer = Buffer.alloc(Math.min(REPAIR_CHUNK_BYTES, size));
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - buffer.length);
      const { bytesRead } = await file.read(buffer, 0, end - start, start);
      const newline = buffer.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline >= 0) {
        const keep = start + newline + 1;
        if (keep < size) await file.truncate(keep);
        return size - keep;
      }
      end = start;
    }
    // Not one complete line: all of it is the partial one.
    await file.truncate(0);
    return size;
  } finally {
    await file.close();
  }
}

/**
 * The JSONL event log (OVERSEER_LOG_FILE): one wire message per line, appended. Lines are written
 * whole, several per write, so the file never holds a partial line from us; if the disk cannot keep
 * up, lines past the backlog limit are dropped and counted rather than held without bound. A partial
 * last line left by a crash is cut off when the log is opened (see repairPartialLine).
 */
export class EventLog {
  private dropped = 0;

  private constructor(
    private readonly stream: WriteStream,
    private readonly warn: (message: string) => void,
  ) {}

  static async open(path: string, warn: (message: string) => void): Promise<EventLog> {
    const dropped = await repairPartialLine(path);
    if (dropped > 0) {
      warn(`event log ended with a partial line (left by a crash); dropped its ${dropped} bytes`);
    }
    return new Promise((resolve, reject) => {
      const stream = createWriteStream(path, { flags: 'a' });
      stream.once('error', reject);
      stream.once('open', () => {
        stream.off('error', reject);
        stream.on('error', (error) => warn(`event log write failed: ${error.message}`));
        resolve(new EventLog(stream, warn));
      });
    });
  }

  get droppedLines(): number {
    return this.dropped;
  }

  append(lines: readonly string[]): void {
    if (lines.length === 0) return;
    if (this.stream.writableLength > Limits.eventLogBacklogBytes) {
      if (this.dropped === 0) this.warn('event log cannot keep up; dropping lines until it drains');
      this.dropped += lines.length;
      return;
    }
    // One write of whole lines: a crash can cut it short, never interleave it with another.
    this.stream.write(`${lines.join('\n')}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
