import { describe, expect, it } from 'vitest';
import { TerminalScreen } from '../fixtures/fake-claude/screen.js';

/** The small terminal emulator used to read what the (real or fake) Claude Code UI shows. */
describe('TerminalScreen', () => {
  it('prints, returns and feeds lines; CR overwrites', () => {
    const screen = new TerminalScreen(20, 4);
    screen.write('hello\r\nworld\rW');
    expect(screen.lines().slice(0, 2)).toEqual(['hello', 'World']);
    expect(screen.cursor()).toEqual({ x: 1, y: 1 });
  });

  it('keeps cells the program skips with cursor moves (frame diffing)', () => {
    const screen = new TerminalScreen(30, 3);
    screen.write('✻ Cooking… ');
    // The next frame only rewrites what changed: "Sautéed" over "Cooking", then jumps to column 11.
    screen.write('\r\x1b[2CSautéed\x1b[11Gfor 0s');
    expect(screen.lines()[0]).toBe('✻ Sautéed…for 0s');
    screen.write('\r\x1b[10G\x1b[K for 0s');
    expect(screen.lines()[0]).toBe('✻ Sautéed for 0s');
  });

  it('wraps at the right margin only when the next character comes (pending wrap)', () => {
    const screen = new TerminalScreen(5, 3);
    screen.write('abcde');
    expect(screen.cursor()).toEqual({ x: 4, y: 0 });
    screen.write('\r\n');
    expect(screen.lines()).toEqual(['abcde', '', '']);
    screen.write('12345678');
    expect(screen.lines()).toEqual(['abcde', '12345', '678']);
  });

  it('scrolls into history and erases', () => {
    const screen = new TerminalScreen(10, 2);
    screen.write('one\r\ntwo\r\nthree');
    expect(screen.history).toEqual(['one']);
    expect(screen.text()).toBe('two\nthree');
    screen.write('\x1b[2J\x1b[H(no content)');
    expect(screen.lines()).toEqual(['(no conten', 't)']);
    expect(screen.allText()).toContain('one');
  });

  it('skips colours, titles and private modes; handles sequences split across writes', () => {
    const screen = new TerminalScreen(20, 2);
    screen.write('\x1b]0;✳ Claude Code\x07\x1b[?2004h\x1b[38;5;246m❯ \x1b[');
    screen.write('39mtyped');
    expect(screen.lines()[0]).toBe('❯ typed');
  });

  it('restores the main screen after the alternate screen', () => {
    const screen = new TerminalScreen(10, 2);
    screen.write('main');
    screen.write('\x1b[?1049h\x1b[Halt');
    expect(screen.lines()[0]).toBe('alt');
    screen.write('\x1b[?1049l');
    expect(screen.lines()[0]).toBe('main');
  });
});
