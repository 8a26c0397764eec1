/**
 * The steps of a respawn cycle, in order — the update prompt, `/clear`, `/init` — as the controller
 * (respawn-controller.ts) runs them: its state while each is sent and awaited, the text it types, and
 * when a step counts as done.
 */

import type { RespawnStep } from '../../protocol/events.js';
import type { RespawnConfig, RespawnState } from '../../protocol/rest/respawn.js';
import type { ActivitySource } from '../session/session-signals.js';

export const SENDING: Record<RespawnStep, RespawnState> = {
  update: 'sending_update',
  clear: 'sending_clear',
  init: 'sending_init',
};
export const WAITING: Record<RespawnStep, RespawnState> = {
  update: 'waiting_update',
  clear: 'waiting_clear',
  init: 'waiting_init',
};
export const NEXT_STEP: Record<RespawnStep, RespawnStep | null> = {
  update: 'clear',
  clear: 'init',
  init: null,
};

/** What was seen since the current step's text was sent. */
export interface SinceSend {
  working: boolean;
  output: boolean;
  prompt: boolean;
}

/** What the step types into the session (then Enter). */
export function stepText(step: RespawnStep, config: Readonly<RespawnConfig>): string {
  return step === 'update' ? config.updatePrompt : `/${step}`;
}

/**
 * Whether an idle signal ends the awaited step: a hook's idle always does (a Stop hook only fires
 * when a turn ends); the heuristic's does once the session worked after the send, or for `/clear`
 * (which may not show a spinner) once any output came.
 */
export function idleCompletesStep(step: RespawnStep, source: ActivitySource, seen: SinceSend): boolean {
  return source === 'hook' || seen.working || (step === 'clear' && seen.output);
}
