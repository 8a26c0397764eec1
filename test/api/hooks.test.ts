import { afterEach, describe, expect, it } from 'vitest';
import type { SessionSignal } from '../../src/agent/session/session-signals.js';
import { HOOK_SECRET_HEADER } from '../../src/server/rest/routes/hooks.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';

async function createSession(server: ClaudemanTestServer): Promise<string> {
  const body = (await (await server.send('POST', '/api/sessions', {})).json()) as { session: { id: string } };
  return body.session.id;
}

describe('Claude Code hooks', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('gives every CLI the hook settings; the Stop hook reports the finished turn as idle from a hook', async () => {
    server = await startClaudeman({ env: { ...process.env, FAKE_CLAUDE_WORK_MS: '100' } });
    const id = await createSession(server);
    const session = server.running.sessions.get(id);
    if (session === undefined) throw new Error('no session');
    const signals: SessionSignal[] = [];
    session.onSignal((signal) => {
      if (signal.kind !== 'output') signals.push(signal);
    });
    expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    await pollUntil(() => session.terminal.toString().includes('❯'), 'the prompt');
    expect((await server.send('POST', `/api/sessions/${id}/input`, { input: 'hello hooks\r' })).status).toBe(
      200,
    );
    await pollUntil(
      () => signals.some((s) => s.kind === 'idle' && s.source === 'hook'),
      'a Stop hook to reach the server',
      10_000,
    );
    const fromHooks = signals.filter(
      (s) => (s.kind === 'idle' || s.kind === 'working') && s.source === 'hook',
    );
    expect(fromHooks.map((s) => s.kind)).toEqual(['working', 'idle']);
    expect(session.claudeSessionId).not.toBeNull();
    // The Stop hook's final text is kept as a structured message.
    const last = session.messages.at(-1) as { type: string; message: { content: { text: string }[] } };
    expect(last.type).toBe('assistant');
    expect(last.message.content[0]?.text).toContain('Echo: hello hooks');
  });

  it('takes a hook only with the session secret and without the access token', async () => {
    server = await startClaudeman();
    const id = await createSession(server);
    const session = server.running.sessions.get(id);
    if (session === undefined) throw new Error('no session');
    expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    const post = (secret: string | null, body: unknown, sessionId = id) =>
      fetch(`${server?.baseUrl}/api/hooks/${sessionId}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(secret === null ? {} : { [HOOK_SECRET_HEADER]: secret }),
        },
        body: JSON.stringify(body),
      });
    const notification = {
      hook_event_name: 'Notification',
      notification_type: 'permission_prompt',
      message: 'Claude needs your permission to use Bash',
    };
    expect((await post(null, notification)).status).toBe(401);
    expect((await post('wrong', notification)).status).toBe(401);
    expect((await post(session.hookSecret, notification, 'other-session')).status).toBe(401);
    expect((await post(session.hookSecret, [])).status).toBe(400);
    const accepted = await post(session.hookSecret, notification);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ success: true, verdict: 'attention' });
    const info = (await (await server.api(`/api/sessions/${id}`)).json()) as { attention: unknown };
    expect(info.attention).toMatchObject({
      kind: 'permission',
      message: 'Claude needs your permission to use Bash',
    });
    // The secret is never part of what the API shows.
    expect(JSON.stringify(await (await server.api('/api/sessions')).json())).not.toContain(
      session.hookSecret,
    );
  });

  it('ignores a hook from a CLI that has ended: a stopped session stays stopped', async () => {
    server = await startClaudeman({ terminalHost: 'pty' });
    const id = await createSession(server);
    const session = server.running.sessions.get(id);
    if (session === undefined) throw new Error('no session');
    expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    await pollUntil(() => session.terminal.toString().includes('❯'), 'the prompt');
    await session.stop('stopped by the test');
    const before = (await (await server.api(`/api/sessions/${id}`)).json()) as Record<string, unknown>;
    expect(before.status).toBe('stopped');
    const late = await fetch(`${server.baseUrl}/api/hooks/${id}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: session.hookSecret },
      body: JSON.stringify({ hook_event_name: 'Stop', last_assistant_message: 'a turn that is over' }),
    });
    expect(late.status).toBe(200);
    expect(await late.json()).toEqual({ success: true, verdict: 'ignored' });
    const after = (await (await server.api(`/api/sessions/${id}`)).json()) as Record<string, unknown>;
    expect(after.status).toBe('stopped');
    expect(after.pid).toBeNull();
    expect(JSON.stringify(session.messages)).not.toContain('a turn that is over');
  });
});
