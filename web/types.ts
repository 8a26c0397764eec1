import type { RespawnStatus } from '../src/protocol/rest/respawn.js';
import type { ScheduledRun } from '../src/protocol/rest/scheduled.js';
import type { SessionInfo } from '../src/protocol/rest/session.js';
import type { SseEnvelope } from '../src/protocol/sse.js';

/** The `init` event and `GET /api/status`: the whole state at once. */
export interface StatusSnapshot {
  readonly sessions: SessionInfo[];
  readonly scheduledRuns: ScheduledRun[];
  readonly respawnStatus: Record<string, RespawnStatus>;
  readonly timestamp: number;
  /** The default working directory: the cases root. */
  readonly casesRoot: string;
}

export type ServerEvent =
  | SseEnvelope
  | { readonly type: 'init'; readonly data: StatusSnapshot }
  | { readonly type: 'resync'; readonly data: Record<string, never> };

export type ServerEventType = ServerEvent['type'];

/** The `GET /api/sessions/:id/respawn` answer for a session without a controller. */
export interface NoRespawn {
  readonly enabled: false;
  readonly status: null;
}
