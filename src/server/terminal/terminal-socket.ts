import type { RawData, WebSocket } from 'ws';
import type { Session } from '../../agent/session/session.js';
import type { EventBus, Subscription } from '../../events/bus.js';
import type { SessionEvent } from '../../protocol/events.js';
import {
  decodeTerminalFrame,
  skippedFrame,
  type TerminalClientFrame,
  TerminalFlow,
  type TerminalServerFrame,
} from '../../protocol/terminal-frames.js';
import type { LimitReason } from '../../util/limit-reasons.js';
import type { EngineEvent } from '../engine-event.js';
import { CloseCodes, closeWebSocket, Limits } from '../limits.js';
import { frameText } from '../websocket-support.js';
import { withoutViewerReplies } from './viewer-replies.js';

/**
 * Unsent bytes one terminal socket may hold before it is closed with 1013 (Limits.clientBacklogBytes).
 * A client that acknowledges what it renders never gets near it (its unacknowledged output stays
 * under the high-water mark); one that acknowledges without reading would otherwise grow the
 * server's send buffer without end.
 */
export const TERMINAL_BACKLOG_BYTES = Limits.clientBacklogBytes;
export const TERMINAL_BACKLOG_REASON: LimitReason = {
  metric: 'terminal_client_backlog_bytes',
  reason: 'Unsent bytes one terminal socket may hold before it is closed as too slow (1013).',
};

/**
 * The browser terminal's socket (`/ws/sessions/:id/terminal`): the frames and the flow control of
 * src/protocol/terminal-frames.ts. It sends `replay` first, then `output`, `skipped` and `exit`; it
 * takes `input`, `resize` and `ack`, and counts each client's unacknowledged characters against
 * TerminalFlow's marks.
 */
export class TerminalSocket {
  private unacked = 0;
  private skipped = 0;
  private readonly subscription: Subscription;
  private closing = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly session: Session,
    bus: EventBus<EngineEvent>,
    /** Unsent bytes above which the socket is closed as too slow (tests lower it). */
    private readonly backlogBytes: number = TERMINAL_BACKLOG_BYTES,
    private readonly warn: (message: string, detail?: Record<string, unknown>) => void = () => {},
  ) {
    this.subscription = bus.subscribe({
      filter: (event) =>
        'sessionId' in event &&
        event.sessionId === session.id &&
        (event.kind === 'session:terminal' || event.kind === 'session:exit'),
      maxQueued: TerminalFlow.maxQueuedEvents,
      deliver: (batch) => {
        for (const event of batch) this.forward(event as SessionEvent);
      },
      onOverflow: () => this.close('terminal output queue overflowed'),
    });
    socket.on('message', (data: RawData) => this.receive(data));
    socket.once('close', () => this.subscription.close());
    socket.on('error', () => socket.terminate());
    this.send({ type: 'replay', seq: session.terminalSequence, data: session.terminal.toString() });
  }

  private forward(event: SessionEvent): void {
    if (event.kind === 'session:exit') {
      this.send({ type: 'exit', code: event.data.code, signal: event.data.signal });
      return;
    }
    if (event.kind !== 'session:terminal') return;
    const { data, seq } = event.data;
    if (this.unacked > TerminalFlow.highWaterChars || this.skipped > 0) {
      this.skipped += data.length;
      return;
    }
    this.unacked += data.length;
    this.send({ type: 'output', seq, data });
  }

  /**
   * One client frame. Nothing a client sends may throw out of here: an exception in a socket's
   * message handler would end the whole server. A frame that cannot be handled gets an error frame
   * and the connection stays open.
   */
  private receive(raw: RawData): void {
    try {
      const decoded = decodeTerminalFrame(frameText(raw));
      if (!decoded.ok) {
        this.send({ type: 'error', message: decoded.message });
        return;
      }
      this.handle(decoded.frame);
    } catch (error) {
      this.warn('terminal frame failed', { sessionId: this.session.id, error: (error as Error).message });
      this.send({ type: 'error', message: 'internal error; see the server log' });
    }
  }

  private handle(frame: TerminalClientFrame): void {
    switch (frame.type) {
      case 'input': {
        const typed = withoutViewerReplies(frame.data);
        if (typed === '') return;
        const written = this.session.write(typed);
        if (!written.ok) this.send({ type: 'error', code: written.code, message: written.message });
        return;
      }
      case 'resize':
        this.session.resize({ cols: frame.cols, rows: frame.rows });
        return;
      case 'ack':
        this.unacked = Math.max(0, this.unacked - frame.chars);
        this.catchUp();
        return;
    }
  }

  /** A client that was behind and has caught up gets the marker and the latest output. */
  private catchUp(): void {
    if (this.skipped === 0 || this.unacked > TerminalFlow.lowWaterChars) return;
    const tail = this.session.terminal.toString().slice(-TerminalFlow.catchUpChars);
    this.send(skippedFrame(this.skipped));
    this.skipped = 0;
    this.unacked += tail.length;
    this.send({ type: 'output', seq: this.session.terminalSequence, data: tail });
  }

  private send(frame: TerminalServerFrame): void {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(JSON.stringify(frame));
    const backlog = this.socket.bufferedAmount;
    if (backlog > this.backlogBytes) this.close(`client too slow: ${backlog} bytes unsent`);
  }

  /** Closes with 1013 and the reason; a peer that does not answer in time has its socket destroyed. */
  private close(reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.subscription.close();
    closeWebSocket(this.socket, CloseCodes.tryAgainLater, reason);
  }
}
