import type { ApiEvent } from '../src/protocol/events.js';
import type { RalphStatus } from '../src/protocol/rest/ralph.js';
import type { RespawnStatus } from '../src/protocol/rest/respawn.js';
import type { ScheduledRun } from '../src/protocol/rest/scheduled.js';
import type { SessionInfo } from '../src/protocol/rest/session.js';

/** The `init` event and `GET /api/status`: the whole state at once. */
export interface StatusSnapshot {
  readonly sessions: SessionInfo[];
  readonly scheduledRuns: ScheduledRun[];
  readonly respawnStatus: Record<string, RespawnStatus>;
  readonly timestamp: number;
  /** The default working directory: the cases root. */
  readonly casesRoot: string;
}

/** How the SSE stream frames an engine event: `{type, sessionId?, data}`. */
type Wire<E> = E extends { readonly kind: infer K; readonly data: infer D }
  ? E extends { readonly sessionId: string }
    ? { readonly type: K; readonly sessionId: string; readonly data: D }
    : { readonly type: K; readonly data: D }
  : never;

export type ServerEvent =
  | Wire<ApiEvent>
  | { readonly type: 'init'; readonly data: StatusSnapshot }
  | { readonly type: 'resync'; readonly data: Record<string, never> };

export type ServerEventType = ServerEvent['type'];

/** The `GET /api/sessions/:id/respawn` answer for a session without a controller. */
export interface NoRespawn {
  readonly enabled: false;
  readonly status: null;
}

export type { RalphStatus, RespawnStatus, ScheduledRun, SessionInfo };

/** A task of the process supervisor, as `GET /api/overseer/tasks` and the `/ws` `list` give it. */
export interface OverseerTaskInfo {
  readonly task_id: string;
  readonly command: string;
  readonly args: string[];
  readonly state: 'active' | 'stopped' | 'errored';
  readonly current_pid?: number;
  readonly worker_state?: 'running' | 'exited';
  readonly restart_count: number;
  readonly created_at: string;
  readonly last_started_at?: string;
  readonly last_exited_at?: string;
  readonly last_exit_code?: number;
  readonly error_message?: string;
}
