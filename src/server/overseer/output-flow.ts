import { Limits } from '../limits.js';

/**
 * Backpressure from the WebSocket clients to the children.
 *
 * Output is read while at least one client can take it. When every client is more than the
 * high-water mark behind, reading stops (the children block on their pipes, as they did on the
 * original's blocking writes) until one client's buffer drains. A client that then takes nothing for
 * `stalledClientMs` is disconnected, so a stalled client never holds the children for long; a client
 * that falls behind while others keep up is cut off by its own hard backlog limit.
 */
/** What flow control needs to know of a client. */
export interface FlowClient {
  /** Bytes sent but not yet taken by the peer. */
  readonly backlog: number;
  /** False once the client is being disconnected: it no longer has a say. */
  readonly open: boolean;
}

export class OutputFlowControl<C extends FlowClient> {
  private paused = false;
  private stallTimer: NodeJS.Timeout | null = null;
  private backlogAtPause = new Map<C, number>();

  constructor(
    private readonly setOutputPaused: (paused: boolean) => void,
    private readonly disconnectStalled: (connection: C) => void,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  /** Re-evaluates after a batch was sent or a client left. */
  update(connections: ReadonlySet<C>): void {
    let allBehind = false;
    for (const connection of connections) {
      if (!connection.open) continue;
      if (connection.backlog <= Limits.clientHighWaterBytes) {
        allBehind = false;
        break;
      }
      allBehind = true;
    }
    if (allBehind) this.pause(connections);
    else this.resume();
  }

  /** A client's send buffer emptied: it can take more. */
  drained(): void {
    this.resume();
  }

  dispose(): void {
    this.resume();
  }

  private pause(connections: ReadonlySet<C>): void {
    if (this.paused) return;
    this.paused = true;
    this.setOutputPaused(true);
    this.backlogAtPause = new Map([...connections].map((connection) => [connection, connection.backlog]));
    this.stallTimer = setTimeout(() => this.dropStalled(connections), Limits.stalledClientMs);
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
    this.backlogAtPause.clear();
    this.setOutputPaused(false);
  }

  private dropStalled(connections: ReadonlySet<C>): void {
    this.stallTimer = null;
    for (const [connection, backlog] of this.backlogAtPause) {
      if (connections.has(connection) && connection.open && connection.backlog >= backlog) {
        this.disconnectStalled(connection);
      }
    }
    this.resume();
  }
}
