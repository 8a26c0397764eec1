/**
 * The respawn controller (seed 003): keeps an interactive Claude Code session productive unattended.
 * When the session has been idle long enough it runs one cycle — the update prompt, `/clear`, `/init` —
 * and then watches again:
 *
 *   watching → sending_update → waiting_update → sending_clear → waiting_clear → sending_init
 *            → waiting_init → watching            (and stopped, from anywhere)
 *
 * It acts only on the session's signals (idle/working from hooks or the terminal heuristic, output,
 * exit) and on timers of an injected Clock, so its logic is tested with a fake session and a fake clock.
 *
 * Choices the seed leaves open:
 * - Idle confirmation (watching): an idle signal arms a timer of `idleTimeoutMs`; output restarts it
 *   (someone typing, a repaint) and a working signal cancels it until the next idle. Output does not
 *   wait for a fresh idle signal, because the heuristic announces idle once and does not repeat it after
 *   harmless output. A hook's idle (the CLI's own Stop hook) starts the same `idleTimeoutMs` wait —
 *   the user's setting is the quiet time before a cycle, however idle was detected — but never less
 *   than `HOOK_IDLE_CONFIRM_MS`, so typed text does not race the prompt's repaint.
 * - A step completes when the session worked after the send and then went idle, or at once on a hook's
 *   idle (a Stop hook only fires when a turn ends). `/clear` may not show a spinner, so for it idle
 *   after any output also counts, as does the prompt reappearing followed by `idleTimeoutMs` of quiet.
 * - A step that does not complete within `STEP_TIMEOUT_MS` is logged at warn and its cycle abandoned:
 *   the controller goes back to watching rather than typing the next step into a screen it does not
 *   understand; it acts again only once the session is idle.
 * - The duration limit stops a watching controller at once; in the middle of a cycle it lets the cycle
 *   finish, so a session is never left cleared without its `/init`.
 * - `enabled: false` pauses: the controller keeps watching (and finishes a running cycle) but starts no
 *   new cycle until enabled again.
 * - The session exiting stops the controller with the reason (a respawn:log at error level during a
 *   cycle, at warn while watching).
 * - A usage limit (the session's failed turn, or a session already limited at start) abandons a
 *   cycle under way and starts none until a margin after the reset (session/limit-pause.ts); by the config's
 *   `autoResume` and `maxWaitMinutes` it stops instead.
 */

import type { RespawnEvent, RespawnStep } from '../../protocol/events.js';
import type { RespawnConfig, RespawnState, RespawnStatus } from '../../protocol/rest/respawn.js';
import type { Clock } from '../../supervisor/clock.js';
import { LIMIT_RESUME_MARGIN_MS, LimitWait } from '../session/limit-pause.js';
import type { ActivitySource, SessionSignal } from '../session/session-signals.js';
import { PROMPT_GLYPH } from '../terminal/activity-detector.js';
import { type ConfigResult, mergeRespawnConfig } from './respawn-config.js';
import {
  DURATION_LIMIT_REASON,
  HOOK_IDLE_CONFIRM_MS,
  type RespawnControllerOptions,
  type RespawnTarget,
  STEP_TIMEOUT_MS,
  STOP_REQUESTED_REASON,
} from './respawn-contract.js';
import { idleCompletesStep, NEXT_STEP, SENDING, type SinceSend, stepText, WAITING } from './respawn-steps.js';
import { Timer } from './timer.js';

