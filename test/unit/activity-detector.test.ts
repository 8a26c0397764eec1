import { describe, expect, it } from 'vitest';
import {
  ActivityDetector,
  type ActivityState,
  DEFAULT_IDLE_AFTER_MS,
  PROMPT_GLYPH,
  SPINNER_GLYPHS,
} from '../../src/agent/terminal/activity-detector.js';
import { FakeClock } from '../helpers/fake-clock.js';

const ESC = '\x1b';
const BEL = '\x07';
/** A prompt line as Claude Code paints it: cursor moves, colours, the glyph. */
const PROMPT_FRAME = `${ESC}[2K${ESC}[G${ESC}[2m${PROMPT_GLYPH}${ESC}[22m ${ESC}[?25h`;

/**
 * Chunks captured from `claude` 2.1.197 in a 100x30 PTY (against a fake API), with the quiet time after
 * each: the finished screen, an echoed keystroke, spinner frames, the working line, the final frame.
 */
const REAL_TURN: ReadonlyArray<{ data: string; thenQuietMs: number }> = [
  {
    data: '\r\u001b[6A\u001b[38;5;244m────\r\u001b[1B\u001b[39m❯ \u001b[7m \r\u001b[2B\u001b[27m  \u001b[38;5;246m? for shortcuts · ← for agents\r\u001b[1B\u001b[39m\u001b[K',
    thenQuietMs: 2_000,
  },
  {
    data: '\u001b[3D\u001b[3B\r\u001b[3C\u001b[3Ae\u001b[7m \u001b[27m\r\r\n\r\n\r\n\u001b[4C\u001b[3A',
    thenQuietMs: 30,
  },
  {
    data: '\u001b[2D\u001b[3B\r\u001b[8A\u001b[38;5;174m✻\u001b[4Gr\u001b[7G\u001b[38;5;216mv\u001b[39m\r\r\n\r\n\r\n\u001b[2C\u001b[3A',
    thenQuietMs: 100,
  },
  {
    data: '\u001b[2D\u001b[3B\r\u001b[5C\u001b[8A\u001b[38;5;216mo\u001b[9G\u001b[38;5;174mn\u001b[13G\u001b[38;5;246m(3s · ↓\u001b[21G2 tokens)\u001b[39m\r\r\n',
    thenQuietMs: 150,
  },
  {
    data: '\u001b[2D\u001b[3B\r\u001b[8A\u001b[38;5;174m✻\u001b[39m\r\r\n\r\n\r\n\r\n\u001b[2C\u001b[3A',
    thenQuietMs: 100,
  },
  {
    data: '\u001b[2D\u001b[3B\u001b[2K\u001b[1A\u001b[2K\u001b[G\u001b[1A\r\u001b[6A\u001b[38;5;246m✻\u001b[3GCrunched for 6s\u001b[39m\u001b[K\r\u001b[1B\u001b[K\r\u001b[1B\u001b[38;5;244m────\r\u001b[1B\u001b[39m❯ \u001b[7m \r\u001b[2B\u001b[27m  \u001b[38;5;246m? for shortcuts · ← for agents\r\u001b[1B\u001b[39m\u001b[K',
    thenQuietMs: 5_000,
  },
];

function setup(idleAfterMs?: number) {
  const clock = new FakeClock(1_000_000);
  const events: Array<{ state: ActivityState; reason: string; at: number }> = [];
  const listener = (state: ActivityState, reason: string) => events.push({ state, reason, at: clock.now() });
  const detector =
    idleAfterMs === undefined
      ? new ActivityDetector(clock, listener)
      : new ActivityDetector(clock, { idleAfterMs }, listener);
  return { clock, events, detector, states: () => events.map((e) => e.state) };
}

