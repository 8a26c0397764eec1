import Type, { type Static } from 'typebox';

/** The respawn controller's states, in cycle order (the seed's state machine), plus stopped. */
export const RespawnState = Type.Union([
  Type.Literal('watching'),
  Type.Literal('sending_update'),
  Type.Literal('waiting_update'),
  Type.Literal('sending_clear'),
  Type.Literal('waiting_clear'),
  Type.Literal('sending_init'),
  Type.Literal('waiting_init'),
  Type.Literal('stopped'),
]);
export type RespawnState = Static<typeof RespawnState>;

export const RespawnConfig = Type.Object({
  /** Quiet time after the prompt appears before the session counts as idle (ms). */
  idleTimeoutMs: Type.Integer({ minimum: 100, maximum: 3_600_000 }),
  /** What is typed to have the agent update its docs before the context is cleared. */
  updatePrompt: Type.String({ minLength: 1, maxLength: 10_000 }),
  /** Pause between the steps of a cycle (ms). */
  interStepDelayMs: Type.Integer({ minimum: 0, maximum: 600_000 }),
  enabled: Type.Boolean(),
  /** Stop the controller after this long (ms); null runs until stopped. */
  durationLimitMs: Type.Union([Type.Integer({ minimum: 1_000 }), Type.Null()]),
});
export type RespawnConfig = Static<typeof RespawnConfig>;

export const DEFAULT_RESPAWN_CONFIG: RespawnConfig = {
  idleTimeoutMs: 5_000,
  updatePrompt: 'update all the docs and CLAUDE.md',
  interStepDelayMs: 1_000,
  enabled: true,
  durationLimitMs: null,
};

export const RespawnStatus = Type.Object({
  enabled: Type.Boolean(),
  state: RespawnState,
  cycleCount: Type.Integer(),
  lastActivityTime: Type.Number({ description: 'epoch ms' }),
  timeSinceActivity: Type.Number({ description: 'ms' }),
  promptDetected: Type.Boolean(),
  workingDetected: Type.Boolean(),
  config: RespawnConfig,
  startedAt: Type.Union([Type.Number(), Type.Null()]),
  /** Why the controller stopped (requested, duration limit, the session ended, …), null while it runs. */
  stopReason: Type.Union([Type.String(), Type.Null()]),
});
export type RespawnStatus = Static<typeof RespawnStatus>;
