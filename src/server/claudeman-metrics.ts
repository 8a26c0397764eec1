import { SessionLimits } from '../agent/session.js';
import type { SessionManager } from '../agent/session-manager.js';
import { MAX_SESSIONS } from '../agent/session-manager.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { Limits } from './limits.js';
import type { EventCounters, MetricFamily } from './metrics.js';
import type { OverseerHub } from './overseer/hub.js';
import { type SseHub, SseLimits } from './sse/sse-hub.js';

export interface MetricsSources {
  readonly sessions: SessionManager;
  readonly supervisor: Supervisor;
  readonly hub: OverseerHub;
  readonly sse: SseHub;
  readonly counters: EventCounters;
}

/** Every limit of the server, by name, so an operator sees what bounds what. */
function limitSamples() {
  const limits: Record<string, number> = {
    max_sessions: MAX_SESSIONS,
    session_terminal_bytes: SessionLimits.terminalBytes,
    session_text_bytes: SessionLimits.textBytes,
    session_messages: SessionLimits.messages,
    ws_max_frame_bytes: Limits.maxFrameBytes,
    ws_client_backlog_bytes: Limits.clientBacklogBytes,
    ws_client_high_water_bytes: Limits.clientHighWaterBytes,
    sse_history_events: SseLimits.historyEvents,
    sse_history_bytes: SseLimits.historyBytes,
    sse_client_backlog_bytes: SseLimits.clientBacklogBytes,
    sse_max_clients: SseLimits.maxClients,
  };
  return Object.entries(limits).map(([name, value]) => ({ labels: { name }, value }));
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
      ],
    },
    {
      name: 'claudeman_overseer_restarts_total',
      help: 'Automatic restarts of supervised tasks.',
      type: 'counter',
      samples: [{ value: counters.count('overseer:restarting') }],
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
      samples: [...counters.byKind.entries()].map(([kind, value]) => ({ labels: { kind }, value })),
    },
    { name: 'claudeman_limit', help: 'Configured limits, by name.', type: 'gauge', samples: limitSamples() },
  ];
}
