// A submitted prompt that the CLI never takes (no UserPromptSubmit hook within 10 s: a start-up menu
// or a dialog ate it) raises `attention: stuck_input` with what the screen shows; typing clears it.
import { afterEach, describe, expect, it } from 'vitest';
import { STUCK_INPUT_MS } from '../../src/agent/session/stuck-input.js';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import { pollAsync } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';

describe('stuck input', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('asks for a person when a prompt is not taken within 10 s, quoting the screen; not when it is', async () => {
    const s = await startClaudeman({ env: { ...process.env, FAKE_CLAUDE_WORK_MS: '100' } });
    server = s;
    const created = (await (await s.send('POST', '/api/sessions', {})).json()) as { session: SessionInfo };
    const id = created.session.id;
    expect((await s.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    const session = s.running.sessions.get(id);
    await pollUntil(
      () => session?.reportsTurns === true && session.terminal.toString().includes('❯'),
      'hooks',
    );
    const info = async (): Promise<SessionInfo> =>
      (await (await s.api(`/api/sessions/${id}`)).json()) as SessionInfo;

    // A prompt that is taken: no alarm after the time.
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'taken\r' });
    await pollAsync(async () => (await info()).state === 'waiting', 'the turn');
    const swallowedAt = Date.now();
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'eaten by a menu [[swallow]]\r' });
    let seen = await info();
    await pollAsync(
      async () => {
        seen = await info();
        return seen.attention !== null;
      },
      'the alarm',
      STUCK_INPUT_MS + 10_000,
    );
    expect(Date.now() - swallowedAt).toBeGreaterThanOrEqual(STUCK_INPUT_MS - 100);
    expect(seen.attention).toMatchObject({ kind: 'stuck_input' });
    expect(seen.attention?.message).toMatch(/^the prompt was not taken within 10 s; the screen shows:\n/);
    expect(seen.attention?.message).toContain('Try the new fullscreen renderer?');

    // A person answers: the alarm goes.
    await s.send('POST', `/api/sessions/${id}/input`, { input: '2' });
    expect((await info()).attention).toBeNull();
  }, 40_000);
});
