import { MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from '../src/protocol/limits.js';

/**
 * The size the selected session's terminal is about to have: its area (beside the transcript pane,
 * when shown) measured in character cells, so the CLI's first screen is drawn for it (the terminal
 * refits later, but a CLI does not always redraw what it printed). `fallback` when nothing is laid out.
 */
export function expectedTerminalSize(fallback = { cols: 120, rows: 36 }): { cols: number; rows: number } {
  const area = document.querySelector<HTMLElement>('#session-view .session-primary');
  if (area === null || area.clientWidth === 0) return fallback;
  const cols = Math.max(40, Math.floor((area.clientWidth - 16) / 7.8));
  const rows = Math.max(10, Math.floor((area.clientHeight - 16) / 17));
  return { cols: Math.min(cols, MAX_TERMINAL_COLS), rows: Math.min(rows, MAX_TERMINAL_ROWS) };
}
