import { describe, expect, it } from 'vitest';
import {
  DURATION_LIMIT_REASON,
  HOOK_IDLE_CONFIRM_MS,
  type RespawnTarget,
  STEP_TIMEOUT_MS,
  STOP_REQUESTED_REASON,
} from '../../src/agent/respawn/respawn-contract.js';
import { RespawnController } from '../../src/agent/respawn/respawn-controller.js';
import type {
  ActivitySource,
  SessionSignal,
  SessionSignalListener,
} from '../../src/agent/session/session-signals.js';
import type { RespawnEvent } from '../../src/protocol/events.js';
import { DEFAULT_RESPAWN_CONFIG, type RespawnConfig } from '../../src/protocol/rest/respawn.js';
import { FakeClock } from '../helpers/fake-clock.js';

const SESSION_ID = '11111111-2222-4333-8444-555555555555';
const IDLE_MS = DEFAULT_RESPAWN_CONFIG.idleTimeoutMs;
const STEP_DELAY_MS = DEFAULT_RESPAWN_CONFIG.interStepDelayMs;

/** A session as the controller sees it, driven by the test. */
class FakeTarget implements RespawnTarget {
  isInteractive = true;
  isIdle = false;
  limitedUntil: number | null = null;
  readonly submitted: string[] = [];
  readonly listeners = new Set<SessionSignalListener>();
  /** Like Session: submitting marks a heuristically idle session working, synchronously. */
  markWorkingOnSubmit = true;
  failSubmit: string | null = null;
  private heuristicIdle = false;

  submitLine(text: string): { ok: true } | { ok: false; message: string } {
    if (this.failSubmit !== null) return { ok: false, message: this.failSubmit };
    this.submitted.push(text);
    if (this.markWorkingOnSubmit && this.heuristicIdle) this.working('heuristic');
    return { ok: true };
  }

