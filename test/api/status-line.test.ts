import http from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import { HOOK_SECRET_HEADER, STATUS_LINE_BODY_LIMIT_BYTES } from '../../src/server/rest/routes/hooks.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * `POST /api/hooks/:sessionId/status`: the status line JSON the status relay posts for a running
 * interactive CLI (here the fake one) becomes the session's cost, context share, model and usage
 * limits; what is malformed or unauthenticated changes nothing.
 */

const HOUR_MS = 3_600_000;

function statusJson(usd: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    session_id: 'conv-1',
    model: { id: 'claude-opus-4-8[1m]', display_name: 'Opus 4.8 (1M context)' },
    cost: { total_cost_usd: usd, total_duration_ms: 1000 },
    context_window: { context_window_size: 1_000_000, used_percentage: 7 },
    ...extra,
  };
}

/** The SSE stream's text so far (terminal output left out), closed at the end of the test. */
function eventStream(s: ClaudemanTestServer): { text: () => string; close: () => void } {
  let text = '';
  const request = http.get({
    host: '127.0.0.1',
    port: s.port,
    path: '/api/events?exclude=session:terminal,session:output',
    headers: { authorization: `Bearer ${s.token}` },
    agent: false,
  });
  request.on('response', (response) => {
    response.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
    });
  });
  request.on('error', () => {
    // Destroyed at the end of the test.
  });
  return { text: () => text, close: () => request.destroy() };
}

