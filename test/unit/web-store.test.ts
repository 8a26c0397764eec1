// The web UI's state and its event reducer: plain TypeScript, no DOM, so they are tested here.
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import { applyEvent } from '../../web/reducer.js';
import { Store, sessionState } from '../../web/store.js';

function session(id: string, overrides: Partial<SessionInfo> = {}): SessionInfo {
  return {
    id,
    pid: null,
    status: 'idle',
    mode: 'none',
    workingDir: `/work/${id}`,
    currentTaskId: null,
    createdAt: Number(id.replace(/\D/g, '')) || 1,
    lastActivityAt: 0,
    claudeSessionId: null,
    totalCost: 0,
    messageCount: 0,
    isWorking: false,
    terminalHost: null,
    lastPromptTime: null,
    permissionMode: 'skip',
    lastError: null,
    exitCode: null,
    attention: null,
    bufferStats: {
      terminalBytes: 0,
      terminalLimit: 1,
      textBytes: 0,
      textLimit: 1,
      messages: 0,
      messagesLimit: 1,
    },
    state: 'exited',
    stateSince: 0,
    stateReason: null,
    limitedUntil: null,
    cost: { totalUsd: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    contextUsedPct: null,
    model: null,
    maxCostUsd: null,
    ...overrides,
  };
}

describe('web store and reducer', () => {
  it('takes the init snapshot, selects the first session, and keeps tabs in creation order', () => {
    const store = new Store();
    applyEvent(store, {
      type: 'init',
      data: {
        sessions: [session('s2'), session('s1')],
        scheduledRuns: [],
        respawnStatus: {},
        timestamp: 0,
        casesRoot: '/cases',
        costs: { totalUsd: 0, todayUsd: 0, days: [], cases: [], ralphUsd: 0, scheduledRuns: [] },
      },
    });
    expect(store.orderedSessions().map((s) => s.id)).toEqual(['s1', 's2']);
    expect(store.casesRoot).toBe('/cases');
    expect(store.selectedId).toBe('s1');
  });

  it('follows created, updated, attention and deleted events; the selection moves off a deleted one', () => {
    const store = new Store();
    const seen: string[] = [];
    store.on('sessions', () => seen.push('sessions'));
    applyEvent(store, { type: 'session:created', sessionId: 's1', data: { session: session('s1') } });
    expect(store.selectedId).toBe('s1');
    applyEvent(store, { type: 'session:created', sessionId: 's2', data: { session: session('s2') } });
    applyEvent(store, {
      type: 'session:attention',
      sessionId: 's2',
      data: { attention: { kind: 'permission', message: 'approve?', since: 1 } },
    });
    const s2 = store.sessions.get('s2');
    expect(s2 && sessionState(s2)).toBe('attention');
    applyEvent(store, { type: 'session:deleted', sessionId: 's1', data: {} });
    expect(store.selectedId).toBe('s2');
    expect(seen.length).toBeGreaterThanOrEqual(4);
  });

  it('names the states people see', () => {
    expect(sessionState(session('a'))).toBe('idle');
    expect(sessionState(session('a', { status: 'busy' }))).toBe('working');
    expect(sessionState(session('a', { status: 'stopped' }))).toBe('exited');
    expect(sessionState(session('a', { status: 'error' }))).toBe('error');
  });

  it('keeps a one-shot transcript per session, bounded', () => {
    const store = new Store();
    for (let i = 0; i < 600; i++) {
      applyEvent(store, { type: 'session:running', sessionId: 's1', data: { prompt: `p${i}` } });
    }
    const items = store.transcripts.get('s1') ?? [];
    expect(items.length).toBe(500);
    expect(items.at(-1)).toEqual({ kind: 'prompt', value: 'p599' });
  });

  it('tracks respawn state changes and logs them', () => {
    const store = new Store();
    applyEvent(store, {
      type: 'respawn:started',
      sessionId: 's1',
      data: {
        status: {
          enabled: true,
          state: 'watching',
          cycleCount: 0,
          lastActivityTime: 0,
          timeSinceActivity: 0,
          promptDetected: false,
          workingDetected: false,
          config: {
            idleTimeoutMs: 5000,
            updatePrompt: 'u',
            interStepDelayMs: 1000,
            enabled: true,
            durationLimitMs: null,
            autoResume: true,
            maxWaitMinutes: 360,
          },
          startedAt: 0,
          stopReason: null,
          pausedUntil: null,
        },
      },
    });
    applyEvent(store, {
      type: 'respawn:stateChanged',
      sessionId: 's1',
      data: { from: 'watching', to: 'sending_update' },
    });
    expect(store.respawn.get('s1')?.state).toBe('sending_update');
    expect(store.respawnLog.get('s1')).toEqual(['controller started', 'watching → sending_update']);
  });
});