  onSignal(listener: SessionSignalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  signal(signal: SessionSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }

  idle(source: ActivitySource = 'heuristic'): void {
    if (source === 'heuristic') this.heuristicIdle = true;
    this.signal({ kind: 'idle', source, reason: 'test' });
  }

  working(source: ActivitySource = 'heuristic'): void {
    if (source === 'heuristic') this.heuristicIdle = false;
    this.signal({ kind: 'working', source, reason: 'test' });
  }

  output(chunk: string): void {
    this.signal({ kind: 'output', chunk });
  }

  exit(code: number | null, signal: string | null = null): void {
    this.signal({ kind: 'exit', code, signal });
  }
}

function setup(config: Partial<RespawnConfig> = {}) {
  const clock = new FakeClock();
  const target = new FakeTarget();
  const events: RespawnEvent[] = [];
  const controller = new RespawnController({
    sessionId: SESSION_ID,
    target,
    clock,
    config: { ...DEFAULT_RESPAWN_CONFIG, ...config },
    publish: (event) => events.push(event),
  });
  /** The events since the last call, as short strings (logs as `log:<level>`). */
  const taken = (): string[] => events.splice(0).map(describeEvent);
  return { clock, target, events, controller, taken };
}

function describeEvent(event: RespawnEvent): string {
  switch (event.kind) {
    case 'respawn:stateChanged':
      return `state ${event.data.from}>${event.data.to}`;
    case 'respawn:cycleStarted':
    case 'respawn:cycleCompleted':
      return `${event.kind.slice('respawn:'.length)} ${event.data.cycleNumber}`;
    case 'respawn:stepSent':
    case 'respawn:stepCompleted':
      return `${event.kind.slice('respawn:'.length)} ${event.data.step}`;
    case 'respawn:log':
      return `log:${event.data.level}`;
    case 'respawn:stopped':
      return `stopped ${event.data.reason}`;
    default:
      return event.kind.slice('respawn:'.length);
  }
}

/** Runs the cycle's three steps from `sending_update` (the idle confirmation already fired). */
function runSteps(h: ReturnType<typeof setup>): void {
  h.clock.advance(STEP_DELAY_MS);
  h.target.output('\u2733 Thinking…');
  h.target.output('● Done\r\n\u276f ');
  h.target.idle();
  h.clock.advance(STEP_DELAY_MS);
  h.target.output('\x1b[2J(no content)\r\n\u276f ');
  h.target.idle();
  h.clock.advance(STEP_DELAY_MS);
  h.target.output('\u2733 Thinking…');
  h.target.output('● Created CLAUDE.md\r\n\u276f ');
  h.target.idle();
}

describe('RespawnController: a full cycle', () => {
  it('goes watching → update → clear → init → watching with the exact events', () => {
    const h = setup();
    expect(h.controller.start()).toEqual({ ok: true });
    expect(h.taken()).toEqual(['state stopped>watching', 'started']);
    expect(h.events).toEqual([]);

    h.target.idle();
    h.clock.advance(IDLE_MS - 1);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(1);
    expect(h.taken()).toEqual(['cycleStarted 1', 'log:info', 'state watching>sending_update']);
    expect(h.target.submitted).toEqual([]);

    h.clock.advance(STEP_DELAY_MS - 1);
    expect(h.target.submitted).toEqual([]);
    h.clock.advance(1);
    expect(h.target.submitted).toEqual([DEFAULT_RESPAWN_CONFIG.updatePrompt]);
    expect(h.taken()).toEqual(['stepSent update', 'state sending_update>waiting_update']);

    h.target.output('\u2733 Thinking…');
    h.target.idle();
    expect(h.taken()).toEqual(['stepCompleted update', 'state waiting_update>sending_clear']);

    h.clock.advance(STEP_DELAY_MS);
    expect(h.target.submitted.at(-1)).toBe('/clear');
    expect(h.taken()).toEqual(['stepSent clear', 'state sending_clear>waiting_clear']);
    h.target.output('\x1b[2J(no content)\r\n\u276f ');
    h.target.idle();
    expect(h.taken()).toEqual(['stepCompleted clear', 'state waiting_clear>sending_init']);

    h.clock.advance(STEP_DELAY_MS);
    expect(h.target.submitted.at(-1)).toBe('/init');
    expect(h.taken()).toEqual(['stepSent init', 'state sending_init>waiting_init']);
    h.target.output('● Created CLAUDE.md');
    h.target.idle();
    expect(h.taken()).toEqual(['stepCompleted init', 'cycleCompleted 1', 'state waiting_init>watching']);

    const status = h.controller.status();
    expect(status).toMatchObject({ state: 'watching', cycleCount: 1, enabled: true, stopReason: null });
    expect(h.target.submitted).toEqual([DEFAULT_RESPAWN_CONFIG.updatePrompt, '/clear', '/init']);
  });

  it('repeats: still idle after a cycle, the next one starts after another idle timeout', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS);
    runSteps(h);
    expect(h.controller.state).toBe('watching');
    h.taken();
    h.clock.advance(IDLE_MS);
    expect(h.taken()).toEqual(['cycleStarted 2', 'log:info', 'state watching>sending_update']);
  });

  it('starts confirming at once when the session is already idle at start', () => {
    const h = setup();
    h.target.isIdle = true;
    h.controller.start();
    h.clock.advance(IDLE_MS);
    expect(h.controller.state).toBe('sending_update');
  });

  it('types each step with submitLine (text, then Enter separately) and waits interStepDelayMs before it', () => {
    const h = setup({ interStepDelayMs: 0, updatePrompt: 'please update' });
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS);
    h.clock.advance(0);
    expect(h.target.submitted).toEqual(['please update']);
  });
});

