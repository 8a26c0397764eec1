import { describe, expect, it } from 'vitest';
import {
  AnsiStreamStripper,
  incompleteEscapeStart,
  MAX_ESCAPE_CARRY,
  stripAnsi,
} from '../../src/agent/terminal/ansi.js';

const ESC = '\x1b';
const BEL = '\x07';
const ST = `${ESC}\\`;

describe('stripAnsi', () => {
  it('returns text without control characters unchanged (the same string)', () => {
    const text = 'plain ❯ ✻ 😀 漢字 café\ttab\r\nnext';
    expect(stripAnsi(text)).toBe(text);
    expect(stripAnsi('')).toBe('');
  });

  it.each([
    ['SGR colour and reset', `${ESC}[31mred${ESC}[0m`, 'red'],
    ['SGR without parameters', `${ESC}[mx`, 'x'],
    ['256-colour and truecolor SGR', `${ESC}[38;5;208ma${ESC}[38;2;215;119;87mb${ESC}[39m`, 'ab'],
    ['hide/show cursor', `${ESC}[?25lA${ESC}[?25h`, 'A'],
    ['bracketed paste and alternate screen', `${ESC}[?2004h${ESC}[?1049hB${ESC}[?1049l`, 'B'],
    ['cursor movement and erase', `${ESC}[2K${ESC}[1A${ESC}[10;20H${ESC}[GC`, 'C'],
    ['secondary DA with > prefix', `${ESC}[>0qD`, 'D'],
    ['CSI with an intermediate byte (DECSCUSR)', `${ESC}[2 qE`, 'E'],
    ['8-bit CSI', '\x9b1mF', 'F'],
  ])('removes CSI sequences: %s', (_name, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });

  it.each([
    ['window title ended by BEL', `${ESC}]0;✳ Claude Code${BEL}text`, 'text'],
    ['window title ended by ST', `${ESC}]2;title${ST}text`, 'text'],
    ['hyperlink', `${ESC}]8;;https://example.com/a?b=c${ST}link${ESC}]8;;${ST}!`, 'link!'],
    ['8-bit OSC ended by 8-bit ST', '\x9d0;title\x9ctext', 'text'],
    ['DCS', `${ESC}Pq#0;2;0;0;0#0~~${ST}after`, 'after'],
    ['APC and PM', `${ESC}_app${ST}${ESC}^pm${ST}x`, 'x'],
    ['OSC cancelled by the next ESC', `${ESC}]0;cut${ESC}[1mbold`, 'bold'],
  ])('removes string sequences: %s', (_name, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });

  it('ends an unterminated string at a line feed instead of swallowing the rest', () => {
    expect(stripAnsi(`${ESC}]0;no end\nline two\nline three`)).toBe('\nline two\nline three');
  });

  it.each([
    ['save/restore cursor', `${ESC}7a${ESC}8`, 'a'],
    ['keypad modes', `${ESC}=b${ESC}>`, 'b'],
    ['charset selection', `${ESC}(Bc${ESC})0${ESC}#8`, 'c'],
    ['reverse index and reset', `${ESC}Md${ESC}c`, 'd'],
    ['a lone ST', `e${ST}`, 'e'],
  ])('removes other escapes: %s', (_name, input, expected) => {
    expect(stripAnsi(input)).toBe(expected);
  });

  it('removes stray BEL, lone ESC and C1 controls', () => {
    expect(stripAnsi(`a${BEL}b${ESC}`)).toBe('ab');
    expect(stripAnsi(`x${ESC}\u00e9`)).toBe('x\u00e9');
    expect(stripAnsi('n\u0085e\u009cl')).toBe('nel');
  });

  it('keeps prompt, spinner glyphs, emoji, CJK and whitespace controls', () => {
    const frame =
      `${ESC}[2K${ESC}[1A${ESC}[2K${ESC}[G${ESC}[38;2;215;119;87m✻${ESC}[39m ${ESC}[1mBaking…${ESC}[22m\r\n` +
      `${ESC}[2m❯${ESC}[22m 👩‍💻 漢字 é\t|\b`;
    expect(stripAnsi(frame)).toBe('✻ Baking…\r\n❯ 👩‍💻 漢字 é\t|\b');
  });

  it('leaves the digits of a broken CSI as text (only the introducer goes)', () => {
    expect(stripAnsi(`${ESC}[12\nx`)).toBe('12\nx');
  });

  it('runs in linear time on pathological input', () => {
    const inputs = [
      `${ESC}[${'1;'.repeat(250_000)}`,
      `${ESC}]`.repeat(250_000),
      ESC.repeat(500_000),
      `${ESC}${' '.repeat(500_000)}`,
      `\x9b${'9'.repeat(500_000)}`,
      `${ESC}[`.repeat(250_000),
    ];
    for (const input of inputs) {
      const started = performance.now();
      stripAnsi(input);
      incompleteEscapeStart(input);
      // Backtracking blow-ups take minutes on ~0.5 MB; a linear pass takes milliseconds.
      expect(performance.now() - started).toBeLessThan(2_000);
    }
  });
});