describe('ActivityDetector', () => {
  it('starts as working, without an announcement or a timer', () => {
    const { clock, detector, events } = setup();
    expect(detector.state).toBe('working');
    expect(detector.promptSeen).toBe(false);
    expect(detector.lastActivityAt).toBeNull();
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('never goes idle before the prompt has been seen', () => {
    const { clock, detector, events } = setup();
    detector.feed('Welcome to Claude Code\r\n');
    clock.advance(60_000);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('goes idle once the prompt has been seen and the output is quiet for 2 s', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    expect(detector.promptSeen).toBe(true);
    clock.advance(DEFAULT_IDLE_AFTER_MS - 1);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ state: 'idle', reason: 'prompt seen, no output for 2000 ms', at: 1_002_000 }]);
    expect(detector.state).toBe('idle');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(60_000);
    expect(events).toHaveLength(1);
  });

  it('restarts the quiet period on any output', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(1_500);
    detector.feed(`${ESC}[1A`);
    clock.advance(500);
    expect(events).toEqual([]);
    clock.advance(1_499);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events.map((e) => e.at)).toEqual([1_003_500]);
  });

  it('uses one timer for many chunks', () => {
    const { clock, detector } = setup();
    detector.feed(PROMPT_FRAME);
    for (let i = 0; i < 1_000; i++) {
      detector.feed('x');
      clock.advance(1);
      expect(clock.pendingTimers).toBe(1);
    }
  });

  it('counts a prompt seen while working, and keeps it seen', () => {
    const { clock, detector, states } = setup();
    detector.feed('✻ Thinking…');
    detector.feed(`${PROMPT_GLYPH} `);
    detector.feed('✶ Thinking…');
    clock.advance(2_000);
    expect(states()).toEqual(['idle']);
    detector.feed('✻');
    detector.feed('plain output with no prompt');
    clock.advance(2_000);
    expect(states()).toEqual(['idle', 'working', 'idle']);
  });

  it('flips from idle to working immediately on a spinner glyph', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    detector.feed(`${ESC}[2K${ESC}[38;2;215;119;87m✢${ESC}[39m Pondering… (esc to interrupt)`);
    expect(detector.state).toBe('working');
    expect(events[1]).toEqual({ state: 'working', reason: 'spinner glyph ✢ in output', at: 1_002_000 });
    expect(clock.pendingTimers).toBe(1);
    clock.advance(2_000);
    expect(events.map((e) => e.state)).toEqual(['idle', 'working', 'idle']);
  });

  it.each([...SPINNER_GLYPHS])('treats %s as a spinner glyph', (glyph) => {
    const { clock, detector, states } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    detector.feed(glyph);
    expect(states()).toEqual(['idle', 'working']);
  });

  it('does not count * or the · of the idle footer as spinners', () => {
    const { clock, detector, states } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    detector.feed('  ? for shortcuts · ← for agents');
    detector.feed('* bullet');
    expect(SPINNER_GLYPHS).not.toContain('·');
    expect(SPINNER_GLYPHS).not.toContain('*');
    expect(states()).toEqual(['idle']);
  });

  it('follows a turn of the real Claude Code 2.1.197 screen', () => {
    const { clock, detector, events } = setup();
    for (const chunk of REAL_TURN) {
      detector.feed(chunk.data);
      clock.advance(chunk.thenQuietMs);
    }
    expect(events.map((e) => [e.state, e.at - 1_000_000])).toEqual([
      ['idle', 2_000],
      ['working', 2_030],
      ['idle', 2_380 + 2_000],
    ]);
  });

  it('stays idle on echoed typing and cursor movement, without arming a timer', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    for (const chunk of ['h', 'i', `${ESC}[1D`, `${ESC}[K`, ' * - > ❯', '\r\n']) {
      detector.feed(chunk);
      clock.advance(100);
    }
    expect(events.map((e) => e.state)).toEqual(['idle']);
    expect(detector.state).toBe('idle');
    expect(clock.pendingTimers).toBe(0);
    expect(detector.lastActivityAt).toBe(1_002_500);
  });

  it('ignores glyphs inside escape sequences such as the window title', () => {
    const { clock, detector, states } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    detector.feed(`${ESC}]0;✳ Claude Code${BEL}`);
    detector.feed(`${ESC}]0;`);
    detector.feed('✻ Claude Code');
    detector.feed(BEL);
    expect(states()).toEqual(['idle']);
  });

  it('ignores a prompt glyph inside a title', () => {
    const { clock, detector, events } = setup();
    detector.feed(`${ESC}]0;${PROMPT_GLYPH} shell${BEL}`);
    clock.advance(10_000);
    expect(detector.promptSeen).toBe(false);
    expect(events).toEqual([]);
  });

  it('honours idleAfterMs', () => {
    const { clock, detector, events } = setup(500);
    detector.feed(PROMPT_GLYPH);
    clock.advance(499);
    expect(events).toEqual([]);
    clock.advance(1);
    expect(events).toEqual([{ state: 'idle', reason: 'prompt seen, no output for 500 ms', at: 1_000_500 }]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY])('rejects idleAfterMs %s', (idleAfterMs) => {
    expect(() => new ActivityDetector(new FakeClock(), { idleAfterMs }, () => {})).toThrow(/idleAfterMs/);
  });

  it('takes default options when given undefined', () => {
    const clock = new FakeClock();
    const states: ActivityState[] = [];
    const detector = new ActivityDetector(clock, undefined, (state) => states.push(state));
    detector.feed(PROMPT_GLYPH);
    clock.advance(DEFAULT_IDLE_AFTER_MS);
    expect(states).toEqual(['idle']);
  });

  it('records when output last arrived, ignoring empty chunks', () => {
    const { clock, detector } = setup();
    detector.feed('a');
    expect(detector.lastActivityAt).toBe(1_000_000);
    clock.advance(250);
    detector.feed('');
    expect(detector.lastActivityAt).toBe(1_000_000);
    detector.feed(`${ESC}[H`);
    expect(detector.lastActivityAt).toBe(1_000_250);
  });

  it('leaves no timer behind and stays silent after dispose()', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    expect(clock.pendingTimers).toBe(1);
    detector.dispose();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(10_000);
    detector.feed('✻ working');
    detector.feed(PROMPT_FRAME);
    clock.advance(10_000);
    expect(events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    detector.dispose();
  });

  it('markWorking() turns an idle session busy until the next quiet period', () => {
    const { clock, detector, events } = setup();
    detector.feed(PROMPT_FRAME);
    clock.advance(2_000);
    detector.markWorking('prompt submitted');
    expect(events[1]).toEqual({ state: 'working', reason: 'prompt submitted', at: 1_002_000 });
    expect(detector.lastActivityAt).toBe(1_002_000);
    detector.markWorking('again');
    expect(events).toHaveLength(2);
    clock.advance(1_999);
    expect(events).toHaveLength(2);
    clock.advance(1);
    expect(events.map((e) => e.state)).toEqual(['idle', 'working', 'idle']);
    detector.dispose();
    detector.markWorking('after dispose');
    expect(events).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('arms nothing when disposed by its own listener', () => {
    const clock = new FakeClock();
    const detector: ActivityDetector = new ActivityDetector(clock, (state) => {
      if (state === 'working') detector.dispose();
    });
    detector.feed(PROMPT_GLYPH);
    clock.advance(DEFAULT_IDLE_AFTER_MS);
    expect(detector.state).toBe('idle');
    detector.feed('✻');
    expect(detector.state).toBe('working');
    expect(clock.pendingTimers).toBe(0);
  });
});