describe('RespawnController: idle confirmation', () => {
  it('output during the confirmation restarts it: the cycle starts idleTimeoutMs after the last output', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(3_000);
    h.target.output('x');
    h.clock.advance(IDLE_MS - 1);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(1);
    expect(h.controller.state).toBe('sending_update');
  });

  it('a working signal during the confirmation cancels it until the next idle', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(1_000);
    h.target.working();
    expect(h.taken()).toEqual(['state stopped>watching', 'started', 'log:debug']);
    expect(h.clock.pendingTimers).toBe(0);
    h.clock.advance(IDLE_MS * 10);
    expect(h.controller.state).toBe('watching');
    h.target.output('more work');
    h.clock.advance(IDLE_MS * 10);
    expect(h.controller.state).toBe('watching');
    h.target.idle();
    h.clock.advance(IDLE_MS);
    expect(h.controller.state).toBe('sending_update');
  });

  it('output while working (no confirmation running) starts nothing', () => {
    const h = setup();
    h.controller.start();
    h.target.output('\u2733 Thinking…');
    h.clock.advance(IDLE_MS * 3);
    expect(h.controller.state).toBe('watching');
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('a hook idle waits the full idleTimeoutMs too (a Stop hook after every turn must not start a cycle at once)', () => {
    const h = setup({ idleTimeoutMs: 30_000 });
    h.controller.start();
    h.target.idle('hook');
    h.clock.advance(29_999);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(1);
    expect(h.controller.state).toBe('sending_update');
  });

  it('a hook idle waits at least HOOK_IDLE_CONFIRM_MS, so typing does not race the repaint', () => {
    const h = setup({ idleTimeoutMs: 100 });
    h.controller.start();
    h.target.idle('hook');
    h.clock.advance(HOOK_IDLE_CONFIRM_MS - 1);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(1);
    expect(h.controller.state).toBe('sending_update');
  });

  it('a second idle verdict does not lengthen a running confirmation; output after a hook idle restarts it', () => {
    const h = setup();
    h.controller.start();
    h.target.idle('hook');
    h.clock.advance(1_000);
    h.target.idle('heuristic');
    h.clock.advance(IDLE_MS - 1_000);
    expect(h.controller.state).toBe('sending_update');

    const g = setup();
    g.controller.start();
    g.target.idle('hook');
    g.clock.advance(IDLE_MS - 1);
    g.target.output('the prompt repainted');
    g.clock.advance(IDLE_MS - 1);
    expect(g.controller.state).toBe('watching');
    g.clock.advance(1);
    expect(g.controller.state).toBe('sending_update');
  });
});

describe('RespawnController: step completion', () => {
  it('an idle before any work since the send does not complete update (a stale verdict)', () => {
    const h = setup();
    h.target.markWorkingOnSubmit = false;
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    expect(h.controller.state).toBe('waiting_update');
    h.target.idle();
    expect(h.controller.state).toBe('waiting_update');
    h.target.working();
    h.target.idle();
    expect(h.controller.state).toBe('sending_clear');
  });

  it('a hook idle completes a step at once (a Stop hook fires only when a turn ended)', () => {
    const h = setup();
    h.target.markWorkingOnSubmit = false;
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    h.target.idle('hook');
    expect(h.controller.state).toBe('sending_clear');
  });

  it('/clear completes on its prompt followed by idleTimeoutMs of quiet, without any idle signal', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    h.target.idle();
    h.clock.advance(STEP_DELAY_MS);
    expect(h.controller.state).toBe('waiting_clear');
    h.target.output('\x1b[2J(no content)\r\n');
    h.clock.advance(IDLE_MS * 2);
    expect(h.controller.state).toBe('waiting_clear');
    h.target.output('\u276f ');
    h.clock.advance(IDLE_MS - 1);
    h.target.output('\x1b[?25h');
    h.clock.advance(IDLE_MS - 1);
    expect(h.controller.state).toBe('waiting_clear');
    h.clock.advance(1);
    expect(h.controller.state).toBe('sending_init');
  });

  it('/clear without a spinner: idle after output completes it', () => {
    const h = setup();
    h.target.markWorkingOnSubmit = false;
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    h.target.working();
    h.target.idle();
    h.clock.advance(STEP_DELAY_MS);
    h.target.idle();
    expect(h.controller.state).toBe('waiting_clear');
    h.target.output('(no content)');
    h.target.idle();
    expect(h.controller.state).toBe('sending_init');
  });

  it('a heuristic that never said idle since the last step counts as working: its next idle completes', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    // The update's turn ends by a hook; the heuristic is still in its quiet period (working).
    h.target.working();
    h.target.idle('hook');
    h.clock.advance(STEP_DELAY_MS);
    // /clear ends on its quiet prompt; the heuristic has still not announced idle.
    h.target.output('(no content)\r\n\u276f ');
    h.clock.advance(IDLE_MS);
    h.clock.advance(STEP_DELAY_MS);
    expect(h.controller.state).toBe('waiting_init');
    // No "working" can come from the heuristic now (it is working already): its idle ends /init.
    h.target.output('● Created CLAUDE.md');
    h.target.idle();
    expect(h.controller.state).toBe('watching');
  });

  it(`a step that does not finish within ${STEP_TIMEOUT_MS / 60_000} min is logged at warn; the cycle is abandoned`, () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    h.taken();
    h.clock.advance(STEP_TIMEOUT_MS - 1);
    expect(h.controller.state).toBe('waiting_update');
    h.clock.advance(1);
    const logged = h.events.find((e) => e.kind === 'respawn:log');
    expect(logged?.data).toMatchObject({ level: 'warn' });
    expect(h.taken()).toEqual(['log:warn', 'state waiting_update>watching']);
    // Still working (stuck): nothing more is typed until the session is idle again.
    expect(h.clock.pendingTimers).toBe(0);
    h.target.idle();
    h.clock.advance(IDLE_MS);
    expect(h.taken()).toEqual(['cycleStarted 2', 'log:info', 'state watching>sending_update']);
  });
});

