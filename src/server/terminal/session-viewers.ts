import type { Session } from '../../agent/session/session.js';
import { TerminalViewLimits } from '../../protocol/terminal-frames.js';
import type { PtySize } from '../../supervisor/spawn/pty-process.js';
import { InputLedger } from './input-ledger.js';

/** What the viewers of a session need of it: its size, to read and to set. */
export type SizedSession = Pick<Session, 'terminalSize' | 'resize'>;

/** One terminal socket as its session's viewers see it. */
export interface Viewer {
  /** The size of its terminal, as its last `resize` frame said (null: none yet). */
  size: PtySize | null;
  /** The client it speaks for, once a frame has said (a page: the same over its reconnects). */
  clientId: string | null;
  /** Tells it the agent's size. */
  sendSize(size: PtySize): void;
}

const sameSize = (a: PtySize, b: PtySize): boolean => a.cols === b.cols && a.rows === b.rows;

/**
 * The viewers of one session and who decides the size of its agent's terminal: the viewer that typed
 * last. Every viewer resizing the agent to its own box made two tabs of different sizes fight, each
 * resize redrawing (and garbling) the other's screen, and a tab merely opened changed what the agent
 * was drawing for (and, through the redraw, what the screen heuristic said it was doing). So a
 * viewer's size is only recorded, and it becomes the agent's when that viewer types. The viewer that
 * did so (the owner; by its client id, also over a reconnect) keeps it through its own resizes, and
 * before anyone has chosen a size the first viewer to report one takes it, so a lone viewer gets a
 * fitted terminal. Every viewer is told the agent's size and draws at it, letterboxed in its box.
 */
export class SessionViewers {
  private readonly viewers = new Set<Viewer>();
  /** Who holds the size: a socket, and the client behind it (kept when the socket goes). */
  private owner: Viewer | null = null;
  private ownerClient: string | null = null;
  /** Whether a viewer has set the size: from then on only typing (or the owner) changes it. */
  private chosen = false;
  /** The size every viewer was last told. */
  private announced: PtySize;
  /** Input sequence numbers applied, per client, for all the session's sockets (a resend comes on a new one). */
  readonly inputs = new InputLedger(TerminalViewLimits.inputClients, TerminalViewLimits.inputClientTtlMs);

  constructor(private readonly session: SizedSession) {
    this.announced = session.terminalSize;
  }

  /** The agent's size now (what a new viewer is told after its replay). */
  get size(): PtySize {
    return this.session.terminalSize;
  }

  join(viewer: Viewer): void {
    this.viewers.add(viewer);
  }

  leave(viewer: Viewer): void {
    this.viewers.delete(viewer);
    if (this.owner === viewer) this.owner = null;
  }

  /** A viewer's `resize`: recorded; applied only for the owner, or the first viewer before any choice. */
  resized(viewer: Viewer, size: PtySize): void {
    viewer.size = size;
    if (!this.chosen) this.own(viewer);
    if (this.owns(viewer)) this.apply(size);
  }

  /** A viewer typed: it takes the size, before its keystrokes reach the agent. */
  typed(viewer: Viewer): void {
    this.own(viewer);
    if (viewer.size !== null) this.apply(viewer.size);
  }

  private own(viewer: Viewer): void {
    this.owner = viewer;
    this.ownerClient = viewer.clientId;
    this.chosen = true;
  }

  /** The owner's socket, or another of the owner's client (it reconnected, or reopened the view). */
  private owns(viewer: Viewer): boolean {
    return viewer === this.owner || (viewer.clientId !== null && viewer.clientId === this.ownerClient);
  }

  /** Tells the viewers of a size set some other way (the REST API, a new run); cheap, called often. */
  sync(): void {
    const size = this.session.terminalSize;
    if (!sameSize(size, this.announced)) this.announce(size);
  }

  private apply(size: PtySize): void {
    if (!sameSize(size, this.session.terminalSize)) this.session.resize(size);
    this.sync();
  }

  private announce(size: PtySize): void {
    this.announced = size;
    for (const viewer of this.viewers) viewer.sendSize(size);
  }
}

/**
 * The viewers of each session, created with its first viewer and gone with the session (a WeakMap:
 * a removed session leaves nothing here). A server restart starts over: the first viewer sizes again.
 */
export class ViewerRegistry {
  private readonly bySession = new WeakMap<SizedSession, SessionViewers>();

  of(session: SizedSession): SessionViewers {
    let viewers = this.bySession.get(session);
    if (viewers === undefined) {
      viewers = new SessionViewers(session);
      this.bySession.set(session, viewers);
    }
    return viewers;
  }
}
