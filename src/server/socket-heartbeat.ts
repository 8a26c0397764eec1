import type { WebSocket } from 'ws';

/**
 * Finds WebSocket clients that are connected but dead: a frozen process, a laptop that went to
 * sleep, a peer that stopped reading. Such a client would hold one of the limited client slots (and
 * its send queue) for as long as the kernel keeps the TCP connection, which can be many minutes.
 *
 * Every socket gets a WebSocket ping a few times per timeout; every client library and browser
 * answers pings by itself. A socket from which nothing — no pong, no frame — has arrived for the
 * timeout is terminated, which frees its slot at once. One timer serves every socket.
 */
export class SocketHeartbeat {
  private readonly lastHeard = new Map<WebSocket, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Silence after which a client counts as dead (ms); 0 switches the heartbeat off. */
    readonly timeoutMs: number,
    private readonly onDead: (silentMs: number) => void = () => {},
  ) {}

  /** Watches the socket until it closes. */
  watch(socket: WebSocket): void {
    if (this.timeoutMs <= 0) return;
    this.lastHeard.set(socket, Date.now());
    const heard = (): void => {
      this.lastHeard.set(socket, Date.now());
    };
    socket.on('pong', heard);
    socket.on('message', heard);
    socket.once('close', () => {
      socket.off('pong', heard);
      socket.off('message', heard);
      this.lastHeard.delete(socket);
      if (this.lastHeard.size === 0) this.stop();
    });
    if (this.timer === null) {
      // Three pings per timeout: one lost or late pong never ends a live client.
      this.timer = setInterval(() => this.beat(), Math.max(1, Math.floor(this.timeoutMs / 3)));
      this.timer.unref();
    }
  }

  get watching(): number {
    return this.lastHeard.size;
  }

  dispose(): void {
    this.stop();
    this.lastHeard.clear();
  }

  private beat(): void {
    const now = Date.now();
    for (const [socket, heard] of this.lastHeard) {
      if (socket.readyState !== socket.OPEN) continue;
      const silent = now - heard;
      if (silent >= this.timeoutMs) {
        this.onDead(silent);
        socket.terminate();
        continue;
      }
      try {
        socket.ping();
      } catch {
        // The socket closed between the check and the ping: its close handler forgets it.
      }
    }
  }

  private stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
