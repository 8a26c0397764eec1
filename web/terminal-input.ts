import type { TerminalInputFrame } from '../src/protocol/terminal-frames.js';

/**
 * Typed input a page keeps until the server acknowledges it (characters). Typing while the socket is
 * down queues here and goes out after the reconnect; past this much, more typing is refused (and the
 * page says so) rather than kept without bound or dropped unseen. 64 KiB is a long paste.
 */
export const MAX_UNACKED_INPUT_CHARS = 64 * 1024;

/** Random per page: the server applies each `seq` of it once (crypto.randomUUID needs HTTPS; this does not). */
function randomClientId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** This page as a terminal client: in its input, and in its resizes (it holds the size over reconnects). */
export const PAGE_CLIENT_ID = randomClientId();
/**
 * One counter for the page: every terminal of a session it opens (a tab switched away and back opens
 * a new one) speaks as the same client, so its numbers must keep increasing.
 */
let pageSeq = 0;

interface Pending {
  readonly seq: number;
  readonly data: string;
}

/** The input of one session this page has sent, or will send, and has no acknowledgement for yet. */
export class PendingInput {
  private readonly frames: Pending[] = [];
  private chars = 0;

  /** The frame for `data`, kept until acknowledged; null when it would pass the limit (refused). */
  add(data: string): TerminalInputFrame | null {
    if (this.chars + data.length > MAX_UNACKED_INPUT_CHARS) return null;
    const pending = { seq: pageSeq++, data };
    this.frames.push(pending);
    this.chars += data.length;
    return frameOf(pending);
  }

  /** The server applied everything up to `seq` (frames of one client are applied in order). */
  acknowledged(seq: number): void {
    while (this.frames.length > 0 && (this.frames[0]?.seq ?? Number.POSITIVE_INFINITY) <= seq) {
      this.chars -= this.frames.shift()?.data.length ?? 0;
    }
  }

  /** The server refused the frame `seq` (the session does not take input): it is not resent. */
  refused(seq: number): void {
    const index = this.frames.findIndex((frame) => frame.seq === seq);
    if (index >= 0) this.chars -= this.frames.splice(index, 1)[0]?.data.length ?? 0;
  }

  /** Everything not acknowledged, oldest first: what a new connection sends again. */
  all(): TerminalInputFrame[] {
    return this.frames.map(frameOf);
  }

  /** The number the next frame will have (of this page: shared by its sessions). */
  get nextSeq(): number {
    return pageSeq;
  }

  /** Frames waiting (each is a keystroke or a paste). */
  get count(): number {
    return this.frames.length;
  }
}

function frameOf(pending: Pending): TerminalInputFrame {
  return { type: 'input', data: pending.data, clientId: PAGE_CLIENT_ID, seq: pending.seq };
}

const bySession = new Map<string, PendingInput>();

/**
 * The pending input of a session on this page. It outlives the session's terminal view: typing
 * queued during an outage is still sent when the view is closed and opened again.
 */
export function pendingInputOf(sessionId: string): PendingInput {
  let pending = bySession.get(sessionId);
  if (pending === undefined) {
    pending = new PendingInput();
    bySession.set(sessionId, pending);
  }
  return pending;
}
