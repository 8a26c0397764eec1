import { createWriteStream, type WriteStream } from 'node:fs';
import { Limits } from '../limits.js';

/**
 * The JSONL event log (OVERSEER_LOG_FILE): one wire message per line, appended. Lines are written
 * whole, several per write, so the file never holds a partial line from us; if the disk cannot keep
 * up, lines past the backlog limit are dropped and counted rather than held without bound.
 */
export class EventLog {
  private dropped = 0;

  private constructor(
    private readonly stream: WriteStream,
    private readonly warn: (message: string) => void,
  ) {}

  static open(path: string, warn: (message: string) => void): Promise<EventLog> {
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
    this.stream.write(`${lines.join('\n')}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
