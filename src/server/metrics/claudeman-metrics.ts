import { ScheduledLimits } from '../../agent/scheduled/limits.js';
import type { SessionManager, SessionRecovery } from '../../agent/session/session-manager.js';
import { MAX_SESSIONS } from '../../agent/session/session-manager.js';
import { SessionLimits } from '../../agent/session/session-settings.js';
import { MAX_QUEUE_TASKS } from '../../agent/tasks/task-queue.js';
import { MAX_PROMPT_CHARS } from '../../protocol/limits.js';
import { MAX_INPUT_CHARS } from '../../protocol/rest/schemas.js';
import { TerminalFlow } from '../../protocol/terminal-frames.js';
import type { StorageStatus } from '../../store/storage-guard.js';
import type { ReapOutcomeKind } from '../../supervisor/recovery/orphan-reaper.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import { Limits } from '../limits.js';
import type { OverseerHub } from '../overseer/hub.js';
import { type SseHub, SseLimits } from '../sse/sse-hub.js';
import type { TerminalClients } from '../terminal/route.js';
import { storageFamilies } from './storage-metrics.js';
import type { EventCounters, MetricFamily } from './stream-counters.js';

export interface MetricsSources {
  readonly sessions: SessionManager;
  readonly supervisor: Supervisor;
  readonly hub: OverseerHub;
  readonly sse: SseHub;
  readonly terminals: TerminalClients;
  readonly counters: EventCounters;
  /** The Fastify app's body limit (bytes). */
  readonly bodyLimitBytes: number;
  /** Whether the database passed its integrity check (quick_check) when opened. */
  readonly databaseOk?: boolean;
  /** Whether the store takes writes now (see StorageGuard). */
  readonly storage?: StorageStatus;
  /** What this server's start found of the previous one's processes (after a crash: its orphans). */
  readonly recovery?: {
    readonly orphans: ReadonlyMap<ReapOutcomeKind, number>;
    readonly sessions: SessionRecovery;
  };
}

/** One limit of the server: its metric name (after `claudeman_limit_`), value and reason. */
export interface LimitInfo {
  readonly name: string;
  readonly value: number;
  readonly reason: string;
}

const seconds = (ms: number): number => ms / 1000;

/**
 * Every limit of the server, each with the reason it exists, so an operator sees what bounds what.
 * The values of the client limits are the running server's (tests lower them); the rest are the
 * constants. Units follow Prometheus: bytes, seconds, or a count in the name.
 */