describe('RespawnController: the session ends', () => {
  it('an exit during a step stops it with the reason, a respawn:log at error level, no timer left', () => {
    const h = setup({ durationLimitMs: 3_600_000 });
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    expect(h.controller.state).toBe('waiting_update');
    h.taken();
    h.target.exit(2);
    expect(h.taken()).toEqual([
      'log:error',
      'state waiting_update>stopped',
      'stopped the session exited with code 2',
    ]);
    expect(h.controller.status()).toMatchObject({
      state: 'stopped',
      enabled: false,
      stopReason: 'the session exited with code 2',
    });
    expect(h.clock.pendingTimers).toBe(0);
    expect(h.target.listeners.size).toBe(0);
  });

  it('an exit by a signal while watching stops it, logged at warn', () => {
    const h = setup();
    h.controller.start();
    h.taken();
    h.target.exit(null, 'SIGKILL');
    expect(h.taken()).toEqual([
      'log:warn',
      'state watching>stopped',
      'stopped the session exited on SIGKILL',
    ]);
  });

  it('a refused submit (the session is no longer interactive) stops it at error level', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS);
    h.target.failSubmit = 'session is not running interactively';
    h.clock.advance(STEP_DELAY_MS);
    expect(h.controller.state).toBe('stopped');
    expect(h.controller.status().stopReason).toBe(
      'could not send the update step: session is not running interactively',
    );
    expect(h.events.some((e) => e.kind === 'respawn:log' && e.data.level === 'error')).toBe(true);
    expect(h.clock.pendingTimers).toBe(0);
  });

  it('refuses to start on a session that is not interactive; a controller starts only once', () => {
    const h = setup();
    h.target.isInteractive = false;
    expect(h.controller.start()).toMatchObject({ ok: false, code: 'NOT_INTERACTIVE' });
    expect(h.events).toEqual([]);
    h.target.isInteractive = true;
    h.controller.start();
    expect(() => h.controller.start()).toThrow(/only once/);
  });
});

describe('RespawnController: duration limit', () => {
  it('stops a watching controller when the limit passes', () => {
    const h = setup({ durationLimitMs: 60_000 });
    h.controller.start();
    h.taken();
    h.clock.advance(59_999);
    expect(h.controller.isRunning).toBe(true);
    h.clock.advance(1);
    expect(h.taken()).toEqual([
      'log:info',
      'state watching>stopped',
      `stopped ${DURATION_LIMIT_REASON} (60000 ms)`,
    ]);
    expect(h.controller.status().stopReason).toMatch(new RegExp(`^${DURATION_LIMIT_REASON}`));
  });

  it('mid-cycle, lets the cycle finish first (a session is never left cleared without /init)', () => {
    const h = setup({ durationLimitMs: IDLE_MS + STEP_DELAY_MS + 1 });
    h.controller.start();
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS + 1);
    expect(h.controller.state).toBe('waiting_update');
    h.taken();
    h.target.working();
    h.target.idle();
    h.clock.advance(STEP_DELAY_MS);
    h.target.output('(no content)');
    h.target.idle();
    h.clock.advance(STEP_DELAY_MS);
    h.target.idle();
    expect(h.taken()).toEqual([
      'stepCompleted update',
      'state waiting_update>sending_clear',
      'stepSent clear',
      'state sending_clear>waiting_clear',
      'stepCompleted clear',
      'state waiting_clear>sending_init',
      'stepSent init',
      'state sending_init>waiting_init',
      'stepCompleted init',
      'cycleCompleted 1',
      'log:info',
      'state waiting_init>stopped',
      `stopped ${DURATION_LIMIT_REASON} (${IDLE_MS + STEP_DELAY_MS + 1} ms)`,
    ]);
    expect(h.clock.pendingTimers).toBe(0);
  });
});

