/**
 * What a viewer that connects to an agent in tmux is shown: the pane's scrollback and its screen, as
 * tmux holds them. Replaying the tmux client's raw output instead would not do: the client draws on
 * the alternate screen and scrolls with `CSI n S` or whole redraws, so a viewer's terminal keeps no
 * scrollback of it, and a replay cut from a bounded buffer starts in the middle of the client's state.
 * tmux resets its client's region, cursor, modes and attributes after every update
 * (server_client_reset_state), so a screen drawn from a capture, with the cursor where the pane has
 * it, is the state the client's next output expects.
 */

export interface PaneSnapshot {
  /** Lines above the screen, oldest first (wrapped lines joined), CRLF between them; '' when none. */
  readonly history: string;
  readonly historyLines: number;
  /** Draws the screen on a terminal of cols × rows: cleared, each row, then the cursor and its modes. */
  readonly screen: string;
  readonly cols: number;
  readonly rows: number;
  /** The pane shows its alternate screen (a fullscreen program: it leaves tmux no scrollback). */
  readonly alternate: boolean;
}

export interface SnapshotBounds {
  /** Most lines of scrollback. */
  readonly maxLines: number;
  /** Most characters of scrollback (escape sequences included); the oldest lines go first. */
  readonly maxChars: number;
}

/** The pane facts read with the capture, in this order. */
const FORMAT =
  '#{history_size} #{cursor_x} #{cursor_y} #{cursor_flag} #{pane_width} #{pane_height} #{alternate_on}';

const RESET = '\x1b[m';
/** tmux turns on cursor-key and keypad application modes when its client starts (smkx), whatever the pane. */
const CLIENT_KEYPAD = '\x1b[?1h\x1b=';

/**
 * One tmux invocation (so the facts, scrollback and screen are of one moment): the pane facts, a
 * marker, the scrollback with colours and wrapped lines joined, the marker, the screen row by row.
 * `marker` is random per call: no pane can print it by chance.
 */
export function snapshotArgs(target: string, marker: string, maxLines: number): string[] {
  return [
    'display-message',
    '-p',
    '-t',
    target,
    FORMAT,
    ';',
    'display-message',
    '-p',
    marker,
    ';',
    'capture-pane',
    '-p',
    '-e',
    '-J',
    '-S',
    `-${maxLines}`,
    '-E',
    '-1',
    '-t',
    target,
    ';',
    'display-message',
    '-p',
    marker,
    ';',
    'capture-pane',
    '-p',
    '-e',
    '-N',
    '-t',
    target,
  ];
}

/** The scrollback's newest lines that fit in `maxChars`, CRLF between them. */
function boundedHistory(lines: string[], maxChars: number): { text: string; lines: number } {
  let kept = 0;
  let chars = 0;
  for (let index = lines.length - 1; index >= 0; index--) {
    const length = (lines[index] ?? '').length + 2;
    if (chars + length > maxChars) break;
    chars += length;
    kept++;
  }
  const newest = lines.slice(lines.length - kept);
  // Colours run on from line to line in a capture: each end of the history starts from none.
  return { text: kept === 0 ? '' : `${RESET}${newest.join('\r\n')}${RESET}`, lines: kept };
}

/**
 * The snapshot in what `snapshotArgs` printed, or null when it is not that (the pane went away).
 * `bracketedPaste`: whether the client turned bracketed paste on for its terminal (tmux has no format
 * for it; the caller follows the client's output).
 */
export function parseSnapshot(
  stdout: string,
  marker: string,
  bounds: SnapshotBounds,
  bracketedPaste: boolean,
): PaneSnapshot | null {
  const lines = stdout.split('\n');
  const facts = (lines[0] ?? '').split(' ').map(Number);
  const [historySize, cursorX, cursorY, cursorFlag, cols, rows, alternate] = facts;
  if (facts.length !== 7 || facts.some((n) => !Number.isInteger(n) || n < 0) || lines[1] !== marker)
    return null;
  const second = lines.indexOf(marker, 2);
  if (second < 0 || cols === undefined || rows === undefined || cols === 0 || rows === 0) return null;
  // With no scrollback, tmux clamps the range to the screen's first line: not history.
  const history = historySize === 0 ? [] : lines.slice(2, second);
  const screenRows = lines.slice(second + 1, second + 1 + rows);
  const bounded = boundedHistory(history.slice(-bounds.maxLines), bounds.maxChars);
  const parts = [`${RESET}\x1b[H\x1b[2J`];
  screenRows.forEach((row, y) => {
    // Rows are placed, not followed by newlines: a full last row cannot scroll the screen.
    if (row !== '') parts.push(`\x1b[${y + 1};1H${row}${RESET}`);
  });
  parts.push(`\x1b[${(cursorY ?? 0) + 1};${(cursorX ?? 0) + 1}H`);
  parts.push(
    cursorFlag === 1 ? '\x1b[?25h' : '\x1b[?25l',
    CLIENT_KEYPAD,
    bracketedPaste ? '\x1b[?2004h' : '\x1b[?2004l',
  );
  return {
    history: bounded.text,
    historyLines: bounded.lines,
    screen: parts.join(''),
    cols,
    rows,
    alternate: alternate === 1,
  };
}

/** Bracketed paste as the client's output last set it (`on` when it never did: unchanged). */
export function bracketedPasteAfter(chunk: string, on: boolean): boolean {
  const at = Math.max(chunk.lastIndexOf('\x1b[?2004h'), chunk.lastIndexOf('\x1b[?2004l'));
  return at < 0 ? on : chunk[at + 7] === 'h';
}
