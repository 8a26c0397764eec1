import Type, { type Static } from 'typebox';
import { RespawnStatus } from './respawn.js';
import { ScheduledRun } from './scheduled.js';
import { SessionInfo } from './session.js';

/** What the agents spent (USD), measured as README "How cost is measured" says. */
export const CostSummary = Type.Object({
  /** Everything since the ledger began, sessions deleted since included. */
  totalUsd: Type.Number(),
  /** Today, by the server's local date. */
  todayUsd: Type.Number(),
  /** The latest days with spending, newest first (a month at most); `day` is YYYY-MM-DD. */
  days: Type.Array(Type.Object({ day: Type.String(), usd: Type.Number() })),
  /** Per case, all time, highest first; `case` '' is work outside the cases root. */
  cases: Type.Array(Type.Object({ case: Type.String(), usd: Type.Number() })),
  /** The Ralph loop's current (or last) run. */
  ralphUsd: Type.Number(),
  /** Each scheduled run kept (running and recent ones). */
  scheduledRuns: Type.Array(Type.Object({ id: Type.String(), usd: Type.Number() })),
});
export type CostSummary = Static<typeof CostSummary>;

/** The whole state at once: `GET /api/status`, and the SSE stream's `init` event. */
export const StatusSnapshot = Type.Object({
  sessions: Type.Array(SessionInfo),
  scheduledRuns: Type.Array(ScheduledRun),
  /** The respawn controller of each session that has one, by session id. */
  respawnStatus: Type.Record(Type.String(), RespawnStatus),
  timestamp: Type.Number({ description: 'epoch ms' }),
  /** Where sessions, queue tasks and scheduled runs work when no directory is given (the cases root). */
  casesRoot: Type.String(),
  costs: CostSummary,
});
export type StatusSnapshot = Static<typeof StatusSnapshot>;
