import type { WebSocket } from 'ws';
import { CloseCodes, Limits } from '../limits.js';

interface RawSocket {
  cork(): void;
  uncork(): void;
  on(event: 'drain', listener: () => void): void;
  off(event: 'drain', listener: () => void): void;
}

/**
 * One WebSocket client of the overseer. Its send queue is the socket's own buffer, bounded: a client
 * whose unsent backlog passes the limit is disconnected with a reason instead of growing memory or
 * holding up the output of the children and the other clients.
 */
export class ClientConnection {
  private closing = false;
  private destroyTimer: NodeJS.Timeout | null = null;
  private readonly raw: RawSocket | undefined;

  constructor(
    readonly socket: WebSocket,
    private readonly onSlowClient: (backlogBytes: number) => void,
    /** Called when the socket's send buffer has fully drained (it is no longer behind). */
    onDrain: () => void,
  ) {
    // ws keeps the TCP socket private; it is the one that says when the backlog is gone.
    this.raw = (socket as unknown as { _socket?: RawSocket })._socket;
    this.raw?.on('drain', onDrain);
    socket.once('close', () => {
      this.raw?.off('drain', onDrain);
      this.disposeTimer();
    });
  }

  /** Bytes sent but not yet taken by the peer. */
  get backlog(): number {
    return this.socket.bufferedAmount;
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === this.socket.OPEN;
  }

  send(text: string): void {
    if (!this.open) return;
    this.socket.send(text);
    this.checkBacklog();
  }

  /** Sends several messages with one write to the socket (cork/uncork around the burst). */
  sendBatch(texts: readonly string[]): void {
    if (!this.open) return;
    this.raw?.cork();
    for (const text of texts) this.socket.send(text);
    this.raw?.uncork();
    this.checkBacklog();
  }

  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.socket.close(code, reason);
    // A stalled client never reads the close frame; do not hold its backlog for ws's 30 s timeout.
    this.destroyTimer = setTimeout(() => this.socket.terminate(), Limits.slowClientCloseGraceMs);
  }

  private checkBacklog(): void {
    const backlog = this.socket.bufferedAmount;
    if (backlog <= Limits.clientBacklogBytes) return;
    this.onSlowClient(backlog);
    this.close(CloseCodes.tryAgainLater, `client too slow: ${backlog} bytes unsent`);
  }

  private disposeTimer(): void {
    if (this.destroyTimer === null) return;
    clearTimeout(this.destroyTimer);
    this.destroyTimer = null;
  }
}