export function serverLimits(sources: MetricsSources): LimitInfo[] {
  return [
    // ── requests ──
    {
      name: 'request_body_bytes',
      value: sources.bodyLimitBytes,
      reason:
        'Largest HTTP request body; larger ones get 413 BODY_TOO_LARGE (a 100,000-character prompt fits).',
    },
    {
      name: 'prompt_chars',
      value: MAX_PROMPT_CHARS,
      reason: 'Longest prompt accepted (400 beyond); it goes to the CLI on stdin.',
    },
    {
      name: 'input_chars',
      value: MAX_INPUT_CHARS,
      reason: 'Most input per request to an interactive session (400 beyond): keystrokes, not files.',
    },
    // ── sessions and their buffers ──
    {
      name: 'max_sessions',
      value: MAX_SESSIONS,
      reason:
        'Most sessions at once (429 SESSION_LIMIT beyond); each may hold a CLI process and its buffers.',
    },
    {
      name: 'session_terminal_bytes',
      value: SessionLimits.terminalBytes,
      reason: 'Raw terminal output kept per session for replay: many screens of scrollback, bounded.',
    },
    {
      name: 'session_text_bytes',
      value: SessionLimits.textBytes,
      reason:
        'ANSI-stripped text output kept per session (oldest dropped first), so a long session uses fixed memory.',
    },
    {
      name: 'session_messages',
      value: SessionLimits.messages,
      reason: 'Parsed CLI messages kept per session (the most recent), so a long session uses fixed memory.',
    },
    {
      name: 'session_error_bytes',
      value: SessionLimits.errorBytes,
      reason:
        "The CLI's stderr kept per session for error reports; its start says what went wrong, the rest is bounded.",
    },
    {
      name: 'max_queue_tasks',
      value: MAX_QUEUE_TASKS,
      reason: 'Most tasks in the queue (429 TASK_LIMIT beyond); finished ones can be deleted.',
    },
    {
      name: 'max_scheduled_runs',
      value: ScheduledLimits.activeRuns,
      reason: 'Scheduled runs running at once (429 beyond); each holds a session and a CLI process.',
    },
    // ── clients at once ──
    {
      name: 'sse_max_clients',
      value: sources.sse.maxClients,
      reason:
        'Event streams at once (503 TOO_MANY_CLIENTS beyond); each costs a socket and up to its backlog.',
    },
    {
      name: 'ws_max_clients',
      value: sources.hub.maxClients,
      reason: '/ws connections at once (closed with 1013 beyond); each costs a socket and up to its backlog.',
    },
    {
      name: 'terminal_max_clients',
      value: sources.terminals.maxClients,
      reason:
        'Terminal WebSockets at once (closed with 1013 beyond); each holds up to its high-water mark of output.',
    },
    // ── per-client queues ──
    {
      name: 'ws_max_frame_bytes',
      value: Limits.maxFrameBytes,
      reason: 'Largest WebSocket frame a client may send; larger ones close the socket with 1009.',
    },
    {
      name: 'ws_client_backlog_bytes',
      value: Limits.clientBacklogBytes,
      reason: 'Unsent bytes a /ws client may have queued before it is closed as too slow (1013).',
    },
    {
      name: 'ws_client_high_water_bytes',
      value: Limits.clientHighWaterBytes,
      reason:
        "Unsent bytes above which a /ws client counts as behind; when all are, children's output is held.",
    },
    {
      name: 'ws_stalled_client_seconds',
      value: seconds(Limits.stalledClientMs),
      reason: 'While output is held, how long a /ws client may take nothing before it is closed as stalled.',
    },
    {
      name: 'ws_socket_watermark_bytes',
      value: Limits.socketWatermarkBytes,
      reason:
        "Most bytes handed to one /ws client's socket at a time, so a close frame is not stuck behind megabytes.",
    },
    {
      name: 'client_timeout_seconds',
      value: seconds(sources.hub.heartbeat.timeoutMs),
      reason:
        'A WebSocket client that answers no ping, or an event stream that takes nothing, for this long is disconnected (0: never), so dead clients cannot hold the client slots.',
    },
    {
      name: 'ws_close_handshake_seconds',
      value: seconds(Limits.closeHandshakeMs),
      reason: 'How long a WebSocket client we close may take to answer before its socket is destroyed.',
    },
    {
      name: 'ws_shutdown_close_grace_seconds',
      value: seconds(Limits.shutdownCloseGraceMs),
      reason: 'On shutdown, how long clients get to answer the 1001 close frame.',
    },
    {
      name: 'event_log_backlog_bytes',
      value: Limits.eventLogBacklogBytes,
      reason: 'Unwritten bytes the JSONL event log (sticky-overseer) may buffer before lines are dropped.',
    },
    {
      name: 'event_subscriber_queue_events',
      value: Limits.subscriberQueueEvents,
      reason: 'Events queued for one internal event-bus subscriber before it is dropped (and told).',
    },
    {
      name: 'sse_client_backlog_bytes',
      value: SseLimits.clientBacklogBytes,
      reason: 'Unsent bytes one event stream may fall behind before it is told to resync.',
    },
    {
      name: 'sse_history_events',
      value: SseLimits.historyEvents,
      reason: 'Events kept for Last-Event-ID resume after a short network hiccup.',
    },
    {
      name: 'sse_history_bytes',
      value: SseLimits.historyBytes,
      reason:
        'Bytes of framed events kept for Last-Event-ID resume: terminal output can be large, so bytes are capped too.',
    },
    {
      name: 'sse_keep_alive_seconds',
      value: seconds(SseLimits.keepAliveMs),
      reason: 'Interval of the keep-alive comment, so proxies and browsers keep the stream open.',
    },
    {
      name: 'terminal_high_water_chars',
      value: TerminalFlow.highWaterChars,
      reason:
        'Unacknowledged characters above which terminal output is dropped for a client (it is caught up later).',
    },
    {
      name: 'terminal_low_water_chars',
      value: TerminalFlow.lowWaterChars,
      reason: 'Unacknowledged characters under which a terminal client that was behind is caught up.',
    },
    {
      name: 'terminal_catch_up_chars',
      value: TerminalFlow.catchUpChars,
      reason: "Characters of the buffer's tail sent to a terminal client after a skip (about a screenful).",
    },
    {
      name: 'terminal_queue_events',
      value: TerminalFlow.maxQueuedEvents,
      reason: 'Events queued for one terminal socket between deliveries before it is closed (1013).',
    },
    {
      name: 'terminal_client_backlog_bytes',
      value: sources.terminals.backlogBytes,
      reason: 'Unsent bytes one terminal socket may hold before it is closed as too slow (1013).',
    },
  ];
}

