import type { TranscriptEntry } from '../../protocol/rest/transcript.js';

/**
 * A scrollback drawn from the transcript, for an agent whose terminal keeps none: Claude Code's
 * fullscreen renderer draws on the alternate screen, so tmux holds no history and a viewer that
 * connects (or a server restarted since) would see only the current screen. What was said and done
 * is in the transcript; it is written as plain lines above the screen, in the CLI's own style.
 */

const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[m';
/** Lines kept of one tool result or long text: the gist, not a dump. */
const MAX_LINES_PER_ENTRY = 12;

function linesOf(text: string, prefix: string, rest: string): string[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const kept = lines.slice(0, MAX_LINES_PER_ENTRY).map((line, i) => `${i === 0 ? prefix : rest}${line}`);
  if (lines.length > MAX_LINES_PER_ENTRY)
    kept.push(`${rest}${DIM}… ${lines.length - MAX_LINES_PER_ENTRY} more lines${RESET}`);
  return kept;
}

function entryLines(entry: TranscriptEntry): string[] {
  switch (entry.kind) {
    case 'user':
      return ['', ...linesOf(entry.text ?? '', '❯ ', '  ')];
    case 'assistant':
      return ['', ...linesOf(entry.text ?? '', '● ', '  ')];
    case 'tool_use': {
      const input = entry.input === undefined ? '' : JSON.stringify(entry.input);
      const shown = input.length > 200 ? `${input.slice(0, 200)}…` : input;
      return ['', `● ${entry.tool ?? 'tool'}(${shown})`];
    }
    case 'tool_result':
      return linesOf(entry.output ?? '', `  ${DIM}⎿  `, `     `).map((line) => `${line}${RESET}`);
    case 'error':
      return ['', ...linesOf(entry.text ?? '', `${RED}⎿  `, '   ').map((line) => `${line}${RESET}`)];
    case 'system':
      return [`${DIM}${entry.text ?? ''}${RESET}`];
  }
}

/** The transcript as scrollback lines (newest last), at most `maxLines` and `maxChars`. */
export function transcriptHistory(
  entries: readonly TranscriptEntry[],
  bounds: { readonly maxLines: number; readonly maxChars: number },
): { data: string; lines: number } {
  const all = entries.flatMap(entryLines);
  const kept: string[] = [];
  let chars = 0;
  for (let i = all.length - 1; i >= 0 && kept.length < bounds.maxLines; i--) {
    const line = all[i] ?? '';
    if (chars + line.length + 2 > bounds.maxChars) break;
    chars += line.length + 2;
    kept.push(line);
  }
  kept.reverse();
  return { data: kept.length === 0 ? '' : `${RESET}${kept.join('\r\n')}${RESET}`, lines: kept.length };
}