describe('status line reports', () => {
  let server: ClaudemanTestServer | null = null;
  let temp: ReturnType<typeof makeTempDir> | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    temp?.remove();
    temp = null;
  });

  async function interactiveSession(s: ClaudemanTestServer): Promise<string> {
    const created = (await (await s.send('POST', '/api/sessions', {})).json()) as { session: { id: string } };
    const id = created.session.id;
    await startCli(s, id);
    return id;
  }

  async function startCli(s: ClaudemanTestServer, id: string): Promise<void> {
    expect((await s.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    const session = s.running.sessions.get(id);
    // A restarted server's session shows its earlier screens too: the prompt must come after them.
    const shown = session?.terminal.toString().length ?? 0;
    await pollUntil(() => session?.terminal.toString().slice(shown).includes('❯') === true, 'the prompt');
  }

  async function info(s: ClaudemanTestServer, id: string): Promise<SessionInfo> {
    return (await (await s.api(`/api/sessions/${id}`)).json()) as SessionInfo;
  }

  function post(
    s: ClaudemanTestServer,
    id: string,
    body: unknown,
    secret: string | null = s.running.sessions.get(id)?.hookSecret ?? null,
  ): Promise<Response> {
    return fetch(`${s.baseUrl}/api/hooks/${id}/status`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(secret === null ? {} : { [HOOK_SECRET_HEADER]: secret }),
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  it('are taken only with the session’s secret, as a JSON object within the limit', async () => {
    server = await startClaudeman({ terminalHost: 'pty' });
    const s = server;
    const id = await interactiveSession(s);
    const before = await info(s, id);
    expect((await post(s, id, statusJson(1), null)).status).toBe(401);
    expect((await post(s, id, statusJson(1), 'wrong')).status).toBe(401);
    const other = await post(s, 'no-such-session', statusJson(1), s.running.sessions.get(id)?.hookSecret);
    expect(other.status).toBe(401);
    const malformed = await post(s, id, '{"cost": {"total_cost_usd": 1');
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { success: boolean }).success).toBe(false);
    expect((await post(s, id, [statusJson(1)])).status).toBe(400);
    const padding = 'x'.repeat(STATUS_LINE_BODY_LIMIT_BYTES);
    expect((await post(s, id, statusJson(1, { padding }))).status).toBe(413);
    const after = await info(s, id);
    expect(after.cost).toEqual(before.cost);
    expect(after.contextUsedPct).toBe(before.contextUsedPct);
    expect(after.model).toBe(before.model);
  });

  it('set cost, context share and model, mark a reached usage limit, and survive a restart', async () => {
    temp = makeTempDir('status-line-api-');
    const dataDir = join(temp.path, 'data');
    const casesDir = join(temp.path, 'cases');
    server = await startClaudeman({ dataDir, casesDir, terminalHost: 'pty' });
    let s = server;
    const id = await interactiveSession(s);
    const events = eventStream(s);
    try {
      await pollUntil(() => events.text().includes('event: init'), 'the event stream open');
      const accepted = await post(s, id, statusJson(0.0123));
      expect(accepted.status).toBe(200);
      expect(await accepted.json()).toEqual({ success: true, applied: true });
      let session = await info(s, id);
      expect(session.cost.totalUsd).toBeCloseTo(0.0123, 12);
      expect(session.totalCost).toBe(session.cost.totalUsd);
      expect(session.contextUsedPct).toBe(7);
      expect(session.model).toBe('claude-opus-4-8[1m]');
      expect(session.rateLimits).toBeUndefined();
      await pollUntil(() => events.text().includes('event: session:cost'), 'a session:cost event');

      // Below the limit: figures kept, the session as it was.
      const fiveHourReset = Math.ceil((Date.now() + HOUR_MS) / 1000);
      const sevenDayReset = Math.ceil((Date.now() + 50 * HOUR_MS) / 1000);
      const limits = (fiveHour: number) => ({
        rate_limits: {
          five_hour: { used_percentage: fiveHour, resets_at: fiveHourReset },
          seven_day: { used_percentage: 40, resets_at: sevenDayReset },
        },
      });
      await post(s, id, statusJson(0.02, limits(80)));
      session = await info(s, id);
      expect(session.state).not.toBe('limited');
      expect(session.rateLimits).toEqual({
        fiveHour: { usedPct: 80, resetsAt: fiveHourReset * 1000 },
        sevenDay: { usedPct: 40, resetsAt: sevenDayReset * 1000 },
      });
      expect(events.text()).not.toContain('event: session:limited');

      // At 100 %: limited until the window resets, told once however often the CLI refreshes.
      await post(s, id, statusJson(0.03, limits(100)));
      await post(s, id, statusJson(0.03, limits(100)));
      session = await info(s, id);
      expect(session.state).toBe('limited');
      expect(session.limitedUntil).toBe(fiveHourReset * 1000);
      expect(session.stateReason).toBe('usage limit reached (5-hour window at 100%)');
      expect(session.cost.totalUsd).toBeCloseTo(0.03, 12);
      await pollUntil(() => events.text().includes('event: session:limited'), 'a session:limited event');
      expect(events.text().split('event: session:limited').length - 1).toBe(1);
    } finally {
      events.close();
    }

    await s.running.sessions.get(id)?.stop();
    const stopped = await info(s, id);
    await s.close({ keepSessions: true });
    server = await startClaudeman({ dataDir, casesDir, terminalHost: 'pty' });
    s = server;
    const restored = await info(s, id);
    expect(restored.cost).toEqual(stopped.cost);
    expect(restored.cost.totalUsd).toBeCloseTo(0.03, 12);
    expect(restored.contextUsedPct).toBe(7);
    expect(restored.model).toBe('claude-opus-4-8[1m]');
    expect(restored.rateLimits?.fiveHour?.usedPct).toBe(100);
    expect(JSON.stringify(restored)).not.toContain('cliCost');

    // A late report of the ended CLI changes nothing.
    expect(await (await post(s, id, statusJson(5))).json()).toEqual({ success: true, applied: false });
    // The next CLI resumes the conversation with its counter restored: only growth is new.
    await startCli(s, id);
    await post(s, id, statusJson(0.03));
    expect((await info(s, id)).cost.totalUsd).toBeCloseTo(0.03, 12);
    await post(s, id, statusJson(0.05));
    expect((await info(s, id)).cost.totalUsd).toBeCloseTo(0.05, 12);
    // A new conversation's counter starts at zero, and adds to the total.
    await s.running.sessions.get(id)?.stop();
    await startCli(s, id);
    await post(s, id, statusJson(0, { session_id: 'conv-2' }));
    await post(s, id, statusJson(0.01, { session_id: 'conv-2' }));
    expect((await info(s, id)).cost.totalUsd).toBeCloseTo(0.06, 12);
  });
});
