/**
 * Leaves the switches to the alternate screen (DEC private modes 1049, 1047 and 47) out of what the
 * page's terminal draws. The tmux client behind a tmux-hosted session draws on the alternate screen,
 * which has no scrollback: there the page could not scroll back at all, and xterm.js turns the mouse
 * wheel into Up/Down keys, which reached Claude Code's prompt as history recall. Drawn on the normal
 * screen, lines that scroll off are kept, and the server's `history` sits above them. A full-screen
 * program in a plain PTY then leaves its last screen behind when it exits instead of the one before
 * it: a page that watches an agent can live with that.
 */
const ESC = '\x1b';
const PRIVATE_MODE = new RegExp(`${ESC}\\[\\?([0-9;]*)([hl])`, 'g');
const ALTERNATE_SCREEN = new Set(['1049', '1047', '47']);
/** The start of a private mode sequence at the end of a chunk: kept for the next one. */
const PARTIAL_TAIL = new RegExp(`${ESC}(?:\\[(?:\\?[0-9;]*)?)?$`);

export class ScreenFilter {
  private carry = '';

  /** `chunk` without alternate-screen switches; a sequence split between chunks is joined first. */
  apply(chunk: string): string {
    let text = this.carry + chunk;
    this.carry = '';
    const partial = PARTIAL_TAIL.exec(text);
    if (partial !== null) {
      this.carry = partial[0];
      text = text.slice(0, partial.index);
    }
    if (!text.includes('\x1b[?')) return text;
    return text.replace(PRIVATE_MODE, (sequence, params: string, end: string) => {
      const modes = params.split(';');
      const kept = modes.filter((mode) => !ALTERNATE_SCREEN.has(mode));
      if (kept.length === modes.length) return sequence;
      return kept.length === 0 ? '' : `\x1b[?${kept.join(';')}${end}`;
    });
  }

  /** A replay starts over: a partial sequence of before it is not continued. */
  reset(): void {
    this.carry = '';
  }
}
