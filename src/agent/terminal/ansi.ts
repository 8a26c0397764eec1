/**
 * Removal of terminal control sequences from PTY output, so that text can be searched (the `❯` prompt,
 * spinner glyphs) and JSON lines parsed. Follows ECMA-48 / xterm framing rather than a list of known
 * sequences, so unfamiliar ones are removed too:
 *
 * - CSI: `ESC [` (or 8-bit `0x9b`), parameter bytes 0x30–0x3f (digits, `;`, and the `?`/`>` of private
 *   modes such as `ESC[?25l`), intermediate bytes 0x20–0x2f, one final byte 0x40–0x7e (SGR `m` etc.).
 * - Strings: OSC `ESC ]` (window titles, `ESC]8;;url ESC\` hyperlinks), DCS `ESC P`, SOS `ESC X`,
 *   PM `ESC ^`, APC `ESC _` (or their 8-bit forms), ended by BEL, ST (`ESC \` or `0x9c`), or, as in a
 *   terminal, cut short by the next ESC. An unterminated string also ends at a line feed, so a stray
 *   `ESC ]` cannot swallow the rest of a buffer.
 * - Other escapes: `ESC` + intermediates + final (charset selection `ESC(B`, `ESC#8`), and two-byte
 *   `ESC 7`, `ESC =`, `ESC M`, `ESC c`.
 * - Strays: a lone ESC, BEL, and C1 controls (U+0080–U+009F).
 *
 * Every other character is kept: `\t`, `\r`, `\n`, `\b`, and all printable text (emoji, CJK, `❯`).
 * The patterns have no nested or overlapping quantifiers, so matching is linear in the input.
 *
 * This is not a screen model: Claude Code's UI moves the cursor (`ESC[nG`, `ESC[nC`) where a plain
 * program would print spaces, so its stripped output reads `Tipsforgettingstarted`. That is fine for
 * searching for glyphs and parsing JSON lines, not for showing the text of a full-screen session.
 */

/** CSI: introducer, parameter bytes, intermediate bytes, final byte. */
const CSI = String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]`;
/** A CSI that has not reached its final byte yet. */
const CSI_OPEN = String.raw`(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*`;
/** Introducers of OSC, DCS, SOS, PM and APC strings, 7-bit and 8-bit. */
const STRING_START = String.raw`(?:\x1b[\]PX^_]|[\x90\x98\x9d-\x9f])`;
/** String contents: up to a terminator, the next ESC (which cancels the string) or a line feed. */
const STRING_BODY = String.raw`[^\x07\x1b\x9c\n]*`;
/** BEL or ST, optional: a string cut short by ESC or a line feed ends without one. */
const STRING_END = String.raw`(?:\x07|\x1b\\|\x9c)?`;
/** `ESC (B`, `ESC #8`: intermediates then a final byte. */
const NF_ESCAPE = String.raw`\x1b[\x20-\x2f]+[\x30-\x7e]`;
/** `ESC 7`, `ESC =`, `ESC M`, `ESC c`, a lone ST, and the ESC of a broken CSI or string. */
const TWO_BYTE_ESCAPE = String.raw`\x1b[\x30-\x7e]`;
/** What is left: a lone ESC, BEL, C1 controls. */
const STRAY = String.raw`[\x07\x1b\x80-\x9f]`;

/** One alternative per sequence family, tried in this order at each position. */
const ANSI_PATTERN = new RegExp(
  `${CSI}|${STRING_START}${STRING_BODY}${STRING_END}|${NF_ESCAPE}|${TWO_BYTE_ESCAPE}|${STRAY}`,
  'g',
);

/** Characters that can start something to remove; text without any is returned as is, unallocated. */
const CONTROL_PRESENT = new RegExp(STRAY);

/**
 * A sequence that has begun at the end of the text but not finished: ESC alone or with intermediates,
 * a CSI without its final byte, a string without its terminator (possibly with the ESC of `ESC \`
 * already there). Anchored at the end; each attempt stops at the next ESC or line feed, so a search
 * stays linear.
 */
const INCOMPLETE_TAIL = new RegExp(
  String.raw`(?:${CSI_OPEN}|${STRING_START}${STRING_BODY}\x1b?|\x1b[\x20-\x2f]*)$`,
);

/**
 * Longest unfinished sequence held back between chunks (UTF-16 code units). Titles and hyperlink URLs
 * fit easily; anything longer is not a sequence worth waiting for and is stripped as it stands.
 */
export const MAX_ESCAPE_CARRY = 4096;

/** Returns `text` without terminal control sequences (see the module comment for what is removed). */
export function stripAnsi(text: string): string {
  if (!CONTROL_PRESENT.test(text)) return text;
  return text.replace(ANSI_PATTERN, '');
}

/**
 * Index where an unfinished escape sequence starts at the end of `text`, or -1 when the text ends
 * cleanly. Only the last `maxLength` characters are examined.
 */
export function incompleteEscapeStart(text: string, maxLength = MAX_ESCAPE_CARRY): number {
  const from = Math.max(0, text.length - maxLength);
  const match = INCOMPLETE_TAIL.exec(from === 0 ? text : text.slice(from));
  return match === null ? -1 : from + match.index;
}

/**
 * Strips a stream whose chunks may split an escape sequence (a PTY read can end anywhere): the
 * unfinished tail of one chunk is held back and prefixed to the next.
 */
export class AnsiStreamStripper {
  #carry = '';

  /** Returns the stripped text of `chunk` up to any unfinished sequence at its end. */
  push(chunk: string): string {
    const text = this.#carry === '' ? chunk : this.#carry + chunk;
    const cut = incompleteEscapeStart(text);
    if (cut === -1) {
      this.#carry = '';
      return stripAnsi(text);
    }
    this.#carry = text.slice(cut);
    return stripAnsi(text.slice(0, cut));
  }

  /** Ends the stream: whatever was held back is stripped as it stands and returned. */
  flush(): string {
    const rest = stripAnsi(this.#carry);
    this.#carry = '';
    return rest;
  }
}
