// What a viewer's terminal answers to queries in the screen it draws is dropped from its input; every
// key a person can press gets through.
import { describe, expect, it } from 'vitest';
import { withoutViewerReplies } from '../../src/server/terminal/viewer-replies.js';

describe('withoutViewerReplies', () => {
  it('drops the replies xterm.js and tmux give to device, version, mode and colour queries', () => {
    const replies = [
      '\x1b[?1;2c', // DA1
      '\x1b[>0;276;0c', // DA2 (xterm.js)
      '\x1b[=0c',
      '\x1bP>|xterm.js(6.0.0)\x1b\\', // XTVERSION
      '\x1bP>|tmux 3.3a\x1b\\',
      '\x1bP!|00000000\x1b\\', // DA3
      '\x1bP1$r0m\x1b\\', // DECRQSS
      '\x1bP1+r544e=787465726d\x07', // XTGETTCAP
      '\x1b[?2026;2$y', // DECRPM
      '\x1b[20;1$y',
      '\x1b]11;rgb:1e1e/1e1e/1e1e\x1b\\', // background colour
      '\x1b]4;1;rgb:cd/00/00\x07',
    ];
    for (const reply of replies) expect(withoutViewerReplies(reply), JSON.stringify(reply)).toBe('');
    expect(withoutViewerReplies(`\x1b[>0;276;0c/clear\r`)).toBe('/clear\r');
    expect(withoutViewerReplies(`${replies.join('')}hello\r`)).toBe('hello\r');
  });

  it('keeps every key: arrows, modified arrows, function keys, Alt+letters, pastes', () => {
    const keys = [
      'plain text\r',
      '\x1b[A',
      '\x1b[1;5C',
      '\x1b[15~',
      '\x1bOP',
      '\x1b[1;2R', // Shift+F3 in xterm, not a cursor position report for us
      '\x1bc', // Alt+c
      '\x1b',
      '\x1b[200~pasted\x1b[201~',
      '\x1b[I', // focus in: the agent asked for it
      '\x1b[<0;10;5M', // a mouse click
    ];
    for (const key of keys) expect(withoutViewerReplies(key), JSON.stringify(key)).toBe(key);
  });
});
