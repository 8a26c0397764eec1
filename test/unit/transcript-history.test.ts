// A fullscreen renderer leaves tmux no scrollback: the viewer's history is drawn from the transcript.
import { describe, expect, it } from 'vitest';
import { SessionTranscript } from '../../src/agent/session/session-transcript.js';
import type { TranscriptEntry } from '../../src/protocol/rest/transcript.js';
import { openingFrames, type ReplayedSession } from '../../src/server/terminal/opening-frames.js';
import { transcriptHistory } from '../../src/server/terminal/transcript-history.js';

const SGR = new RegExp(`${'\x1b'}\\[[0-9;]*m`, 'g');
const strip = (text: string): string => text.replace(SGR, '');

const ENTRIES: TranscriptEntry[] = [
  { seq: 1, ts: 0, turn: 1, kind: 'user', text: 'list the files' },
  { seq: 2, ts: 0, turn: 1, kind: 'tool_use', tool: 'Bash', toolUseId: 't', input: { command: 'ls' } },
  { seq: 3, ts: 0, turn: 1, kind: 'tool_result', toolUseId: 't', output: 'a.txt\nb.txt' },
  { seq: 4, ts: 0, turn: 1, kind: 'assistant', text: 'Two files.' },
  { seq: 5, ts: 0, turn: 2, kind: 'user', text: 'again' },
  { seq: 6, ts: 0, turn: 2, kind: 'error', text: 'API Error: 500' },
];

describe('scrollback from the transcript', () => {
  it('writes prompts, tool calls with results, replies and errors as lines, newest last, bounded', () => {
    const all = transcriptHistory(ENTRIES, { maxLines: 100, maxChars: 100_000 });
    expect(strip(all.data).split('\r\n')).toEqual([
      '',
      '❯ list the files',
      '',
      '● Bash({"command":"ls"})',
      '  ⎿  a.txt',
      '     b.txt',
      '',
      '● Two files.',
      '',
      '❯ again',
      '',
      '⎿  API Error: 500',
    ]);
    expect(all.lines).toBe(12);
    const last = transcriptHistory(ENTRIES, { maxLines: 3, maxChars: 100_000 });
    expect(strip(last.data).split('\r\n')).toEqual(['❯ again', '', '⎿  API Error: 500']);
  });

  it('is sent as history when the pane is on its alternate screen and tmux has none', () => {
    const transcript = new SessionTranscript(100);
    transcript.add(ENTRIES.map(({ seq: _seq, turn: _turn, ...draft }) => draft));
    const session = (alternate: boolean, historyLines: number): ReplayedSession =>
      ({
        terminal: { toString: () => '' },
        terminalSequence: 7,
        terminalHost: 'tmux',
        terminalSize: { cols: 80, rows: 24 },
        isInteractive: true,
        transcript,
        terminalSnapshot: () => ({
          history: historyLines > 0 ? 'tmux line' : '',
          historyLines,
          screen: 'SCREEN',
          cols: 80,
          rows: 24,
          alternate,
        }),
      }) as unknown as ReplayedSession;
    const fullscreen = openingFrames(session(true, 0));
    expect(fullscreen.map((frame) => frame.type)).toEqual(['history', 'replay']);
    expect(strip((fullscreen[0] as { data: string }).data)).toContain('❯ list the files');
    expect(openingFrames(session(false, 0)).map((frame) => frame.type)).toEqual(['replay']);
    expect((openingFrames(session(true, 1))[0] as { data: string }).data).toBe('tmux line');
  });
});
