import {
  type TerminalClientFrame,
  TerminalCloseCode,
  type TerminalServerFrame,
} from '../src/protocol/terminal-frames.js';

export interface TerminalSink {
  /** Replay of the server's buffer: the screen starts over. */
  reset(): void;
  /** Output to render; `acked` says whether it counts against the server's flow-control window. */
  write(data: string, acked: boolean): void;
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
 * that the browser reports as an abnormal close followed by `shouldRetry()` saying no).
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

  constructor(
    private readonly sessionId: string,
    private readonly sink: TerminalSink,
    private readonly shouldRetry: () => boolean,
  ) {
    this.connect();
  }

  send(data: string): void {
    this.frame({ type: 'input', data });
  }

  resize(cols: number, rows: number): void {
    this.pendingResize = { cols, rows };
    this.frame({ type: 'resize', cols, rows });
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

  private connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(
      `${scheme}//${location.host}/ws/sessions/${encodeURIComponent(this.sessionId)}/terminal`,
    );
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.exited = false;
      this.sink.status(null);
      // The terminal's size may have changed while disconnected.
      if (this.pendingResize !== null) this.resize(this.pendingResize.cols, this.pendingResize.rows);
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
      this.sink.status(`disconnected — reconnecting in ${Math.round(delay / 100) / 10} s…`);
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
      case 'replay':
        this.lastSeq = frame.seq;
        this.sink.reset();
        this.sink.write(frame.data.slice(-MAX_REPLAY_CHARS), false);
        return;
      case 'output':
        if (frame.seq <= this.lastSeq) {
          // Already on screen, but the server counted it: acknowledge without drawing.
          this.ack(frame.data.length);
          return;
        }
        this.lastSeq = frame.seq;
        this.sink.write(frame.data, true);
        return;
      case 'skipped':
        this.sink.skipped(frame.chars);
        return;
      case 'exit':
        this.exited = true;
        this.sink.exited(frame.code, frame.signal);
        return;
      case 'error':
        this.sink.status(frame.message);
        return;
    }
  }
}
