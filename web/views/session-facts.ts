import type { SessionAgentState, SessionInfo } from '../../src/protocol/rest/session.js';
import { formatTime, h } from '../dom.js';

/** The agent's typed state, its spend and its model, as the session header shows them. */

const LABELS: Record<SessionAgentState, string> = {
  starting: 'starting',
  working: 'working',
  waiting: 'waiting',
  needs_permission: 'needs permission',
  needs_input: 'needs input',
  limited: 'limited',
  errored: 'errored',
  exited: 'exited',
};

/** 950, 12.3k, 4.56M. */
export function formatTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 1_000_000) return `${(count / 1000).toFixed(1)}k`;
  return `${(count / 1_000_000).toFixed(2)}M`;
}

function shortTime(epochMs: number): string {
  return new Date(epochMs).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function badgeText(session: SessionInfo): string {
  const label = LABELS[session.state];
  if (session.state === 'limited' && session.limitedUntil !== null)
    return `${label} until ${shortTime(session.limitedUntil)}`;
  if (session.state === 'errored' && session.stateReason !== null) {
    const reason = session.stateReason;
    return `${label}: ${reason.length > 60 ? `${reason.slice(0, 60)}…` : reason}`;
  }
  return label;
}

export function agentStateBadge(session: SessionInfo): HTMLElement {
  const since = `since ${formatTime(session.stateSince)}`;
  return h(
    'span',
    {
      class: `badge state-badge state-${session.state}`,
      'data-testid': 'agent-state',
      'data-state': session.state,
      title: session.stateReason === null ? since : `${session.stateReason} (${since})`,
    },
    badgeText(session),
  );
}

/** Tokens, model and context use, each when known. */
export function agentFacts(session: SessionInfo): HTMLElement[] {
  const cost = session.cost;
  const tokens = cost.inputTokens + cost.outputTokens + cost.cacheReadTokens + cost.cacheWriteTokens;
  const facts = [
    h(
      'span',
      {
        'data-testid': 'session-tokens',
        title: `input ${cost.inputTokens} · output ${cost.outputTokens} · cache read ${cost.cacheReadTokens} · cache write ${cost.cacheWriteTokens}`,
      },
      `· ${formatTokens(tokens)} tokens`,
    ),
  ];
  if (session.maxCostUsd !== null)
    facts.push(h('span', { title: 'budget: the agent stops here' }, `of $${session.maxCostUsd.toFixed(2)}`));
  if (session.model !== null) facts.push(h('span', { 'data-testid': 'session-model' }, session.model));
  if (session.contextUsedPct !== null)
    facts.push(
      h(
        'span',
        {
          class: session.contextUsedPct >= 80 ? 'context-high' : null,
          'data-testid': 'session-context',
          title: 'share of the context window in use',
        },
        `ctx ${Math.round(session.contextUsedPct)}%`,
      ),
    );
  return facts;
}