describe('RespawnController: config updates', () => {
  it('applies a partial config, emits configUpdated, and refuses invalid values without changing anything', () => {
    const h = setup();
    h.controller.start();
    h.taken();
    const updated = h.controller.updateConfig({ updatePrompt: 'write the changelog' });
    expect(updated).toMatchObject({ ok: true, config: { updatePrompt: 'write the changelog' } });
    expect(h.controller.config).toEqual({ ...DEFAULT_RESPAWN_CONFIG, updatePrompt: 'write the changelog' });
    expect(h.events.map((e) => e.kind)).toEqual(['respawn:configUpdated']);
    expect(h.events[0]?.data).toEqual({ config: h.controller.config });
    h.taken();

    for (const bad of [
      { idleTimeoutMs: 5 },
      { idleTimeoutMs: 'soon' },
      { updatePrompt: '' },
      { interStepDelayMs: -1 },
      { enabled: 'yes' },
      { durationLimitMs: 10 },
      { idleTimeout: 500 },
      null,
      [],
    ]) {
      const result = h.controller.updateConfig(bad);
      expect(result.ok, JSON.stringify(bad)).toBe(false);
      if (!result.ok) expect(result.message).toMatch(/respawn config/);
    }
    expect(h.controller.updateConfig({ idleTimeoutMs: 5 })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/idleTimeoutMs .*5 \(number\)/),
    });
    expect(h.controller.updateConfig({ idleTimeout: 5 })).toMatchObject({
      message: expect.stringMatching(/unknown option "idleTimeout"/),
    });
    expect(h.events).toEqual([]);
    expect(h.controller.config.updatePrompt).toBe('write the changelog');
    expect(Object.isFrozen(h.controller.config)).toBe(true);
  });

  it('the new prompt is what the next cycle types', () => {
    const h = setup();
    h.controller.start();
    h.controller.updateConfig({ updatePrompt: 'summarise progress in NOTES.md' });
    h.target.idle();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    expect(h.target.submitted).toEqual(['summarise progress in NOTES.md']);
  });

  it('a new idleTimeoutMs re-arms a running confirmation', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.clock.advance(1_000);
    h.controller.updateConfig({ idleTimeoutMs: 20_000 });
    h.clock.advance(19_999);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(1);
    expect(h.controller.state).toBe('sending_update');
  });

  it('enabled: false pauses (no new cycle); enabled: true resumes', () => {
    const h = setup();
    h.controller.start();
    h.target.idle();
    h.controller.updateConfig({ enabled: false });
    expect(h.controller.status().enabled).toBe(false);
    h.clock.advance(IDLE_MS * 5);
    expect(h.controller.state).toBe('watching');
    expect(h.clock.pendingTimers).toBe(0);
    h.controller.updateConfig({ enabled: true });
    h.clock.advance(IDLE_MS);
    expect(h.controller.state).toBe('sending_update');
  });

  it('a duration limit set at runtime counts from the start', () => {
    const h = setup();
    h.controller.start();
    h.clock.advance(50_000);
    h.controller.updateConfig({ durationLimitMs: 60_000 });
    h.clock.advance(9_999);
    expect(h.controller.isRunning).toBe(true);
    h.clock.advance(1);
    expect(h.controller.isRunning).toBe(false);
    // Cleared again: no limit.
    const g = setup({ durationLimitMs: 60_000 });
    g.controller.start();
    g.controller.updateConfig({ durationLimitMs: null });
    g.clock.advance(120_000);
    expect(g.controller.isRunning).toBe(true);
  });
});

