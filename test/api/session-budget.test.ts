import { afterEach, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import type { TranscriptPage } from '../../src/protocol/rest/transcript.js';
import { pollAsync } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * An interactive session's cost, from the transcript its CLI writes (the fake writes one as the real
 * CLI does, with each API message's id, model and usage), and the session's own budget.
 */
describe('the cost of interactive sessions', () => {
  let server: ClaudemanTestServer | null = null;
  const temp = makeTempDir('claudeman-budget-');
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  async function start(body: Record<string, unknown>): Promise<{ s: ClaudemanTestServer; id: string }> {
    const s = await startClaudeman({
      env: { ...process.env, FAKE_CLAUDE_WORK_MS: '100', FAKE_CLAUDE_STATE_DIR: temp.path },
    });
    server = s;
    const created = (await (await s.send('POST', '/api/sessions', body)).json()) as { session: SessionInfo };
    const id = created.session.id;
    expect((await s.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    const session = s.running.sessions.get(id);
    await pollUntil(() => session?.terminal.toString().includes('❯') === true, 'the prompt');
    return { s, id };
  }

  const info = async (s: ClaudemanTestServer, id: string): Promise<SessionInfo> =>
    (await (await s.api(`/api/sessions/${id}`)).json()) as SessionInfo;

  it('counts each turn from the transcript: tokens, model, USD; the transcript holds prompt and reply', async () => {
    const { s, id } = await start({});
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'count me\r' });
    let session = await info(s, id);
    await pollAsync(async () => {
      session = await info(s, id);
      return session.cost.totalUsd > 0 && session.state === 'waiting';
    }, 'the turn counted');
    expect(session.cost.inputTokens).toBeGreaterThan(1000);
    expect(session.cost.outputTokens).toBeGreaterThan(0);
    expect(session.model).toMatch(/^claude-/);
    expect(session.totalCost).toBe(session.cost.totalUsd);
    expect(session.maxCostUsd).toBeNull();
    const page = (await (await s.api(`/api/sessions/${id}/transcript`)).json()) as TranscriptPage;
    expect(page.entries.map((entry) => [entry.kind, entry.turn])).toEqual([
      ['user', 1],
      ['assistant', 1],
    ]);
    expect(page.entries[0]?.text).toBe('count me');
    expect(page.entries[1]?.usage?.inputTokens).toBeGreaterThan(1000);
  });

  it('stops the agent once its own maxCostUsd is reached, saying why', async () => {
    const { s, id } = await start({ maxCostUsd: 0.000001 });
    expect((await info(s, id)).maxCostUsd).toBe(0.000001);
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'spend it\r' });
    let session = await info(s, id);
    await pollAsync(async () => {
      session = await info(s, id);
      return session.pid === null && session.status === 'stopped';
    }, 'the agent stopped by its budget');
    expect(session.lastError).toMatch(/^cost budget reached: \$0\.\d{4} spent of \$0\.0000$/);
    expect(session.state).toBe('exited');
  });

  it('refuses a budget that is not a positive number', async () => {
    const s = await startClaudeman({});
    server = s;
    for (const maxCostUsd of [0, -1, 'a lot']) {
      const response = await s.send('POST', '/api/sessions', { maxCostUsd });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('BAD_REQUEST');
    }
  });
});
