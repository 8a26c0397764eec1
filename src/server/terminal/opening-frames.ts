import type { Session } from '../../agent/session/session.js';
import { type TerminalServerFrame, TerminalViewLimits } from '../../protocol/terminal-frames.js';
import { transcriptHistory } from './transcript-history.js';

export type ReplayedSession = Pick<
  Session,
  | 'terminal'
  | 'terminalSequence'
  | 'terminalHost'
  | 'terminalSize'
  | 'terminalSnapshot'
  | 'isInteractive'
  | 'transcript'
>;

/** After the last output this long, a session in tmux is taken as quiet enough to capture (ms). */
const QUIET_MS = 30;
/** Longest wait for quiet before capturing anyway (ms): a connect is never held up longer. */
const MAX_QUIET_WAIT_MS = 250;
/** How often the wait looks again (ms). */
const QUIET_POLL_MS = 10;

/** Whether the opening of a viewer is taken from tmux (then a moment without output is waited for). */
export function capturesFromTmux(session: ReplayedSession): boolean {
  return session.terminalHost === 'tmux' && session.isInteractive;
}

/**
 * Resolves once the session has been quiet for QUIET_MS, or after MAX_QUIET_WAIT_MS. A capture taken
 * while the agent prints may already hold a change whose output is still on its way to us; that
 * output, sent after the capture, would then be applied twice (a scroll done twice shifts the
 * screen until the agent next redraws it).
 */
export function untilQuiet(
  session: Pick<Session, 'lastActivityAt'>,
  now: () => number = Date.now,
): Promise<void> {
  const deadline = now() + MAX_QUIET_WAIT_MS;
  return new Promise((resolve) => {
    const look = (): void => {
      const time = now();
      if (time - session.lastActivityAt >= QUIET_MS || time >= deadline) resolve();
      else setTimeout(look, QUIET_POLL_MS);
    };
    look();
  });
}

/**
 * What a viewer is sent first: for an agent in tmux, its scrollback (`history`) and its screen, from
 * tmux (see pane-snapshot.ts); for a plain PTY, the buffered output, which holds the scrollback
 * itself. Both replays carry the size they were drawn at. Taken synchronously, so `seq` is exactly
 * the output the replay holds.
 */
export function openingFrames(session: ReplayedSession): TerminalServerFrame[] {
  const snapshot = session.terminalSnapshot({
    maxLines: TerminalViewLimits.historyLines,
    maxChars: TerminalViewLimits.historyChars,
  });
  const seq = session.terminalSequence;
  if (snapshot === null) {
    const { cols, rows } = session.terminalSize;
    return [{ type: 'replay', seq, data: session.terminal.toString(), cols, rows }];
  }
  const frames: TerminalServerFrame[] = [];
  if (snapshot.historyLines > 0) {
    frames.push({ type: 'history', data: snapshot.history, lines: snapshot.historyLines });
  } else if (snapshot.alternate) {
    // A fullscreen renderer leaves tmux no scrollback: the transcript tells what scrolled away.
    const bounds = { maxLines: TerminalViewLimits.historyLines, maxChars: TerminalViewLimits.historyChars };
    const { entries } = session.transcript.page(0, Number.MAX_SAFE_INTEGER);
    const drawn = transcriptHistory(entries, bounds);
    if (drawn.lines > 0) frames.push({ type: 'history', data: drawn.data, lines: drawn.lines });
  }
  frames.push({
    type: 'replay',
    seq,
    data: snapshot.screen,
    cols: snapshot.cols,
    rows: snapshot.rows,
    snapshot: true,
  });
  return frames;
}