type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export class RespawnController {
  readonly sessionId: string;
  readonly #target: RespawnTarget;
  readonly #clock: Clock;
  readonly #publish: (event: RespawnEvent) => void;
  #config: Readonly<RespawnConfig>;
  #state: RespawnState = 'stopped';
  #started = false;
  #cycleCount: number;
  #startedAt: number | null;
  #stopReason: string | null;
  #lastActivityAt: number;
  /** The latest idle/working verdict from either source; null until one is known. */
  #activity: 'idle' | 'working' | null = null;
  /** The terminal heuristic's own latest verdict: it announces "working" only after an "idle". */
  #heuristicActivity: 'idle' | 'working' | null = null;
  #idleSource: ActivitySource = 'heuristic';
  #step: RespawnStep | null = null;
  #sinceSend: SinceSend = { working: false, output: false, prompt: false };
  /** Set when the duration limit passed mid-cycle: stop with this reason when the cycle ends. */
  #pendingStop: string | null = null;
  #confirmDelayMs = 0;
  #unsubscribe: (() => void) | null = null;
  readonly #confirm: Timer;
  readonly #stepDelay: Timer;
  readonly #stepTimeout: Timer;
  readonly #clearQuiet: Timer;
  readonly #durationLimit: Timer;
  readonly #limitWait: LimitWait;

  constructor(options: RespawnControllerOptions) {
    this.sessionId = options.sessionId;
    this.#target = options.target;
    this.#clock = options.clock;
    this.#publish = options.publish;
    this.#config = options.config;
    this.#cycleCount = options.restored?.cycleCount ?? 0;
    this.#startedAt = options.restored?.startedAt ?? null;
    this.#stopReason = options.restored?.stopReason ?? null;
    this.#lastActivityAt = options.clock.now();
    this.#confirm = new Timer(options.clock);
    this.#stepDelay = new Timer(options.clock);
    this.#stepTimeout = new Timer(options.clock);
    this.#clearQuiet = new Timer(options.clock);
    this.#durationLimit = new Timer(options.clock);
    const marginMs = options.limitResumeMarginMs ?? LIMIT_RESUME_MARGIN_MS;
    this.#limitWait = new LimitWait(options.clock, marginMs, () => this.#limitLifted());
  }

  get state(): RespawnState {
    return this.#state;
  }

  get config(): Readonly<RespawnConfig> {
    return this.#config;
  }

  get isRunning(): boolean {
    return this.#state !== 'stopped';
  }

  /** Starts watching. A controller runs once: to run again, create a new one. */
  start(): { ok: true } | { ok: false; code: 'NOT_INTERACTIVE'; message: string } {
    if (this.#started) throw new Error('a RespawnController starts only once; create a new one');
    if (!this.#target.isInteractive) {
      return { ok: false, code: 'NOT_INTERACTIVE', message: 'the session is not running interactively' };
    }
    this.#started = true;
    const now = this.#clock.now();
    this.#startedAt = now;
    this.#stopReason = null;
    this.#cycleCount = 0;
    this.#lastActivityAt = now;
    this.#activity = this.#target.isIdle ? 'idle' : null;
    this.#heuristicActivity = this.#activity;
    this.#unsubscribe = this.#target.onSignal((signal) => this.#onSignal(signal));
    this.#transition('watching');
    this.#emit('respawn:started', { status: this.status() });
    this.#armDurationLimit();
    const limitedUntil = this.#target.limitedUntil;
    if (limitedUntil !== null && limitedUntil > now) this.#onLimit(limitedUntil, 'the session is limited');
    if (this.#activity === 'idle') this.#armConfirm(this.#confirmDelayFor(this.#idleSource));
    return { ok: true };
  }

  /** Stops: cancels every timer and unsubscribes. Idempotent. */
  stop(reason: string = STOP_REQUESTED_REASON, level?: LogLevel): void {
    if (this.#state === 'stopped') return;
    for (const timer of [this.#confirm, this.#stepDelay, this.#stepTimeout, this.#clearQuiet]) timer.cancel();
    this.#durationLimit.cancel();
    this.#limitWait.cancel();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
    this.#step = null;
    this.#pendingStop = null;
    this.#stopReason = reason;
    if (level !== undefined) this.#log(level, `stopped: ${reason}`);
    this.#transition('stopped');
    this.#emit('respawn:stopped', { reason });
  }

  /** Applies a partial config (validated here); takes effect at once, also on a stopped controller. */
  updateConfig(patch: unknown): ConfigResult {
    const merged = mergeRespawnConfig(this.#config, patch);
    if (!merged.ok) return merged;
    const before = this.#config;
    this.#config = merged.config;
    this.#emit('respawn:configUpdated', { config: { ...this.#config } });
    if (this.#state === 'stopped') return merged;
    if (before.durationLimitMs !== this.#config.durationLimitMs) {
      this.#pendingStop = null;
      this.#armDurationLimit();
    }
    if (this.#state === 'watching') {
      if (!this.#config.enabled) this.#confirm.cancel();
      else if (
        this.#activity === 'idle' &&
        (!before.enabled || before.idleTimeoutMs !== this.#config.idleTimeoutMs)
      ) {
        this.#armConfirm(this.#confirmDelayFor(this.#idleSource));
      }
    }
    return merged;
  }

  status(): RespawnStatus {
    const now = this.#clock.now();
    return {
      enabled: this.#state !== 'stopped' && this.#config.enabled,
      state: this.#state,
      cycleCount: this.#cycleCount,
      lastActivityTime: this.#lastActivityAt,
      timeSinceActivity: Math.max(0, now - this.#lastActivityAt),
      promptDetected: this.#activity === 'idle',
      workingDetected: this.#activity === 'working',
      config: { ...this.#config },
      startedAt: this.#startedAt,
      stopReason: this.#stopReason,
      pausedUntil: this.#limitWait.pausedUntil,
    };
  }

  #onSignal(signal: SessionSignal): void {
    // The session calls a copy of its listener set: a signal can still arrive right after stop().
    if (this.#state === 'stopped') return;
    switch (signal.kind) {
      case 'output':
        this.#onOutput(signal.chunk);
        return;
      case 'working':
        this.#onWorking(signal.source);
        return;
      case 'idle':
        this.#onIdle(signal.source);
        return;
      case 'failed':
        if (signal.limitedUntil !== null) this.#onLimit(signal.limitedUntil, signal.error);
        return;
      case 'exit': {
        const how = signal.signal !== null ? `on ${signal.signal}` : `with code ${signal.code}`;
        this.stop(`the session exited ${how}`, this.#state === 'watching' ? 'warn' : 'error');
        return;
      }
    }
  }

  #onOutput(chunk: string): void {
    this.#lastActivityAt = this.#clock.now();
    this.#sinceSend.output = true;
    if (chunk.includes(PROMPT_GLYPH)) this.#sinceSend.prompt = true;
    if (this.#state === 'watching' && this.#confirm.armed) {
      this.#armConfirm(this.#confirmDelayMs);
    } else if (this.#state === 'waiting_clear' && this.#sinceSend.prompt) {
      this.#clearQuiet.arm(this.#config.idleTimeoutMs, () => this.#completeStep('clear'));
    }
  }

  #onWorking(source: ActivitySource): void {
    this.#lastActivityAt = this.#clock.now();
    this.#activity = 'working';
    if (source === 'heuristic') this.#heuristicActivity = 'working';
    this.#sinceSend.working = true;
    if (this.#state === 'watching' && this.#confirm.armed) {
      this.#confirm.cancel();
      this.#log('debug', 'the session is working again: idle confirmation cancelled');
    }
    // `/clear` turned out to start work: its end is an idle signal, not a quiet prompt.
    if (this.#state === 'waiting_clear') this.#clearQuiet.cancel();
  }

  #onIdle(source: ActivitySource): void {
    this.#activity = 'idle';
    this.#idleSource = source;
    if (source === 'heuristic') this.#heuristicActivity = 'idle';
    if (this.#state === 'watching') {
      const delay = this.#confirmDelayFor(source);
      // A second verdict (hook and heuristic both report) never lengthens a running confirmation.
      if (!this.#confirm.armed || delay < this.#confirmDelayMs) this.#armConfirm(delay);
      return;
    }
    const step = this.#step;
    if (step === null || this.#state !== WAITING[step]) return;
    if (idleCompletesStep(step, source, this.#sinceSend)) this.#completeStep(step);
  }

  #confirmDelayFor(source: ActivitySource): number {
    return source === 'hook'
      ? Math.max(this.#config.idleTimeoutMs, HOOK_IDLE_CONFIRM_MS)
      : this.#config.idleTimeoutMs;
  }

  #armConfirm(delayMs: number): void {
    if (!this.#config.enabled || this.#limitWait.pausedUntil !== null) return;
    this.#confirmDelayMs = delayMs;
    this.#confirm.arm(delayMs, () => {
      if (this.#state !== 'watching' || this.#activity !== 'idle' || !this.#config.enabled) return;
      this.#startCycle(delayMs);
    });
  }

  /** A usage limit: no cycle before a margin after its reset (one under way is abandoned), or stop. */
  #onLimit(until: number, why: string): void {
    const at = new Date(until).toISOString();
    const resumeAt = this.#limitWait.hit(until, this.#config);
    if (resumeAt === null) {
      const policy = this.#config.autoResume
        ? 'it lifts later than maxWaitMinutes allows'
        : 'autoResume is off';
      this.stop(`usage limit until ${at} (${why}): ${policy}`, 'warn');
      return;
    }
    this.#confirm.cancel();
    this.#log(
      'warn',
      `usage limit until ${at} (${why}): no cycle before ${new Date(resumeAt).toISOString()}`,
    );
    if (this.#step === null) return;
    for (const timer of [this.#stepDelay, this.#stepTimeout, this.#clearQuiet]) timer.cancel();
    this.#log('warn', `cycle ${this.#cycleCount} abandoned at the usage limit`);
    this.#endCycle();
  }

  #limitLifted(): void {
    this.#log('info', 'the usage limit has lifted: watching again');
    if (this.#state === 'watching' && this.#activity === 'idle')
      this.#armConfirm(this.#confirmDelayFor(this.#idleSource));
  }

  #startCycle(idleForMs: number): void {
    this.#cycleCount += 1;
    this.#emit('respawn:cycleStarted', { cycleNumber: this.#cycleCount });
    this.#log('info', `cycle ${this.#cycleCount}: the session was idle for ${idleForMs} ms`);
    this.#enterSending('update');
  }

  #enterSending(step: RespawnStep): void {
    this.#step = step;
    this.#transition(SENDING[step]);
    this.#stepDelay.arm(this.#config.interStepDelayMs, () => this.#send(step));
  }

  #send(step: RespawnStep): void {
    const text = stepText(step, this.#config);
    // A heuristic that has not said idle since the last turn counts as working already: it will not
    // announce "working" again, and its next idle (after a quiet period that the send restarts) marks
    // the end of what follows the send.
    this.#sinceSend = { working: this.#heuristicActivity !== 'idle', output: false, prompt: false };
    const sent = this.#target.submitLine(text);
    if (this.#state === 'stopped') return;
    if (!sent.ok) {
      this.stop(`could not send the ${step} step: ${sent.message}`, 'error');
      return;
    }
    this.#emit('respawn:stepSent', { step });
    this.#transition(WAITING[step]);
    this.#stepTimeout.arm(STEP_TIMEOUT_MS, () => this.#onStepTimeout(step));
  }

  #completeStep(step: RespawnStep): void {
    if (this.#state !== WAITING[step]) return;
    this.#stepTimeout.cancel();
    this.#clearQuiet.cancel();
    this.#emit('respawn:stepCompleted', { step });
    const next = NEXT_STEP[step];
    if (next !== null) {
      this.#enterSending(next);
      return;
    }
    this.#emit('respawn:cycleCompleted', { cycleNumber: this.#cycleCount });
    this.#endCycle();
  }

  #onStepTimeout(step: RespawnStep): void {
    this.#clearQuiet.cancel();
    this.#log(
      'warn',
      `the ${step} step did not finish within ${STEP_TIMEOUT_MS / 60_000} min: cycle ${this.#cycleCount} abandoned, watching again`,
    );
    this.#endCycle();
  }

  /** Back to watching after a cycle (completed or abandoned), or stop if the duration limit passed. */
  #endCycle(): void {
    this.#step = null;
    if (this.#pendingStop !== null) {
      this.stop(this.#pendingStop, 'info');
      return;
    }
    this.#transition('watching');
    if (this.#activity === 'idle') this.#armConfirm(this.#confirmDelayFor(this.#idleSource));
  }

  #armDurationLimit(): void {
    this.#durationLimit.cancel();
    const limit = this.#config.durationLimitMs;
    if (limit === null || this.#startedAt === null) return;
    const remaining = Math.max(0, this.#startedAt + limit - this.#clock.now());
    this.#durationLimit.arm(remaining, () => {
      const reason = `${DURATION_LIMIT_REASON} (${limit} ms)`;
      if (this.#state === 'watching') {
        this.stop(reason, 'info');
        return;
      }
      this.#pendingStop = reason;
      this.#log('info', `${DURATION_LIMIT_REASON}: stopping when cycle ${this.#cycleCount} ends`);
    });
  }

  #transition(to: RespawnState): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#emit('respawn:stateChanged', { from, to });
  }

  #log(level: LogLevel, message: string): void {
    this.#emit('respawn:log', { message, level });
  }

  #emit<K extends RespawnEvent['kind']>(kind: K, data: Extract<RespawnEvent, { kind: K }>['data']): void {
    this.#publish({ kind, sessionId: this.sessionId, data, ts: this.#clock.now() } as RespawnEvent);
  }
}
