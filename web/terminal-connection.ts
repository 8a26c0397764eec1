import {
  type TerminalClientFrame,
  TerminalCloseCode,
  type TerminalServerFrame,
} from '../src/protocol/terminal-frames.js';
import { MAX_UNACKED_INPUT_CHARS, PAGE_CLIENT_ID, pendingInputOf } from './terminal-input.js';
import { formatBytes } from './terminal-writer.js';

export interface TerminalSink {
  /**
   * The screen starts over: `history` (the agent's scrollback, or null) above it, then `data`, drawn
   * at `size` when the server said. `snapshot`: the screen is tmux's, and `refresh()` brings the
   * scrollback up to date.
   */
  replay(
    data: string,
    history: string | null,
    size: { cols: number; rows: number } | null,
    snapshot: boolean,
  ): void;
  /** Output to render; `ackChars` of it count against the server's flow-control window. */
  write(data: string, ackChars: number): void;
  /** The agent's terminal size. */
  size(cols: number, rows: number): void;
  /** Characters of output the server dropped while this page was behind. */
  skipped(chars: number): void;
  exited(code: number | null, signal: string | null): void;
  status(text: string | null): void;
}

/** Reconnect delays: quick at first (a server restart), then no more than every 10 s. */
const BACKOFF_MS = [250, 500, 1000, 2000, 5000, 10_000];
/** Replay beyond this many characters is not drawn: it would be scrolled away anyway. */
const MAX_REPLAY_CHARS = 256 * 1024;

/**
 * One session's terminal socket: delivers frames to a sink, sends input, resize and acknowledgements,
 * and reconnects with backoff until closed or the session is gone (close code 4404, or an HTTP 404
 * that the browser reports as an abnormal close followed by `shouldRetry()` saying no). Input is
 * numbered and kept until the server acknowledges it: typed while disconnected, it is sent after the
 * reconnect, once; refused, the banner says so.
 */
export class TerminalConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private exited = false;
  private pendingResize: { cols: number; rows: number } | null = null;
  /** Highest output sequence drawn: frames queued before the replay (or a catch-up) repeat what it held. */
  private lastSeq = -1;
  /** The `history` frame, held for the `replay` that follows it. */
  private history: string | null = null;
  private readonly pending;
  /** What the banner says of the connection (null: open) and of refused input. */
  private link: string | null = null;
  /** Shown until input typed after it is acknowledged (`clearedBy`: the first such frame's seq). */
  private refusal: { readonly text: string; readonly clearedBy: number } | null = null;

  constructor(
    private readonly sessionId: string,
    private readonly sink: TerminalSink,
    private readonly shouldRetry: () => boolean,
  ) {
    this.pending = pendingInputOf(sessionId);
    this.connect();
  }

  /** Unacknowledged keystrokes (sent or waiting to be). */
  get pendingInput(): number {
    return this.pending.count;
  }

  send(data: string): void {
    const frame = this.pending.add(data);
    if (frame === null) {
      this.refusal = {
        text: `Typing refused: ${formatBytes(MAX_UNACKED_INPUT_CHARS)} of input is still waiting to be sent.`,
        clearedBy: this.pending.nextSeq,
      };
    } else {
      this.frame(frame);
    }
    this.showStatus();
  }

  resize(cols: number, rows: number): void {
    this.pendingResize = { cols, rows };
    this.frame({ type: 'resize', cols, rows, clientId: PAGE_CLIENT_ID });
  }

  /** Asks for the opening again: the scrollback as it is now. */
  refresh(): void {
    this.frame({ type: 'refresh' });
  }

  ack(chars: number): void {
    if (chars > 0) this.frame({ type: 'ack', chars });
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.socket?.close(1000, 'view closed');
    this.socket = null;
  }

  private frame(frame: TerminalClientFrame): void {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(frame));
  }

  private showStatus(): void {
    const waiting = this.pending.count;
    const parts = [
      this.link,
      this.link !== null && waiting > 0
        ? `${waiting} keystroke${waiting === 1 ? '' : 's'} waiting to be sent`
        : null,
      this.refusal?.text ?? null,
    ].filter((part): part is string => part !== null);
    this.sink.status(parts.length === 0 ? null : parts.join(' · '));
  }

  private connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(
      `${scheme}//${location.host}/ws/sessions/${encodeURIComponent(this.sessionId)}/terminal`,
    );
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.exited = false;
      this.link = null;
      // The terminal's size may have changed while disconnected; its size comes before its typing.
      if (this.pendingResize !== null) this.resize(this.pendingResize.cols, this.pendingResize.rows);
      // Whatever has no acknowledgement goes again: the server applies each once.
      for (const frame of this.pending.all()) this.frame(frame);
      this.showStatus();
    };
    socket.onmessage = (message) => {
      if (typeof message.data === 'string') this.receive(message.data);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed || event.code === TerminalCloseCode.noSuchSession || this.exited || !this.shouldRetry())
        return;
      const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)] ?? 10_000;
      this.attempt++;
      this.link = `disconnected — reconnecting in ${Math.round(delay / 100) / 10} s…`;
      this.showStatus();
      this.timer = setTimeout(() => {
        this.timer = null;
        if (!this.closed) this.connect();
      }, delay);
    };
  }

  private receive(text: string): void {
    let frame: TerminalServerFrame;
    try {
      frame = JSON.parse(text) as TerminalServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'history':
        this.history = frame.data;
        return;
      case 'replay': {
        this.lastSeq = frame.seq;
        const size =
          frame.cols !== undefined && frame.rows !== undefined
            ? { cols: frame.cols, rows: frame.rows }
            : null;
        this.sink.replay(frame.data.slice(-MAX_REPLAY_CHARS), this.history, size, frame.snapshot === true);
        this.history = null;
        return;
      }
      case 'output':
        if (frame.seq <= this.lastSeq) {
          // Already on screen, but the server counted it: acknowledge without drawing.
          this.ack(frame.data.length);
          return;
        }
        this.lastSeq = frame.seq;
        this.sink.write(frame.data, frame.data.length);
        return;
      case 'size':
        this.sink.size(frame.cols, frame.rows);
        return;
      case 'inputAck':
        this.pending.acknowledged(frame.seq);
        // The acknowledgement of something typed before the refusal does not make it old news.
        if (this.refusal !== null && frame.seq >= this.refusal.clearedBy) this.refusal = null;
        this.showStatus();
        return;
      case 'skipped':
        this.sink.skipped(frame.chars);
        return;
      case 'exit':
        this.exited = true;
        this.sink.exited(frame.code, frame.signal);
        return;
      case 'error':
        if (frame.seq !== undefined) {
          this.pending.refused(frame.seq);
          this.refusal = { text: `Typing refused: ${frame.message}`, clearedBy: frame.seq + 1 };
          this.showStatus();
        } else {
          this.sink.status(frame.message);
        }
        return;
    }
  }
}
