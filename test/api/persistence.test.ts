// API: state across a restart on the same data directory (SQLite) and cases root.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/agent/terminal/ansi.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  createSession,
  expectApiError,
  expectJson,
  expectJsonArray,
  getSession,
  getTerminal,
  type Json,
  useApiResources,
  waitForSession,
  waitForTerminal,
} from '../helpers/api-client.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

const r = useApiResources();

describe('restart on the same data directory', () => {
  it('keeps sessions with their last state, their terminal history, and the cases', async () => {
    const root = r.tempDir('claudeman-persist-');
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
    const first = await r.server(dirs);

    await expectJson(await first.send('POST', '/api/cases', { name: 'kept', description: 'survives' }), 201);
    const oneShot = String((await createSession(first)).id);
    await expectJson(
      await first.send('POST', `/api/sessions/${oneShot}/run`, { prompt: 'remember me [[cost:0.25]]' }),
      200,
    );
    const ran = await waitForSession(first, oneShot, (x) => x.status === 'idle' && x.pid === null, 'the run');
    expect(ran.totalCost).toBe(0.25);
    const claudeSessionId = asString(ran.claudeSessionId);

    const live = String((await createSession(first, { workingDir: 'kept' })).id);
    await expectJson(await first.send('POST', `/api/sessions/${live}/interactive`, {}), 200);
    await waitForTerminal(first, live, '\u276f');
    await expectJson(await first.send('POST', `/api/sessions/${live}/input`, { input: 'hello\r' }), 200);
    await waitForTerminal(first, live, 'Echo: hello');
    const livePid = asNumber((await getSession(first, live)).pid);

    const failed = String((await createSession(first)).id);
    await expectJson(
      await first.send('POST', `/api/sessions/${failed}/run`, { prompt: 'boom [[crash]]' }),
      200,
    );
    const crashed = await waitForSession(first, failed, (x) => x.status === 'error', 'the crash');

    const deleted = String((await createSession(first)).id);
    await expectJson(await first.api(`/api/sessions/${deleted}`, { method: 'DELETE' }), 200);

    const before = new Map(
      (await expectJsonArray(await first.api('/api/sessions'))).map((x) => [asObject(x).id, asObject(x)]),
    );
    await r.closeServer(first);
    await pollUntil(() => !processExists(livePid), `interactive pid ${livePid} gone after close`, 10_000);

    const second = await r.server(dirs);
    const list = (await expectJsonArray(await second.api('/api/sessions'))).map((x) => asObject(x));
    expect(list.map((x) => x.id).sort()).toEqual([oneShot, live, failed].sort());
    await expectApiError(await second.api(`/api/sessions/${deleted}`), 404, 'SESSION_NOT_FOUND');

    // The one-shot session: as it was.
    const a = await getSession(second, oneShot);
    const wasA = before.get(oneShot) as Json;
    expect(a.status).toBe('idle');
    expect(a.mode).toBe('oneshot');
    expect(a.pid).toBeNull();
    expect(a.totalCost).toBe(0.25);
    expect(a.claudeSessionId).toBe(claudeSessionId);
    expect(a.messageCount).toBe(3);
    expect(a.createdAt).toBe(wasA.createdAt);
    expect(a.workingDir).toBe(wasA.workingDir);
    expect(a.lastPromptTime).toBe(wasA.lastPromptTime);
    expect((await getTerminal(second, oneShot)).terminalBuffer).toContain('Echo: remember me');
    const out = await expectJson(await second.api(`/api/sessions/${oneShot}/output`), 200);
    expect(asString(out.textOutput)).toContain('Echo: remember me');
    // Its transcript, cost and tokens were stored with it.
    expect(a.cost).toEqual(wasA.cost);
    expect(asNumber(asObject(a.cost).outputTokens)).toBeGreaterThan(0);
    const transcript = await expectJson(await second.api(`/api/sessions/${oneShot}/transcript`), 200);
    const entries = asArray(transcript.entries).map((x) => asObject(x));
    expect(entries[0]).toMatchObject({ kind: 'user', text: 'remember me [[cost:0.25]]', turn: 1 });
    expect(entries.map((x) => x.kind)).toContain('assistant');
    expect(entries.find((x) => x.kind === 'assistant')?.text).toContain('Echo: remember me');
    expect(entries.map((x) => x.seq)).toEqual(entries.map((_, i) => i + 1));

    // The failed run keeps its error.
    const c = await getSession(second, failed);
    expect(c.status).toBe('error');
    expect(c.lastError).toBe(crashed.lastError);
    expect(c.exitCode).toBe(2);

    // The cases root is the same.
    const cases = (await expectJsonArray(await second.api('/api/cases'))).map((x) => asObject(x));
    expect(cases).toEqual([
      { name: 'kept', path: join(dirs.casesDir, 'kept'), hasClaudeMd: true, description: 'survives' },
    ]);

    // The session is usable again: another run adds to its cost.
    await expectJson(
      await second.send('POST', `/api/sessions/${oneShot}/run`, { prompt: 'again [[cost:0.5]]' }),
      200,
    );
    const again = await waitForSession(
      second,
      oneShot,
      (x) => x.status === 'idle' && x.pid === null,
      'run 2',
    );
    expect(again.totalCost).toBe(0.75);
    // The new run's entries continue the stored numbering.
    const more = await expectJson(
      await second.api(`/api/sessions/${oneShot}/transcript?after=${entries.length}`),
      200,
    );
    expect(asNumber(asArray(more.entries).map((x) => asObject(x))[0]?.seq)).toBe(entries.length + 1);
  });

  it.skipIf(!TMUX_TESTS)(
    'with tmux, an interactive session survives a restart: the same agent, re-attached, with its scrollback',
    async () => {
      const root = r.tempDir('claudeman-persist-');
      const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
      const first = await r.server(dirs);
      const live = String((await createSession(first)).id);
      await expectJson(await first.send('POST', `/api/sessions/${live}/interactive`, {}), 200);
      await waitForTerminal(first, live, '\u276f');
      await expectJson(
        await first.send('POST', `/api/sessions/${live}/input`, { input: 'keep this\r' }),
        200,
      );
      await waitForTerminal(first, live, 'Echo: keep this');
      const before = await getSession(first, live);
      expect(before.terminalHost).toBe('tmux');
      const pid = asNumber(before.pid);
      await r.closeServer(first, { keepSessions: true });
      // The agent outlived the server.
      expect(processExists(pid)).toBe(true);

      const second = await r.server(dirs);
      const b = await getSession(second, live);
      expect(b.mode).toBe('interactive');
      expect(b.pid).toBe(pid);
      expect(b.lastError).toBeNull();
      const terminal = await getTerminal(second, live);
      expect(stripAnsi(terminal.terminalBuffer)).toContain('Echo: keep this');
      const metrics = await (await second.api('/metrics')).text();
      expect(metrics).toContain('claudeman_boot_sessions{result="adopted"} 1\n');
      // Still answering, through the new server.
      await expectJson(
        await second.send('POST', `/api/sessions/${live}/input`, { input: 'and this\r' }),
        200,
      );
      await waitForTerminal(second, live, 'Echo: and this');
      // Deleting it ends the agent and its tmux session.
      await expectJson(await second.send('DELETE', `/api/sessions/${live}`), 200);
      await pollUntil(() => !processExists(pid), 'the adopted agent to end');
    },
  );

  it('on plain PTYs, an interactive session is stopped by a restart and offers to resume its conversation', async () => {
    const root = r.tempDir('claudeman-persist-');
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases'), terminalHost: 'pty' as const };
    const first = await r.server(dirs);
    const live = String((await createSession(first)).id);
    await expectJson(await first.send('POST', `/api/sessions/${live}/interactive`, {}), 200);
    await waitForTerminal(first, live, '\u276f');
    await expectJson(await first.send('POST', `/api/sessions/${live}/input`, { input: 'keep this\r' }), 200);
    await waitForTerminal(first, live, 'Echo: keep this');
    const claudeSessionId = asString(
      (await waitForSession(first, live, (x) => typeof x.claudeSessionId === 'string', 'the conversation id'))
        .claudeSessionId,
    );
    expect((await getSession(first, live)).terminalHost).toBe('pty');
    await r.closeServer(first);

    const second = await r.server(dirs);
    const b = await getSession(second, live);
    expect(b.mode).toBe('interactive');
    expect(b.pid).toBeNull();
    expect(b.isWorking).toBe(false);
    // Soft: the rest (history, restart) is checked even when these fail.
    expect.soft(b.status).toBe('stopped');
    expect.soft(String(b.lastError)).toMatch(/server restarted.*resume/);
    // Its terminal history is there for the UI.
    const terminal = await getTerminal(second, live);
    expect.soft(terminal.status).toBe('stopped');
    expect(stripAnsi(terminal.terminalBuffer)).toContain('● Echo: keep this');
    // Not interactive any more, but it can be resumed: the same conversation continues.
    await expectApiError(
      await second.send('POST', `/api/sessions/${live}/input`, { input: 'x' }),
      409,
      'NOT_INTERACTIVE',
    );
    await expectJson(await second.send('POST', `/api/sessions/${live}/interactive`, { resume: true }), 200);
    await waitForSession(second, live, (x) => typeof x.pid === 'number', 'a new process');
    await waitForTerminal(second, live, '\u276f');
    expect((await getSession(second, live)).claudeSessionId).toBe(claudeSessionId);
  });

  it('resume is refused for a session that never had a conversation', async () => {
    const s = await r.server({ terminalHost: 'pty' });
    const id = String((await createSession(s)).id);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/interactive`, { resume: true }),
      409,
      'NOTHING_TO_RESUME',
    );
  });

  it('a session whose one-shot run was cut short by the shutdown is not left busy', async () => {
    const root = r.tempDir('claudeman-persist-');
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
    const first = await r.server(dirs);
    const id = String((await createSession(first)).id);
    await expectJson(await first.send('POST', `/api/sessions/${id}/run`, { prompt: 'stuck [[hang]]' }), 200);
    const pid = asNumber((await getSession(first, id)).pid);
    await r.closeServer(first);
    expect(processExists(pid)).toBe(false);

    const second = await r.server(dirs);
    const after = await getSession(second, id);
    expect(after.pid).toBeNull();
    expect(['stopped', 'error']).toContain(after.status);
    expect(after.isWorking).toBe(false);
    expect(typeof after.lastError).toBe('string');
    const status = await expectJson(await second.api('/api/status'), 200);
    expect(asArray(status.sessions)).toHaveLength(1);
  });
});