describe('RespawnController: stop and status', () => {
  it('stop() cancels every timer and unsubscribes, in every state; signals after it do nothing', () => {
    const states: string[] = [];
    for (let at = 0; at < 5; at++) {
      const h = setup({ durationLimitMs: 3_600_000 });
      h.controller.start();
      h.target.idle();
      if (at >= 1) h.clock.advance(IDLE_MS); // sending_update: delay timer
      if (at >= 2) h.clock.advance(STEP_DELAY_MS); // waiting_update: step timeout
      if (at >= 3) {
        h.target.idle();
        h.clock.advance(STEP_DELAY_MS); // waiting_clear
      }
      if (at >= 4) h.target.output('\u276f '); // waiting_clear with its quiet timer
      states.push(h.controller.state);
      expect(h.clock.pendingTimers).toBeGreaterThan(0);
      h.controller.stop();
      expect(h.clock.pendingTimers, `timers after stop in ${h.controller.state}`).toBe(0);
      expect(h.target.listeners.size).toBe(0);
      expect(h.controller.status()).toMatchObject({ state: 'stopped', stopReason: STOP_REQUESTED_REASON });
      const before = h.events.length;
      h.target.idle();
      h.clock.advance(3_600_000);
      h.controller.stop();
      expect(h.events.length).toBe(before);
    }
    expect(states).toEqual([
      'watching',
      'sending_update',
      'waiting_update',
      'waiting_clear',
      'waiting_clear',
    ]);
  });

  it('reports the status: activity time from the clock, prompt/working from the signals', () => {
    const h = setup();
    const startedAt = h.clock.now();
    h.controller.start();
    expect(h.controller.status()).toEqual({
      enabled: true,
      state: 'watching',
      cycleCount: 0,
      lastActivityTime: startedAt,
      timeSinceActivity: 0,
      promptDetected: false,
      workingDetected: false,
      config: DEFAULT_RESPAWN_CONFIG,
      startedAt,
      stopReason: null,
      pausedUntil: null,
    });
    h.clock.advance(700);
    h.target.output('\u2733');
    h.target.working();
    h.clock.advance(300);
    expect(h.controller.status()).toMatchObject({
      lastActivityTime: startedAt + 700,
      timeSinceActivity: 300,
      workingDetected: true,
      promptDetected: false,
    });
    h.target.idle();
    expect(h.controller.status()).toMatchObject({ workingDetected: false, promptDetected: true });
  });
});

describe('RespawnController: usage limits', () => {
  const MARGIN = 60_000;
  const limit = (h: ReturnType<typeof setup>, inMs: number): number => {
    const until = h.clock.now() + inMs;
    h.target.signal({ kind: 'failed', error: 'API Error: 429 rate limited', limitedUntil: until });
    return until;
  };

  it('starts no cycle until a margin after the reset, then goes on by itself', () => {
    const h = setup();
    h.controller.start();
    h.target.working('hook');
    const until = limit(h, 10 * 60_000);
    h.target.idle('hook');
    expect(h.controller.status().pausedUntil).toBe(until + MARGIN);
    h.clock.advance(10 * 60_000);
    expect(h.target.submitted).toEqual([]);
    expect(h.controller.state).toBe('watching');
    h.clock.advance(MARGIN);
    expect(h.controller.status().pausedUntil).toBeNull();
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    expect(h.target.submitted).toEqual([DEFAULT_RESPAWN_CONFIG.updatePrompt]);
  });

  it('abandons a cycle under way at a limit, so nothing more is typed into it', () => {
    const h = setup();
    h.controller.start();
    h.target.idle('hook');
    h.clock.advance(IDLE_MS + STEP_DELAY_MS);
    expect(h.controller.state).toBe('waiting_update');
    limit(h, 60_000);
    expect(h.controller.state).toBe('watching');
    h.target.idle('hook');
    h.clock.advance(60_000);
    expect(h.target.submitted).toEqual([DEFAULT_RESPAWN_CONFIG.updatePrompt]);
  });

  it('waits for a limit the session already has when it starts', () => {
    const h = setup();
    h.target.isIdle = true;
    h.target.limitedUntil = h.clock.now() + 5 * 60_000;
    h.controller.start();
    h.clock.advance(5 * 60_000);
    expect(h.target.submitted).toEqual([]);
    h.clock.advance(MARGIN + IDLE_MS + STEP_DELAY_MS);
    expect(h.target.submitted).toEqual([DEFAULT_RESPAWN_CONFIG.updatePrompt]);
  });

  it('stops at a limit without autoResume, or one that lifts later than maxWaitMinutes', () => {
    for (const config of [{ autoResume: false }, { maxWaitMinutes: 5 }]) {
      const h = setup(config);
      h.controller.start();
      limit(h, 10 * 60_000);
      expect(h.controller.state).toBe('stopped');
      expect(h.controller.status().stopReason).toMatch(
        /^usage limit until .*(autoResume is off|maxWaitMinutes)/,
      );
      expect(h.clock.pendingTimers).toBe(0);
    }
  });
});
