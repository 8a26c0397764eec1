import Type, { type Static } from 'typebox';
import { DEFAULT_MAX_WAIT_MINUTES, MAX_LIMIT_WAIT_MINUTES, RespawnTimingLimits } from '../limits.js';
import { InteractiveBody } from './schemas.js';

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

/** The config's fields, shared by the whole config and by a partial update of it. */
const RespawnConfigFields = {
  /** Quiet time after the prompt appears before the session counts as idle (ms). */
  idleTimeoutMs: Type.Integer({
    minimum: RespawnTimingLimits.minIdleTimeoutMs,
    maximum: RespawnTimingLimits.maxIdleTimeoutMs,
  }),
  /** What is typed to have the agent update its docs before the context is cleared. */
  updatePrompt: Type.String({ minLength: 1, maxLength: 10_000 }),
  /** Pause between the steps of a cycle (ms). */
  interStepDelayMs: Type.Integer({ minimum: 0, maximum: RespawnTimingLimits.maxInterStepDelayMs }),
  enabled: Type.Boolean(),
  /** Stop the controller after this long (ms); null runs until stopped. */
  durationLimitMs: Type.Union([Type.Integer({ minimum: 1_000 }), Type.Null()]),
  /** At a usage limit: start no cycle until a margin after its reset (true), or stop (false). */
  autoResume: Type.Boolean(),
  /** Longest wait for a usage limit to lift (minutes); a later reset stops the controller. */
  maxWaitMinutes: Type.Number({ exclusiveMinimum: 0, maximum: MAX_LIMIT_WAIT_MINUTES }),
};

export const RespawnConfig = Type.Object(RespawnConfigFields);
export type RespawnConfig = Static<typeof RespawnConfig>;

export const DEFAULT_RESPAWN_CONFIG: RespawnConfig = {
  idleTimeoutMs: 5_000,
  updatePrompt: 'update all the docs and CLAUDE.md',
  interStepDelayMs: 1_000,
  enabled: true,
  durationLimitMs: null,
  autoResume: true,
  maxWaitMinutes: DEFAULT_MAX_WAIT_MINUTES,
};

/**
 * A partial config (an update, or the config given at start). Unknown keys are refused, not dropped:
 * `{"idleTimeout": 500}` is a typo to report, not an empty update. (An `additionalProperties` schema
 * rather than `false`, because Fastify's Ajv silently removes properties that `false` forbids.)
 */
export const RespawnConfigPatch = Type.Object(
  {
    idleTimeoutMs: Type.Optional(RespawnConfigFields.idleTimeoutMs),
    updatePrompt: Type.Optional(RespawnConfigFields.updatePrompt),
    interStepDelayMs: Type.Optional(RespawnConfigFields.interStepDelayMs),
    enabled: Type.Optional(RespawnConfigFields.enabled),
    durationLimitMs: Type.Optional(RespawnConfigFields.durationLimitMs),
    autoResume: Type.Optional(RespawnConfigFields.autoResume),
    maxWaitMinutes: Type.Optional(RespawnConfigFields.maxWaitMinutes),
  },
  { additionalProperties: Type.Never() },
);
export type RespawnConfigPatch = Static<typeof RespawnConfigPatch>;

/** Unknown keys are refused (see RespawnConfigPatch for why not `additionalProperties: false`). */
const closed = { additionalProperties: Type.Never() };

/** `POST …/respawn/start`: `{config?}`; the seed-era program also took the config fields at top level (`config` wins). */
export const RespawnStartBody = Type.Object(
  { config: Type.Optional(RespawnConfigPatch), ...RespawnConfigPatch.properties },
  closed,
);

/** `POST …/interactive-respawn`: `{respawnConfig?}`, plus the terminal size and permission mode of `/interactive`. */
export const InteractiveRespawnBody = Type.Object(
  { respawnConfig: Type.Optional(RespawnConfigPatch), ...InteractiveBody.properties },
  closed,
);

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
  /** Set while a usage limit holds the controller (epoch ms): no cycle starts before then. */
  pausedUntil: Type.Union([Type.Number(), Type.Null()]),
});
export type RespawnStatus = Static<typeof RespawnStatus>;

/** `GET /api/sessions/:id/respawn` for a session without a controller. */
export const NoRespawn = Type.Object({ enabled: Type.Literal(false), status: Type.Null() });
export type NoRespawn = Static<typeof NoRespawn>;

/** `POST /api/sessions/:id/respawn/start`: the new controller's status. */
export const RespawnStatusReply = Type.Object({ success: Type.Literal(true), status: RespawnStatus });

/** `PUT /api/sessions/:id/respawn/config`: the whole config after the update. */
export const RespawnConfigReply = Type.Object({ success: Type.Literal(true), config: RespawnConfig });

/** `POST /api/sessions/:id/interactive-respawn`. */
export const InteractiveRespawnReply = Type.Object({
  success: Type.Literal(true),
  message: Type.String(),
  respawnStatus: RespawnStatus,
});
