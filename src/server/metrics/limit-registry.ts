import { SCHEDULED_LIMIT_REASONS, ScheduledLimits } from '../../agent/scheduled/limits.js';
import { MAX_SESSIONS, MAX_SESSIONS_REASON } from '../../agent/session/session-manager.js';
import { SESSION_LIMIT_REASONS, SessionLimits } from '../../agent/session/session-settings.js';
import { MAX_QUEUE_TASKS, MAX_QUEUE_TASKS_REASON } from '../../agent/tasks/task-queue.js';
import { MAX_PROMPT_CHARS, MAX_PROMPT_CHARS_REASON } from '../../protocol/limits.js';
import { MAX_INPUT_CHARS, MAX_INPUT_CHARS_REASON } from '../../protocol/rest/schemas.js';
import {
  TERMINAL_FLOW_REASONS,
  TERMINAL_VIEW_REASONS,
  TerminalFlow,
  TerminalViewLimits,
} from '../../protocol/terminal-frames.js';
import { type DescribedLimit, describeLimit, describeLimits } from '../../util/limit-reasons.js';
import { BODY_LIMIT_REASON } from '../claudeman-app.js';
import { LIMIT_REASONS, Limits } from '../limits.js';
import { SSE_LIMIT_REASONS, SseLimits } from '../sse/sse-hub.js';
import { TERMINAL_BACKLOG_REASON } from '../terminal/terminal-socket.js';

/** The limits a running server may hold other than the constants (tests lower them). */
export interface RuntimeLimits {
  readonly bodyLimitBytes: number;
  readonly sseMaxClients: number;
  readonly wsMaxClients: number;
  readonly terminalMaxClients: number;
  readonly clientTimeoutMs: number;
  readonly terminalBacklogBytes: number;
}

/**
 * Every limit of the server with the reason it exists, as `/metrics` shows them
 * (`claudeman_limit_*`). Each value and its reason are defined once, next to what they bound; this
 * only lists the groups, from the request inwards.
 */
export function serverLimits(runtime: RuntimeLimits): DescribedLimit[] {
  return [
    // ── requests ──
    describeLimit(runtime.bodyLimitBytes, BODY_LIMIT_REASON),
    describeLimit(MAX_PROMPT_CHARS, MAX_PROMPT_CHARS_REASON),
    describeLimit(MAX_INPUT_CHARS, MAX_INPUT_CHARS_REASON),
    // ── sessions and their buffers, the autonomy features ──
    describeLimit(MAX_SESSIONS, MAX_SESSIONS_REASON),
    ...describeLimits(SessionLimits, SESSION_LIMIT_REASONS),
    describeLimit(MAX_QUEUE_TASKS, MAX_QUEUE_TASKS_REASON),
    ...describeLimits(ScheduledLimits, SCHEDULED_LIMIT_REASONS),
    // ── clients: their number, queues and timeouts ──
    ...describeLimits({ ...SseLimits, maxClients: runtime.sseMaxClients }, SSE_LIMIT_REASONS),
    ...describeLimits(
      {
        ...Limits,
        maxOverseerClients: runtime.wsMaxClients,
        maxTerminalClients: runtime.terminalMaxClients,
        clientTimeoutMs: runtime.clientTimeoutMs,
      },
      LIMIT_REASONS,
    ),
    ...describeLimits(TerminalFlow, TERMINAL_FLOW_REASONS),
    ...describeLimits(TerminalViewLimits, TERMINAL_VIEW_REASONS),
    describeLimit(runtime.terminalBacklogBytes, TERMINAL_BACKLOG_REASON),
  ];
}
