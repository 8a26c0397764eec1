// The pure parts of the terminal as a view: the page's alternate-screen filter (sequences split
// between chunks too), the server's ledger of applied input (its bounds), and the parsing of a tmux
// pane snapshot.
import { describe, expect, it } from 'vitest';
import { bracketedPasteAfter, parseSnapshot } from '../../src/agent/terminal/tmux/pane-snapshot.js';
import { InputLedger } from '../../src/server/terminal/input-ledger.js';
import { ScreenFilter } from '../../web/screen-filter.js';

describe('the alternate-screen filter', () => {
  it('drops 1049, 1047 and 47 and keeps every other private mode', () => {
    const filter = new ScreenFilter();
    expect(filter.apply('a\x1b[?1049hb\x1b[?1047lc\x1b[?47hd')).toBe('abcd');
    expect(filter.apply('\x1b[?25l\x1b[?2004h')).toBe('\x1b[?25l\x1b[?2004h');
    // Several modes in one sequence: only the alternate screen goes.
    expect(filter.apply('\x1b[?1049;25h')).toBe('\x1b[?25h');
    expect(filter.apply('\x1b[?1;1049l')).toBe('\x1b[?1l');
  });

  it('joins a sequence split between chunks, and holds nothing else back', () => {
    const filter = new ScreenFilter();
    expect(filter.apply('text\x1b')).toBe('text');
    expect(filter.apply('[?10')).toBe('');
    expect(filter.apply('49hmore')).toBe('more');
    expect(filter.apply('\x1b[3')).toBe('\x1b[3');
    expect(filter.apply('1mred')).toBe('1mred');
    filter.apply('\x1b[?');
    filter.reset();
    expect(filter.apply('1049h')).toBe('1049h');
  });
});

describe('the ledger of applied input', () => {
  it('knows what was applied per client, forgets the least recent client first, and forgets with time', () => {
    let now = 0;
    const ledger = new InputLedger(2, 1_000, () => now);
    ledger.record('a', 5);
    expect(ledger.applied('a', 5)).toBe(true);
    expect(ledger.applied('a', 4)).toBe(true);
    expect(ledger.applied('a', 6)).toBe(false);
    ledger.record('a', 3);
    expect(ledger.applied('a', 5)).toBe(true);
    ledger.record('b', 1);
    ledger.record('a', 6);
    ledger.record('c', 1);
    expect(ledger.size).toBe(2);
    expect(ledger.applied('b', 1)).toBe(false);
    expect(ledger.applied('a', 6)).toBe(true);
    now = 1_500;
    expect(ledger.applied('c', 1)).toBe(false);
    expect(ledger.size).toBe(0);
  });
});

describe('a tmux pane snapshot', () => {
  const marker = 'claudeman-snapshot-test';
  const bounds = { maxLines: 100, maxChars: 10_000 };

  it('splits the facts, the history and the screen, and draws the screen row by row with the cursor', () => {
    const stdout = [
      '3 4 1 1 10 3 0',
      marker,
      'old 1',
      'old 2',
      '\x1b[31mold 3',
      marker,
      'top',
      'mid',
      '',
      '',
    ].join('\n');
    const snapshot = parseSnapshot(stdout, marker, bounds, true);
    expect(snapshot).toMatchObject({ historyLines: 3, cols: 10, rows: 3, alternate: false });
    expect(snapshot?.history).toBe('\x1b[mold 1\r\nold 2\r\n\x1b[31mold 3\x1b[m');
    expect(snapshot?.screen).toContain('\x1b[1;1Htop\x1b[m\x1b[2;1Hmid\x1b[m');
    expect(snapshot?.screen).toContain('\x1b[2;5H\x1b[?25h');
    expect(snapshot?.screen).toContain('\x1b[?2004h');
  });

  it('has no history when tmux has none, and bounds it by lines and characters', () => {
    const none = parseSnapshot(
      ['0 0 0 1 10 1 1', marker, 'screen line', marker, 'screen line', ''].join('\n'),
      marker,
      bounds,
      false,
    );
    expect(none).toMatchObject({ history: '', historyLines: 0, alternate: true });
    expect(none?.screen).toContain('\x1b[?2004l');
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i}`);
    const many = `9 0 0 1 10 1 0\n${marker}\n${lines.join('\n')}\n${marker}\nx\n`;
    expect(parseSnapshot(many, marker, { maxLines: 10, maxChars: 10_000 }, false)?.historyLines).toBe(10);
    const chars = parseSnapshot(many, marker, { maxLines: 100, maxChars: 40 }, false);
    expect(chars?.historyLines).toBe(4);
    expect(chars?.history).toContain('line 49');
  });

  it('is null for output that is not a snapshot', () => {
    expect(parseSnapshot('', marker, bounds, false)).toBeNull();
    expect(parseSnapshot(`1 2 3\n${marker}\n${marker}\n`, marker, bounds, false)).toBeNull();
    expect(parseSnapshot(`0 0 0 1 10 1 0\nnot the marker\n`, marker, bounds, false)).toBeNull();
  });

  it('follows bracketed paste in the client output', () => {
    expect(bracketedPasteAfter('x\x1b[?2004hy', false)).toBe(true);
    expect(bracketedPasteAfter('\x1b[?2004h\x1b[?2004l', true)).toBe(false);
    expect(bracketedPasteAfter('nothing', true)).toBe(true);
  });
});
