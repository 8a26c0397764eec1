import type { WebSocket } from 'ws';
import { CloseCodes, Limits } from '../limits.js';

interface RawSocket {
  cork(): void;
  uncork(): void;
  on(event: 'drain', listener: () => void): void;
  off(event: 'drain', listener: () => void): void;
}

/**
 * One WebSocket client of the overseer, with its own bounded send queue.
 *
 * Only a little is handed to the socket at a time (`socketWatermarkBytes`); the rest waits here. So
 * when a client falls too far behind, its queue is dropped and the close frame with its reason goes
 * out right behind that little — a client that resumes reading learns why it was cut off, instead of
 * finding a dead connection — and memory for it stays bounded either way.
 */
export class ClientConnection {
  private closing = false;
  private closeTimer: NodeJS.Timeout | null = null;
  private readonly raw: RawSocket | undefined;
  private queue: string[] = [];
  private queueHead = 0;
  /** Characters waiting in `queue` (UTF-16 units: a cheap, close measure of bytes for JSON text). */
  private queuedChars = 0;

  constructor(
    readonly socket: WebSocket,
    private readonly onSlowClient: (backlog: number) => void,
    /** Called when everything queued for this client has been handed over and taken (not behind). */
    private readonly onDrain: () => void,
  ) {
    // ws keeps the TCP socket private; it is the one that says when the socket buffer is empty.
    this.raw = (socket as unknown as { _socket?: RawSocket })._socket;
    const drained = (): void => this.flush();
    this.raw?.on('drain', drained);
    socket.once('close', () => {
      this.raw?.off('drain', drained);
      this.dropQueue();
      if (this.closeTimer !== null) clearTimeout(this.closeTimer);
      this.closeTimer = null;
    });
  }

  /** What this client has not taken yet: our queue plus the socket's buffer. */
  get backlog(): number {
    return this.queuedChars + this.socket.bufferedAmount;
  }

  get open(): boolean {
    return !this.closing && this.socket.readyState === this.socket.OPEN;
  }

  send(text: string): void {
    this.sendBatch([text]);
  }

  /** Queues messages in order; as much as the socket watermark allows goes out in one write. */
  sendBatch(texts: readonly string[]): void {
    if (!this.open) return;
    if (this.queuedChars === 0 && this.socket.bufferedAmount < Limits.socketWatermarkBytes) {
      this.write(texts, 0);
    } else {
      for (const text of texts) this.enqueue(text);
    }
    const backlog = this.backlog;
    if (backlog > Limits.clientBacklogBytes) {
      this.onSlowClient(backlog);
      this.close(CloseCodes.tryAgainLater, `client too slow: ${backlog} bytes unsent`);
    }
  }

  /**
   * Drops what is queued and closes; the close frame follows what the socket already holds. A peer
   * that does not answer within `answerMs` has its socket destroyed.
   */
  close(code: number, reason: string, answerMs: number = Limits.closeHandshakeMs): void {
    if (this.closing) {
      this.terminateAfter(answerMs);
      return;
    }
    this.closing = true;
    this.dropQueue();
    this.socket.close(code, reason);
    this.terminateAfter(answerMs);
  }

  /** Resolves once the socket is closed. */
  closed(): Promise<void> {
    if (this.socket.readyState === this.socket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => this.socket.once('close', () => resolve()));
  }

  private terminateAfter(ms: number): void {
    if (this.socket.readyState === this.socket.CLOSED) return;
    if (this.closeTimer !== null) clearTimeout(this.closeTimer);
    this.closeTimer = setTimeout(() => {
      this.closeTimer = null;
      this.socket.terminate();
    }, ms);
  }

  /** Writes texts from `start` on until the socket watermark is reached; queues the rest. */
  private write(texts: readonly string[], start: number): void {
    this.raw?.cork();
    let index = start;
    while (index < texts.length && this.socket.bufferedAmount < Limits.socketWatermarkBytes) {
      this.socket.send(texts[index] as string);
      index++;
    }
    this.raw?.uncork();
    for (; index < texts.length; index++) this.enqueue(texts[index] as string);
  }

  private enqueue(text: string): void {
    this.queue.push(text);
    this.queuedChars += text.length;
  }

  /** The socket buffer emptied: hand over the next part of the queue, or report the client caught up. */
  private flush(): void {
    if (!this.open) return;
    if (this.queuedChars === 0) {
      this.onDrain();
      return;
    }
    this.raw?.cork();
    while (this.queueHead < this.queue.length && this.socket.bufferedAmount < Limits.socketWatermarkBytes) {
      const text = this.queue[this.queueHead] as string;
      this.queueHead++;
      this.queuedChars -= text.length;
      this.socket.send(text);
    }
    this.raw?.uncork();
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      // Compact now and then so the consumed head does not pin memory.
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private dropQueue(): void {
    this.queue = [];
    this.queueHead = 0;
    this.queuedChars = 0;
  }
}
