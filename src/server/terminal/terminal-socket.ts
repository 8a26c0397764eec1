import type { RawData, WebSocket } from 'ws';
import type { Session } from '../../agent/session/session.js';
import type { EventBus, Subscription } from '../../events/bus.js';
import type { SessionEvent } from '../../protocol/events.js';
import {
  decodeTerminalFrame,
  skippedFrame,
  type TerminalClientFrame,
  TerminalFlow,
  type TerminalInputFrame,
  type TerminalServerFrame,
  TerminalViewLimits,
} from '../../protocol/terminal-frames.js';
import type { LimitReason } from '../../util/limit-reasons.js';
import type { EngineEvent } from '../engine-event.js';
import { CloseCodes, closeWebSocket, Limits } from '../limits.js';
import { frameText } from '../websocket-support.js';
import { capturesFromTmux, openingFrames, untilQuiet } from './opening-frames.js';
import { SessionViewers, type Viewer } from './session-viewers.js';
import { SplitReplyJoiner } from './split-replies.js';
import { isTyping, withoutViewerReplies } from './viewer-replies.js';

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
 * src/protocol/terminal-frames.ts. It sends `history` (tmux) and `replay` first, then `size`, and
 * then `output`, `skipped`, `size`, `inputAck` and `exit`; it takes `input`, `resize`, `ack` and
 * `refresh` (the opening again), counts each client's unacknowledged characters against
 * TerminalFlow's marks, and leaves the agent's size to the session's viewers (session-viewers.ts).
 */
export class TerminalSocket {
  private unacked = 0;
  private skipped = 0;
  private readonly subscription: Subscription;
  private closing = false;
  /** Whether the replay went out: output before it is in it. */
  private opened = false;
  /** When the last opening went out (ms), and the refresh waiting for its turn. */
  private openedAt = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly viewer: Viewer = {
    size: null,
    clientId: null,
    sendSize: (size) => this.send({ type: 'size', ...size }),
  };

  constructor(
    private readonly socket: WebSocket,
    private readonly session: Session,
    bus: EventBus<EngineEvent>,
    /** Unsent bytes above which the socket is closed as too slow (tests lower it). */
    private readonly backlogBytes: number = TERMINAL_BACKLOG_BYTES,
    private readonly warn: (message: string, detail?: Record<string, unknown>) => void = () => {},
    /** The session's viewers, shared by its sockets (TerminalClients keeps one per session). */
    private readonly viewers: SessionViewers = new SessionViewers(session),
  ) {
    this.subscription = bus.subscribe({
      filter: (event) =>
        'sessionId' in event &&
        event.sessionId === session.id &&
        (event.kind === 'session:terminal' ||
          event.kind === 'session:exit' ||
          event.kind === 'session:interactive'),
      maxQueued: TerminalFlow.maxQueuedEvents,
      deliver: (batch) => {
        for (const event of batch) this.forward(event as SessionEvent);
        // A size set elsewhere (REST, a new run) is told with the output that follows it.
        if (this.opened) this.viewers.sync();
      },
      onOverflow: () => this.close('terminal output queue overflowed'),
    });
    viewers.join(this.viewer);
    socket.on('message', (data: RawData) => this.receive(data));
    socket.once('close', () => {
      this.joiner.dispose();
      this.subscription.close();
      viewers.leave(this.viewer);
      if (this.refreshTimer !== null) clearTimeout(this.refreshTimer);
    });
    socket.on('error', () => socket.terminate());
    void this.quiet().then(() => this.open());
  }

  /** For a capture from tmux, a moment without output (see untilQuiet); otherwise at once. */
  private quiet(): Promise<void> {
    return capturesFromTmux(this.session) ? untilQuiet(this.session) : Promise.resolve();
  }

  /** The replay, then the agent's size. */
  private open(): void {
    if (this.opened || this.closing) return;
    this.opened = true;
    this.sendOpening();
  }

  /** A client's `refresh`: the opening again, at most every refreshIntervalMs (later ones join it). */
  private refresh(): void {
    if (!this.opened || this.refreshTimer !== null) return;
    const wait = Math.max(0, this.openedAt + TerminalViewLimits.refreshIntervalMs - Date.now());
    this.refreshTimer = setTimeout(() => {
      void this.quiet().then(() => {
        this.refreshTimer = null;
        this.sendOpening();
      });
    }, wait);
  }

  private sendOpening(): void {
    if (this.closing) return;
    this.openedAt = Date.now();
    try {
      for (const frame of openingFrames(this.session)) this.send(frame);
      this.send({ type: 'size', ...this.viewers.size });
    } catch (error) {
      this.warn('terminal replay failed', { sessionId: this.session.id, error: (error as Error).message });
      this.close('the terminal could not be replayed');
    }
  }

  private forward(event: SessionEvent): void {
    if (!this.opened) {
      // The replay, taken later, holds this output; an exit must not wait for it.
      if (event.kind !== 'session:exit') return;
      this.open();
    }
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
      case 'input':
        this.input(frame);
        return;
      case 'resize':
        if (frame.clientId !== undefined) this.viewer.clientId = frame.clientId;
        this.viewers.resized(this.viewer, { cols: frame.cols, rows: frame.rows });
        return;
      case 'refresh':
        this.refresh();
        return;
      case 'ack':
        this.unacked = Math.max(0, this.unacked - frame.chars);
        this.catchUp();
        return;
    }
  }

  /**
   * Keystrokes: applied at most once per `clientId`/`seq` (a resend after a reconnect is acknowledged
   * again, not applied), and acknowledged once applied. What a viewer really typed (not its
   * terminal's answers to queries) gives it the agent's size first.
   */
  private input(frame: TerminalInputFrame): void {
    const { clientId, seq } = frame;
    const sequenced = clientId !== undefined && seq !== undefined;
    if (clientId !== undefined) this.viewer.clientId = clientId;
    if (sequenced && this.viewers.inputs.applied(clientId, seq)) {
      this.send({ type: 'inputAck', seq });
      return;
    }
    const typed = withoutViewerReplies(this.joiner.take(frame.data));
    if (typed !== '') {
      const written = this.typeIntoAgent(typed);
      if (!written.ok) {
        this.send({
          type: 'error',
          code: written.code,
          message: written.message,
          ...(sequenced ? { seq } : {}),
        });
        return;
      }
    }
    if (!sequenced) return;
    this.viewers.inputs.record(clientId, seq);
    this.send({ type: 'inputAck', seq });
  }

  /** What the viewer really typed: it takes the agent's size first. */
  private typeIntoAgent(typed: string): ReturnType<Session['write']> {
    if (this.session.isInteractive && isTyping(typed)) this.viewers.typed(this.viewer);
    return this.session.write(typed);
  }

  /** A held tail that no reply followed: it was typed (an Escape key), and goes to the agent late. */
  private readonly joiner = new SplitReplyJoiner((text) => {
    const written = this.typeIntoAgent(text);
    if (!written.ok) this.send({ type: 'error', code: written.code, message: written.message });
  });

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
