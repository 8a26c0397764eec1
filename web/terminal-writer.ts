import type { Terminal } from '@xterm/xterm';

/** Characters handed to xterm.js per animation frame: small enough that a frame stays short. */
const SLICE_CHARS = 16 * 1024;
/** Characters given to xterm.js but not yet parsed: beyond this we wait for its callbacks. */
const MAX_IN_FLIGHT = 64 * 1024;
/**
 * Characters waiting here. The server stops sending at a million unacknowledged characters, so this is
 * reached only if it misbehaves; past it the oldest output is dropped with a visible marker.
 */
const MAX_QUEUED = 4 * 1024 * 1024;

interface Chunk {
  data: string;
  /** Counts against the server's window: acknowledged once xterm.js has parsed it. */
  readonly acked: boolean;
}

/**
 * Feeds output to xterm.js in bounded slices, one batch per animation frame, and acknowledges what it
 * has parsed. A flood thus advances at the speed the page can draw, the server drops what the page
 * cannot take (and says so with `skipped`), and clicks and keys stay responsive in between.
 */
export class TerminalWriter {
  private queue: Chunk[] = [];
  private queued = 0;
  private inFlight = 0;
  private frame: number | null = null;
  private disposed = false;

  constructor(
    private readonly terminal: Terminal,
    /** Acknowledges characters of counted output once xterm.js has parsed them. */
    private readonly ack: (chars: number) => void,
  ) {}

  write(data: string, acked: boolean): void {
    if (data === '') return;
    this.queue.push({ data, acked });
    this.queued += data.length;
    if (this.queued > MAX_QUEUED) this.dropOldest();
    this.schedule();
  }

  /** Forget everything queued (a replay starts the screen over); acknowledge what was counted. */
  clear(): void {
    let counted = 0;
    for (const chunk of this.queue) if (chunk.acked) counted += chunk.data.length;
    this.queue = [];
    this.queued = 0;
    this.ack(counted);
  }

  notice(text: string): void {
    this.write(`\r\n\x1b[7m ${text} \x1b[0m\r\n`, false);
  }

  dispose(): void {
    this.disposed = true;
    if (this.frame !== null) cancelAnimationFrame(this.frame);
  }

  private schedule(): void {
    if (this.frame !== null || this.disposed || this.queue.length === 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.pump();
    });
  }

  private pump(): void {
    let budget = SLICE_CHARS;
    while (budget > 0 && this.inFlight < MAX_IN_FLIGHT) {
      const head = this.queue[0];
      if (head === undefined) break;
      const slice = head.data.length <= budget ? head.data : head.data.slice(0, budget);
      if (slice.length === head.data.length) this.queue.shift();
      else head.data = head.data.slice(slice.length);
      this.queued -= slice.length;
      budget -= slice.length;
      this.inFlight += slice.length;
      const acked = head.acked;
      this.terminal.write(slice, () => {
        this.inFlight -= slice.length;
        if (acked && !this.disposed) this.ack(slice.length);
        this.schedule();
      });
    }
    this.schedule();
  }

  private dropOldest(): void {
    let dropped = 0;
    while (this.queued > MAX_QUEUED / 2) {
      const chunk = this.queue.shift();
      if (chunk === undefined) break;
      this.queued -= chunk.data.length;
      dropped += chunk.data.length;
      if (chunk.acked) this.ack(chunk.data.length);
    }
    this.queue.unshift({
      data: `\r\n\x1b[7m skipped ${formatBytes(dropped)} here \x1b[0m\r\n`,
      acked: false,
    });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}
