/**
 * Idle/working detection for an interactive Claude Code terminal from its output alone: the fallback
 * when hooks (the reliable signal, spec/claude-code.md) are not available.
 *
 * The heuristic of the original Claudeman:
 * - `idle` once the `❯` prompt has been seen and the output has then been quiet for `idleAfterMs`.
 *   Announced once, until the session is working again.
 * - `working` as soon as a spinner glyph appears while idle. Claude Code animates one while it thinks
 *   and keeps redrawing it, so a working session is never quiet for long.
 * - Any other output (typed characters echoed back, cursor movement, a screen redrawn by `/clear`)
 *   restarts the quiet period but does not by itself make an idle session `working`.
 *
 * The prompt only needs to have been seen once: the renderer may not repaint an unchanged prompt line
 * after a turn, and waiting for a fresh one could leave the session "working" forever. The cost is that
 * a quiet screen that needs a person (a permission menu, which also uses `❯` as its pointer) counts as
 * idle, which for a supervisor it is.
 *
 * Known limitation: a full repaint of the screen (a resize, the `/` command menu opening) repaints the
 * finished-turn line, which starts with a spinner glyph (`✻ Crunched for 6s` in 2.1.197), and reads
 * as `working` for one quiet period. Hooks do not have this problem.
 *
 * The session starts as `working` (starting up) without an announcement. Text is searched after ANSI
 * stripping, so a window title like `ESC]0;✳ Claude Code BEL` (Claude Code puts a spinner glyph in its
 * title) never counts; escape sequences split across chunks are reassembled first.
 */
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import { AnsiStreamStripper } from './ansi.js';

export type ActivityState = 'idle' | 'working';

/** Called on each change of state, synchronously; it must not throw (it may run from a timer). */
export type ActivityListener = (state: ActivityState, reason: string) => void;

export interface ActivityDetectorOptions {
  /** Quiet time after the prompt before the session counts as idle (ms, > 0). Default 2000. */
  idleAfterMs?: number;
}

/** ms: the seed's value; long enough to bridge the pauses between spinner frames and API chunks. */
export const DEFAULT_IDLE_AFTER_MS = 2000;

/** Claude Code's input prompt (U+276F HEAVY RIGHT-POINTING ANGLE QUOTATION MARK ORNAMENT). */
export const PROMPT_GLYPH = '\u276f';

/**
 * Glyphs that mean "busy": Claude Code's thinking spinner frames (2.1.x cycles `· ✢ * ✶ ✻ ✽`, with `✳`
 * for `*` under Ghostty) and the braille "dots" spinner of cli-spinners that tools run inside the
 * session print. Two frames are left out because idle screens show them too: `*` (ordinary text) and
 * `·` (the idle footer `? for shortcuts · ← for agents` of 2.1.197, repainted when a menu opens); the
 * other frames come round within a second.
 */
export const SPINNER_GLYPHS = '✢✳✶✻✽⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏';

const SPINNER_PATTERN = new RegExp(`[${SPINNER_GLYPHS}]`, 'u');

export class ActivityDetector {
  readonly #clock: Clock;
  readonly #idleAfterMs: number;
  readonly #listener: ActivityListener;
  readonly #stripper = new AnsiStreamStripper();
  #state: ActivityState = 'working';
  #promptSeen = false;
  #lastActivityAt: number | null = null;
  /** One timer per quiet period, re-armed for the remainder when it fires early, not per chunk. */
  #quietTimer: TimerHandle | null = null;
  #disposed = false;

  constructor(clock: Clock, listener: ActivityListener);
  constructor(clock: Clock, options: ActivityDetectorOptions | undefined, listener: ActivityListener);
  constructor(
    clock: Clock,
    optionsOrListener: ActivityDetectorOptions | ActivityListener | undefined,
    maybeListener?: ActivityListener,
  ) {
    const listener = typeof optionsOrListener === 'function' ? optionsOrListener : maybeListener;
    if (listener === undefined) throw new TypeError('ActivityDetector needs a listener');
    const options = typeof optionsOrListener === 'function' ? {} : (optionsOrListener ?? {});
    const idleAfterMs = options.idleAfterMs ?? DEFAULT_IDLE_AFTER_MS;
    if (!Number.isFinite(idleAfterMs) || idleAfterMs <= 0) {
      throw new RangeError(`idleAfterMs must be a number of ms > 0, got ${String(idleAfterMs)}`);
    }
    this.#clock = clock;
    this.#idleAfterMs = idleAfterMs;
    this.#listener = listener;
  }

  get state(): ActivityState {
    return this.#state;
  }

  /** The `❯` prompt has appeared at least once. */
  get promptSeen(): boolean {
    return this.#promptSeen;
  }

  /** When output last arrived (clock ms), or null before any. */
  get lastActivityAt(): number | null {
    return this.#lastActivityAt;
  }

  /** Takes a chunk of raw terminal output (with escape sequences). Ignored after dispose(). */
  feed(chunk: string): void {
    if (this.#disposed || chunk === '') return;
    this.#lastActivityAt = this.#clock.now();
    const text = this.#stripper.push(chunk);
    if (!this.#promptSeen && text.includes(PROMPT_GLYPH)) this.#promptSeen = true;
    if (this.#state === 'idle') {
      const spinner = SPINNER_PATTERN.exec(text);
      if (spinner === null) return;
      this.#setState('working', `spinner glyph ${spinner[0]} in output`);
    }
    this.#armQuietTimer();
  }

  /**
   * Marks the session busy because the caller just submitted input (a prompt and Enter): a quick turn
   * can come back as one chunk that already holds the finished screen, and a controller waiting for
   * "working, then idle" should still see both. Counts as activity; ignored after dispose().
   */
  markWorking(reason: string): void {
    if (this.#disposed) return;
    this.#lastActivityAt = this.#clock.now();
    if (this.#state === 'idle') this.#setState('working', reason);
    this.#armQuietTimer();
  }

  /** Stops the timer; no further announcements. */
  dispose(): void {
    this.#disposed = true;
    if (this.#quietTimer !== null) {
      this.#clock.clearTimeout(this.#quietTimer);
      this.#quietTimer = null;
    }
  }

  #armQuietTimer(delayMs = this.#idleAfterMs): void {
    if (this.#disposed || this.#quietTimer !== null || !this.#promptSeen || this.#state !== 'working') return;
    this.#quietTimer = this.#clock.setTimeout(() => this.#onQuietTimer(), delayMs);
  }

  #onQuietTimer(): void {
    this.#quietTimer = null;
    const quietFor = this.#clock.now() - (this.#lastActivityAt ?? 0);
    if (quietFor < this.#idleAfterMs) {
      this.#armQuietTimer(this.#idleAfterMs - quietFor);
      return;
    }
    this.#setState('idle', `prompt seen, no output for ${this.#idleAfterMs} ms`);
  }

  #setState(state: ActivityState, reason: string): void {
    this.#state = state;
    this.#listener(state, reason);
  }
}
