/**
 * The events of the REST API's catalogue, as the engine publishes them: `data` is what the SSE stream
 * sends. (The supervisor's process events are its own, supervisor/events.ts; both travel on the
 * engine's bus, events/engine-event.ts.) Times are epoch milliseconds; faces format them.
 */

import type { RalphStatus } from './rest/ralph.js';
import type { RespawnConfig, RespawnState, RespawnStatus } from './rest/respawn.js';
import type { ScheduledRun } from './rest/scheduled.js';
import type {
  SessionAgentState,
  SessionAttention,
  SessionCost,
  SessionInfo,
  SessionRateLimits,
} from './rest/session.js';
import type { QueueTask } from './rest/tasks.js';
import type { TranscriptEntry } from './rest/transcript.js';

/** An event about one Claude Code session; `data` is what the SSE stream sends (the API's catalogue). */
interface SessionEventOf<K extends string, D> {
  readonly kind: K;
  readonly sessionId: string;
  readonly data: D;
  readonly ts: number;
}

type NoData = Record<string, never>;

export type SessionEvent =
  | SessionEventOf<'session:created', { readonly session: SessionInfo }>
  | SessionEventOf<'session:updated', { readonly session: SessionInfo }>
  | SessionEventOf<'session:deleted', NoData>
  | SessionEventOf<'session:running', { readonly prompt: string }>
  | SessionEventOf<'session:output', { readonly text: string; readonly raw: string }>
  | SessionEventOf<'session:terminal', { readonly data: string; readonly seq: number }>
  | SessionEventOf<'session:message', { readonly message: unknown }>
  | SessionEventOf<
      'session:completion',
      {
        readonly cost: number;
        readonly result: string;
        readonly isError: boolean;
        /** Why the turn or run failed (the API's error, the CLI's exit), null when it did not. */
        readonly error: string | null;
      }
    >
  | SessionEventOf<'session:exit', { readonly code: number | null; readonly signal: string | null }>
  | SessionEventOf<'session:idle', { readonly reason: string; readonly source: 'hook' | 'heuristic' }>
  | SessionEventOf<'session:working', { readonly reason: string; readonly source: 'hook' | 'heuristic' }>
  | SessionEventOf<'session:interactive', NoData>
  | SessionEventOf<'session:attention', { readonly attention: SessionAttention | null }>
  | SessionEventOf<'session:error', { readonly error: string }>
  | SessionEventOf<
      'session:state',
      {
        readonly state: SessionAgentState;
        readonly previous: SessionAgentState;
        readonly since: number;
        readonly reason: string | null;
        readonly limitedUntil: number | null;
      }
    >
  | SessionEventOf<'session:limited', { readonly limitedUntil: number | null; readonly reason: string }>
  | SessionEventOf<
      'session:cost',
      {
        readonly cost: SessionCost;
        readonly contextUsedPct: number | null;
        readonly model: string | null;
        /** The plan's usage limits, once the CLI's status line reported them. */
        readonly rateLimits?: SessionRateLimits;
      }
    >
  | SessionEventOf<'session:transcript', { readonly entries: readonly TranscriptEntry[] }>;

export interface CaseCreatedEvent {
  readonly kind: 'case:created';
  readonly data: { readonly name: string; readonly path: string };
  readonly ts: number;
}

/** Respawn controller events: always about one session. */
export type RespawnEvent =
  | SessionEventOf<'respawn:started', { readonly status: RespawnStatus }>
  | SessionEventOf<'respawn:stopped', { readonly reason: string }>
  | SessionEventOf<'respawn:stateChanged', { readonly from: RespawnState; readonly to: RespawnState }>
  | SessionEventOf<'respawn:cycleStarted', { readonly cycleNumber: number }>
  | SessionEventOf<'respawn:cycleCompleted', { readonly cycleNumber: number }>
  | SessionEventOf<'respawn:stepSent', { readonly step: RespawnStep }>
  | SessionEventOf<'respawn:stepCompleted', { readonly step: RespawnStep }>
  | SessionEventOf<
      'respawn:log',
      { readonly message: string; readonly level: 'debug' | 'info' | 'warn' | 'error' }
    >
  | SessionEventOf<'respawn:configUpdated', { readonly config: RespawnConfig }>;

export type RespawnStep = 'update' | 'clear' | 'init';

/** Events not about one session: `data` is what the SSE stream sends. */
interface GlobalEventOf<K extends string, D> {
  readonly kind: K;
  readonly data: D;
  readonly ts: number;
}

export type QueueTaskEvent =
  | GlobalEventOf<'task:created', { readonly task: QueueTask }>
  | GlobalEventOf<'task:updated', { readonly task: QueueTask }>
  | GlobalEventOf<'task:completed', { readonly task: QueueTask }>
  | GlobalEventOf<'task:failed', { readonly task: QueueTask }>
  | GlobalEventOf<'task:deleted', { readonly id: string }>;

export type RalphEvent =
  | GlobalEventOf<'ralph:started', { readonly status: RalphStatus }>
  | GlobalEventOf<'ralph:stopped', { readonly reason: string; readonly status: RalphStatus }>
  | GlobalEventOf<
      'ralph:paused',
      { readonly until: number; readonly reason: string; readonly status: RalphStatus }
    >
  | GlobalEventOf<'ralph:resumed', { readonly status: RalphStatus }>
  | GlobalEventOf<'ralph:assigned', { readonly sessionId: string; readonly taskId: string }>
  | GlobalEventOf<
      'ralph:completed',
      { readonly sessionId: string; readonly taskId: string; readonly success: boolean }
    >;

export type ScheduledEvent =
  | GlobalEventOf<
      'scheduled:created',
      { readonly id: string; readonly prompt: string; readonly duration: number }
    >
  | GlobalEventOf<
      'scheduled:updated',
      { readonly id: string; readonly status: string; readonly remaining: number; readonly run: ScheduledRun }
    >
  | GlobalEventOf<'scheduled:log', { readonly id: string; readonly message: string }>
  | GlobalEventOf<'scheduled:completed', { readonly id: string; readonly success: boolean }>
  | GlobalEventOf<'scheduled:stopped', { readonly id: string; readonly reason: string }>;

/** The whole catalogue, one union: what `/api/events` streams. */
export type ApiEvent =
  | SessionEvent
  | CaseCreatedEvent
  | RespawnEvent
  | QueueTaskEvent
  | RalphEvent
  | ScheduledEvent;
