import Type, { type Static } from 'typebox';
import { RespawnStatus } from './respawn.js';
import { ScheduledRun } from './scheduled.js';
import { SessionInfo } from './session.js';

/** The whole state at once: `GET /api/status`, and the SSE stream's `init` event. */
export const StatusSnapshot = Type.Object({
  sessions: Type.Array(SessionInfo),
  scheduledRuns: Type.Array(ScheduledRun),
  /** The respawn controller of each session that has one, by session id. */
  respawnStatus: Type.Record(Type.String(), RespawnStatus),
  timestamp: Type.Number({ description: 'epoch ms' }),
  /** Where sessions, queue tasks and scheduled runs work when no directory is given (the cases root). */
  casesRoot: Type.String(),
});
export type StatusSnapshot = Static<typeof StatusSnapshot>;
