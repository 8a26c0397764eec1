import type { SessionManager, SessionRecovery } from '../../agent/session/session-manager.js';
import type { CostSummary } from '../../protocol/rest/status.js';
import type { StorageStatus } from '../../store/storage-guard.js';
import type { ReapOutcomeKind } from '../../supervisor/recovery/orphan-reaper.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { OverseerHub } from '../overseer/hub.js';
import type { SseHub } from '../sse/sse-hub.js';
import type { TerminalClients } from '../terminal/route.js';
import { serverLimits } from './limit-registry.js';
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
  /** What the agents spent: per day, case, Ralph run and scheduled run. */
  readonly costs?: CostSummary;
  /** What this server's start found of the previous one's processes (after a crash: its orphans). */
  readonly recovery?: {
    readonly orphans: ReadonlyMap<ReapOutcomeKind, number>;
    readonly sessions: SessionRecovery;
  };
}

function costFamilies(costs: CostSummary | undefined): MetricFamily[] {
  if (costs === undefined) return [];
  const usd = (name: string, help: string, samples: MetricFamily['samples']): MetricFamily => ({
    name: `claudeman_${name}`,
    help,
    type: 'gauge',
    samples,
  });
  return [
    usd('cost_usd_total', 'USD the agents spent since the ledger began (deleted sessions included).', [
      { value: costs.totalUsd },
    ]),
    usd('cost_usd_today', "USD spent today (the server's local date).", [{ value: costs.todayUsd }]),
    usd(
      'case_cost_usd',
      'USD spent per case, all time (case "" is work outside the cases root).',
      costs.cases.map((entry) => ({ labels: { case: entry.case }, value: entry.usd })),
    ),
    usd('ralph_cost_usd', "USD the Ralph loop's current (or last) run spent.", [{ value: costs.ralphUsd }]),
    usd(
      'scheduled_run_cost_usd',
      'USD each kept scheduled run spent.',
      costs.scheduledRuns.map((run) => ({ labels: { run: run.id }, value: run.usd })),
    ),
  ];
}

function limitFamilies(sources: MetricsSources): MetricFamily[] {
  const limits = serverLimits({
    bodyLimitBytes: sources.bodyLimitBytes,
    sseMaxClients: sources.sse.maxClients,
    wsMaxClients: sources.hub.maxClients,
    terminalMaxClients: sources.terminals.maxClients,
    clientTimeoutMs: sources.hub.heartbeat.timeoutMs,
    terminalBacklogBytes: sources.terminals.backlogBytes,
  });
  return limits.map((limit) => ({
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
    ...costFamilies(sources.costs),
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
