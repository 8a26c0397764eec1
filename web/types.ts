import type { RalphStatus } from '../src/protocol/rest/ralph.js';
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
