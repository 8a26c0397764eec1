import type { RespawnEvent } from '../../protocol/events.js';
import type { RespawnConfig } from '../../protocol/rest/respawn.js';
import type { Clock } from '../../supervisor/clock.js';
import type { SessionSignalListener } from '../session/session-signals.js';

/*
 * What the respawn controller (respawn-controller.ts) drives and is given, and the timings and
 * reasons its clients and tests rely on.
 */

/**
 * A step (one agent turn) still unfinished after 10 min is taken as stuck: updating the docs or
 * `/init` on a large repository takes minutes, not tens of minutes.
 */
export const STEP_TIMEOUT_MS = 10 * 60_000;
/**
 * Shortest confirmation wait after a hook's idle (ms): the Stop hook fires just before the CLI
 * repaints its prompt; half a second keeps typed text from racing that repaint.
 */
export const HOOK_IDLE_CONFIRM_MS = 500;
/** Why a controller stopped when someone asked it to. */
export const STOP_REQUESTED_REASON = 'stopped by request';
/** Start of the reason when the duration limit ended the controller (tests and clients match on it). */
export const DURATION_LIMIT_REASON = 'duration limit reached';

/** What the controller drives: a Session (through a thin adapter), or a fake in tests. */
export interface RespawnTarget {
  readonly isInteractive: boolean;
  /** The session's current verdict is idle: a controller started on an idle session need not wait. */
  readonly isIdle: boolean;
  /** When the session's usage limit lifts (epoch ms), while it is limited; else null. */
  readonly limitedUntil: number | null;
  /** Types `text`, then presses Enter as a separate write. */
  submitLine(text: string): { readonly ok: true } | { readonly ok: false; readonly message: string };
  /** Subscribes to idle/working/output/exit; returns the unsubscribe function. */
  onSignal(listener: SessionSignalListener): () => void;
}

export interface RespawnControllerOptions {
  readonly sessionId: string;
  readonly target: RespawnTarget;
  readonly clock: Clock;
  /** Already validated (mergeRespawnConfig). */
  readonly config: Readonly<RespawnConfig>;
  readonly publish: (event: RespawnEvent) => void;
  /** Waited past a usage limit's reset before cycles start again (ms; default a minute). */
  readonly limitResumeMarginMs?: number;
  /** A controller restored from the store, stopped: its last counters and why it stopped. */
  readonly restored?: {
    readonly cycleCount: number;
    readonly startedAt: number | null;
    readonly stopReason: string | null;
  };
}
