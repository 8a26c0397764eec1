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

type Chunk =
  | {
      data: string;
      /** Characters to acknowledge once all of `data` is parsed (0: not counted by the server). */
      readonly ackChars: number;
    }
  /** Runs once everything before it is parsed (a resize between output drawn at two sizes). */
  | { readonly action: () => void };

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

  /**
   * Queues `data`; `ackChars` are acknowledged once it is parsed: what the server sent, which may be
   * more than `data` (the page leaves some sequences out) or nothing (a replay is not counted).
   */
  write(data: string, ackChars = 0): void {
    if (data === '' && ackChars === 0) return;
    this.queue.push({ data, ackChars });
    this.queued += data.length;
    if (this.queued > MAX_QUEUED) this.dropOldest();
    this.schedule();
  }

  /** Runs `action` once what was written before it is on the terminal. */
  afterWritten(action: () => void): void {
    this.queue.push({ action });
    this.schedule();
  }

  /** Forget everything queued (a replay starts the screen over); acknowledge what was counted. */
  clear(): void {
    let counted = 0;
    for (const chunk of this.queue) if ('data' in chunk) counted += chunk.ackChars;
    this.queue = [];
    this.queued = 0;
    this.ack(counted);
  }

  notice(text: string): void {
    this.write(`\r\n\x1b[7m ${text} \x1b[0m\r\n`);
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
      if ('action' in head) {
        // Waits for the parser: xterm.js applies a resize at once, to output still queued in it too.
        if (this.inFlight > 0) return;
        this.queue.shift();
        head.action();
        continue;
      }
      if (head.data === '') {
        // Everything the server sent here was left out: nothing to parse, only to acknowledge.
        this.queue.shift();
        if (head.ackChars > 0) this.ack(head.ackChars);
        continue;
      }
      const slice = head.data.length <= budget ? head.data : head.data.slice(0, budget);
      const last = slice.length === head.data.length;
      if (last) this.queue.shift();
      else head.data = head.data.slice(slice.length);
      this.queued -= slice.length;
      budget -= slice.length;
      this.inFlight += slice.length;
      const acked = last ? head.ackChars : 0;
      this.terminal.write(slice, () => {
        this.inFlight -= slice.length;
        if (acked > 0 && !this.disposed) this.ack(acked);
        this.schedule();
      });
    }
    this.schedule();
  }

  private dropOldest(): void {
    let dropped = 0;
    let counted = 0;
    while (this.queued > MAX_QUEUED / 2) {
      const chunk = this.queue.shift();
      if (chunk === undefined) break;
      // A resize among dropped output still happens: what follows was drawn at its size.
      if ('action' in chunk) {
        chunk.action();
        continue;
      }
      this.queued -= chunk.data.length;
      dropped += chunk.data.length;
      counted += chunk.ackChars;
    }
    this.ack(counted);
    this.queue.unshift({ data: `\r\n\x1b[7m skipped ${formatBytes(dropped)} here \x1b[0m\r\n`, ackChars: 0 });
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}