describe('incompleteEscapeStart', () => {
  it.each([
    ['lone ESC', `abc${ESC}`, 3],
    ['CSI without final byte', `abc${ESC}[3`, 3],
    ['CSI introducer only', `abc${ESC}[`, 3],
    ['private-mode CSI', `x${ESC}[?25`, 1],
    ['8-bit CSI', 'ab\x9b1;2', 2],
    ['OSC without terminator', `abc${ESC}]0;ti`, 3],
    ['OSC with half an ST', `abc${ESC}]0;title${ESC}`, 3],
    ['charset selection', `x${ESC}(`, 1],
    ['after complete sequences', `${ESC}[1mab${ESC}[`, 6],
  ])('finds the start of %s', (_name, text, index) => {
    expect(incompleteEscapeStart(text)).toBe(index);
  });

  it.each([
    ['plain text', 'abc'],
    ['a complete CSI', `abc${ESC}[31m`],
    ['a complete OSC', `${ESC}]0;t${BEL}`],
    ['an OSC cut at a line feed', `${ESC}]0;t\nx`],
    ['a two-byte escape', `${ESC}7`],
    ['empty text', ''],
  ])('returns -1 for %s', (_name, text) => {
    expect(incompleteEscapeStart(text)).toBe(-1);
  });

  it('looks no further back than maxLength', () => {
    const text = `${ESC}]0;${'t'.repeat(100)}`;
    expect(incompleteEscapeStart(text, 200)).toBe(0);
    expect(incompleteEscapeStart(text, 50)).toBe(-1);
    expect(incompleteEscapeStart(`${'x'.repeat(MAX_ESCAPE_CARRY)}${ESC}[`)).toBe(MAX_ESCAPE_CARRY);
  });
});

describe('AnsiStreamStripper', () => {
  const sample =
    `${ESC}]0;✳ Claude Code${BEL}${ESC}[?25l${ESC}[2K${ESC}[38;2;215;119;87m✻${ESC}[39m Working\r\n` +
    `${ESC}]8;;https://x.test/${ST}link${ESC}]8;;${ST} ${ESC}(B${ESC}7❯ 😀${ESC}8${ESC}[?2004h done`;

  it('gives the same text for every split of a chunk in two', () => {
    const whole = stripAnsi(sample);
    for (let cut = 0; cut <= sample.length; cut++) {
      const stripper = new AnsiStreamStripper();
      const out = stripper.push(sample.slice(0, cut)) + stripper.push(sample.slice(cut)) + stripper.flush();
      expect(out, `cut at ${cut}`).toBe(whole);
    }
  });

  it('gives the same text when fed one character at a time', () => {
    const stripper = new AnsiStreamStripper();
    let out = '';
    for (const ch of sample) out += stripper.push(ch);
    expect(out + stripper.flush()).toBe(stripAnsi(sample));
  });

  it('never shows the content of a title split across chunks', () => {
    const stripper = new AnsiStreamStripper();
    expect(stripper.push(`ok${ESC}]0;`)).toBe('ok');
    expect(stripper.push(`✳ Claude`)).toBe('');
    expect(stripper.push(` Code${BEL}next`)).toBe('next');
  });

  it('flushes a held-back tail stripped as it stands', () => {
    const stripper = new AnsiStreamStripper();
    expect(stripper.push(`a${ESC}[1`)).toBe('a');
    expect(stripper.flush()).toBe('1');
    expect(stripper.flush()).toBe('');
  });

  it('does not hold back more than MAX_ESCAPE_CARRY characters', () => {
    const stripper = new AnsiStreamStripper();
    const long = `${ESC}]0;${'t'.repeat(MAX_ESCAPE_CARRY)}`;
    expect(stripper.push(long)).toBe('');
    expect(stripper.push('visible')).toBe('visible');
  });
});