function limitFamilies(sources: MetricsSources): MetricFamily[] {
  return serverLimits(sources).map((limit) => ({
    name: `claudeman_limit_${limit.name}`,
    help: limit.reason,
    type: 'gauge',
    samples: [{ value: limit.value }],
  }));
}

/** What `/metrics` shows for `claudeman web`. */
export function collectClaudemanMetrics(sources: MetricsSources): MetricFamily[] {
  const byStatus = new Map<string, number>();
  let processes = 0;
  for (const session of sources.sessions.list()) {
    byStatus.set(session.status, (byStatus.get(session.status) ?? 0) + 1);
    if (session.hasProcess) processes++;
  }
  const byState = new Map<string, number>();
  for (const task of sources.supervisor.list()) byState.set(task.state, (byState.get(task.state) ?? 0) + 1);
  const { counters } = sources;
  return [
    {
      name: 'claudeman_sessions',
      help: 'Claude Code sessions by status.',
      type: 'gauge',
      samples: ['idle', 'busy', 'stopped', 'error'].map((status) => ({
        labels: { status },
        value: byStatus.get(status) ?? 0,
      })),
    },
    {
      name: 'claudeman_session_processes',
      help: 'CLI processes running.',
      type: 'gauge',
      samples: [{ value: processes }],
    },
    {
      name: 'claudeman_overseer_tasks',
      help: 'Supervised tasks by state.',
      type: 'gauge',
      samples: ['active', 'stopped', 'errored'].map((state) => ({
        labels: { state },
        value: byState.get(state) ?? 0,
      })),
    },
    {
      name: 'claudeman_overseer_workers_running',
      help: 'Supervised processes running.',
      type: 'gauge',
      samples: [{ value: sources.supervisor.runningCount }],
    },
    {
      name: 'claudeman_clients',
      help: 'Connected clients by kind.',
      type: 'gauge',
      samples: [
        { labels: { kind: 'overseer_ws' }, value: sources.hub.connectionCount },
        { labels: { kind: 'sse' }, value: sources.sse.clientCount },
        { labels: { kind: 'terminal' }, value: sources.terminals.count },
      ],
    },
    {
      name: 'claudeman_overseer_restarts_total',
      help: 'Automatic restarts of supervised tasks.',
      type: 'counter',
      samples: [{ value: counters.count('process:restarting') }],
    },
    {
      name: 'claudeman_overseer_output_lines_total',
      help: 'Output lines read from supervised tasks.',
      type: 'counter',
      samples: [{ value: counters.outputLines }],
    },
    {
      name: 'claudeman_terminal_chars_total',
      help: 'Terminal output characters streamed from sessions.',
      type: 'counter',
      samples: [{ value: counters.terminalChars }],
    },
    {
      name: 'claudeman_events_total',
      help: 'Engine events published, by kind.',
      type: 'counter',
      samples: [...counters.byKind.entries()].map(([kind, value]) => ({
        labels: { kind: metricKind(kind) },
        value,
      })),
    },
    ...limitFamilies(sources),
    ...recoveryFamilies(sources.recovery),
    ...storageFamilies(sources.databaseOk, sources.storage),
  ];
}

/**
 * The `kind` label of an event: the supervisor's `process:*` events keep the `overseer:*` values this
 * metric has always had (dashboards and alerts match on them).
 */
function metricKind(kind: string): string {
  return kind.startsWith('process:') ? `overseer:${kind.slice('process:'.length)}` : kind;
}

const REAP_OUTCOMES: readonly ReapOutcomeKind[] = ['ended', 'killed', 'already-gone', 'pid-reused', 'spared'];

/** What the start-up found of the previous instance: its orphans, and its sessions' agents. */
function recoveryFamilies(recovery: MetricsSources['recovery']): MetricFamily[] {
  if (recovery === undefined) return [];
  return [
    {
      name: 'claudeman_boot_orphans',
      help: 'Processes a previous (killed) instance left behind, by what this start did with them: ended (SIGTERM), killed (SIGKILL), already-gone, pid-reused (left alone), spared.',
      type: 'gauge',
      samples: REAP_OUTCOMES.map((outcome) => ({
        labels: { outcome },
        value: recovery.orphans.get(outcome) ?? 0,
      })),
    },
    {
      name: 'claudeman_boot_sessions',
      help: 'Sessions that had an agent when the previous instance ended: adopted (still running in tmux, re-attached) or interrupted (marked stopped with the reason).',
      type: 'gauge',
      samples: [
        { labels: { result: 'adopted' }, value: recovery.sessions.adopted },
        { labels: { result: 'interrupted' }, value: recovery.sessions.interrupted },
      ],
    },
  ];
}
