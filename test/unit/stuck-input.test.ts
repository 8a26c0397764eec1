// The watch over submitted prompts: a prompt the CLI never takes raises the alarm once, after 10 s.
import { describe, expect, it } from 'vitest';
import { STUCK_INPUT_MS, StuckInputWatch, screenExcerpt } from '../../src/agent/session/stuck-input.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('StuckInputWatch', () => {
  it('calls stuck once when no prompt was taken within the time, and not when one was', () => {
    const clock = new FakeClock();
    let stuck = 0;
    const watch = new StuckInputWatch(clock, () => stuck++);
    watch.submitted('fix the bug');
    clock.advance(STUCK_INPUT_MS - 1);
    watch.submitted('again'); // a second submit does not restart the wait
    clock.advance(1);
    expect(stuck).toBe(1);
    clock.advance(STUCK_INPUT_MS * 3);
    expect(stuck).toBe(1);

    watch.submitted('next');
    clock.advance(STUCK_INPUT_MS / 2);
    watch.taken();
    clock.advance(STUCK_INPUT_MS);
    expect(stuck).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });

  it('does not watch slash commands or empty lines, which fire no UserPromptSubmit', () => {
    const clock = new FakeClock();
    const watch = new StuckInputWatch(clock, () => {
      throw new Error('not stuck');
    });
    watch.submitted('/clear');
    watch.submitted('  /init');
    watch.submitted('   ');
    expect(watch.armed).toBe(false);
    clock.advance(STUCK_INPUT_MS * 2);
  });

  it('quotes the last lines with text of the screen, without escape sequences', () => {
    const screen =
      '\x1b[2J\x1b[1;1Hold line\r\n\x1b[1mTry the new fullscreen renderer?\x1b[0m\r\n\r\n❯ 1. Yes\r\n  2. No\r\n';
    expect(screenExcerpt(screen)).toBe('old line\nTry the new fullscreen renderer?\n❯ 1. Yes\n  2. No');
  });
});
