/**
 * A viewer's terminal reply may arrive cut over two input frames (a terminal's write split by the
 * socket, `attach` forwarding stdin as it reads, an ssh hop): `\x1b` in one frame, `[>0;276;0c` in
 * the next. Each frame filtered on its own lets both halves through (the agent gets an Escape key,
 * then `[>0;276;0c` as text). So the tail of a frame that could begin a reply is held back and put
 * before the next frame, and given to the agent as typed when no next frame comes soon: an Escape
 * key pressed on its own is only a moment late.
 */

/** How long a held tail waits for the rest of its sequence (ms): split writes follow within a few ms. */
export const SPLIT_REPLY_WAIT_MS = 50;

/**
 * A text from ESC on that is the unfinished start of a reply viewer-replies.ts drops: ESC alone, a
 * CSI with parameters but no final byte, a DCS or OSC string not yet ended (or ended only by the ESC
 * of its ST).
 */
const UNFINISHED_REPLY = new RegExp(
  [
    String.raw`^\x1b(?:`,
    String.raw`\[[?>=]?[0-9;]*\$?`,
    String.raw`|P[^\x1b\x07]*\x1b?`,
    String.raw`|\][^\x1b\x07]*\x1b?`,
    ')?$',
  ].join(''),
);

/** Splits `input` into what can go now and the tail to hold (from the first ESC that starts one). */
export function splitUnfinishedReply(input: string): { now: string; held: string } {
  for (let at = input.indexOf('\x1b'); at !== -1; at = input.indexOf('\x1b', at + 1)) {
    if (UNFINISHED_REPLY.test(input.slice(at))) return { now: input.slice(0, at), held: input.slice(at) };
  }
  return { now: input, held: '' };
}

/** One viewer's held tail and its timer. */
export class SplitReplyJoiner {
  private held = '';
  private timer: ReturnType<typeof setTimeout> | null = null;

  /** @param flush gives a tail whose sequence did not go on to the agent as typed. */
  constructor(private readonly flush: (text: string) => void) {}

  /** The frame's text, with any held tail before it; its own unfinished tail is held. */
  take(input: string): string {
    this.cancel();
    const { now, held } = splitUnfinishedReply(this.held + input);
    this.held = held;
    if (held !== '') {
      this.timer = setTimeout(() => {
        this.timer = null;
        const text = this.held;
        this.held = '';
        if (text !== '') this.flush(text);
      }, SPLIT_REPLY_WAIT_MS);
    }
    return now;
  }

  dispose(): void {
    this.cancel();
    this.held = '';
  }

  private cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
