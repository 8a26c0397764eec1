// Terminal replies cut over frames are held until whole (then dropped); anything else goes at once.
import { describe, expect, it } from 'vitest';
import { splitUnfinishedReply } from '../../src/server/terminal/split-replies.js';

describe('splitUnfinishedReply', () => {
  it('holds the unfinished start of a reply and nothing else', () => {
    expect(splitUnfinishedReply('abc\x1b')).toEqual({ now: 'abc', held: '\x1b' });
    expect(splitUnfinishedReply('abc\x1b[>0;27')).toEqual({ now: 'abc', held: '\x1b[>0;27' });
    expect(splitUnfinishedReply('\x1b[?1;2$')).toEqual({ now: '', held: '\x1b[?1;2$' });
    expect(splitUnfinishedReply('x\x1bP>|xterm\x1b')).toEqual({ now: 'x', held: '\x1bP>|xterm\x1b' });
    expect(splitUnfinishedReply('\x1b]11;rgb:00/00')).toEqual({ now: '', held: '\x1b]11;rgb:00/00' });
    // Finished keys and sequences go now.
    for (const text of ['abc', '\x1b[A', '\x1bOP', '\x1b[>0;276;0c', '\x1b[15~', '\x1bb']) {
      expect(splitUnfinishedReply(text)).toEqual({ now: text, held: '' });
    }
  });
});
