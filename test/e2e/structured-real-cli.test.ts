import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import type { TranscriptPage } from '../../src/protocol/rest/transcript.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { createRealClaudeHome, REAL_CLAUDE_PATH, type RealClaudeHome } from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * The real Claude Code CLI, interactive, against our fake Messages API: what the session knows comes
 * from the CLI's structure (hooks, its transcript), not from its screen. The fake answers by the
 * prompt: "TOOL" → a Bash tool call, "FAIL" → HTTP 400, "LIMIT" → HTTP 429, else a text reply.
 */
describe('interactive sessions of the real CLI, observed through structure', () => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer | null = null;

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      reply: (call) => {
        if (call.structured) return undefined;
        if (call.userText.includes('FAIL')) return { errorStatus: 400 };
        if (call.userText.includes('LIMIT')) return { errorStatus: 429 };
        // A Ralph task: "TASK-DONE" answers with its marker, "TASK-SLOW" takes its time and says nothing.
        if (call.userText.includes('TASK-DONE')) return { text: 'Finished. <promise>COMPLETE</promise>' };
        if (call.userText.includes('TASK-SLOW')) return { text: 'Still thinking about it.', delayMs: 8_000 };
        if (call.userText.includes('TOOL') && !call.hasToolResult)
          return {
            text: 'Running it.',
            toolUse: { name: 'Bash', input: { command: 'echo tool-output-42', description: 'echo' } },
          };
        return undefined;
      },
    });
    temp = makeTempDir('claudeman-structured-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir] });
  });
  afterEach(async () => {
    await server?.close();
    server = null;
  });
  afterAll(async () => {
    await fake.close();
    home.remove();
    temp.remove();
  });

  async function interactiveSession(s: ClaudemanTestServer): Promise<string> {
    const created = (await (await s.send('POST', '/api/sessions', { workingDir: workDir })).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    expect((await s.send('POST', `/api/sessions/${id}/interactive`, { cols: 120, rows: 40 })).status).toBe(
      200,
    );
    let ready = false;
    await pollUntil(
      () => {
        void info(s, id).then((session) => {
          ready = session.status === 'idle';
        });
        return ready;
      },
      'the CLI at its prompt',
      45_000,
    );
    return id;
  }

  async function info(s: ClaudemanTestServer, id: string): Promise<SessionInfo> {
    return (await (await s.api(`/api/sessions/${id}`)).json()) as SessionInfo;
  }

  async function waitFor(
    s: ClaudemanTestServer,
    id: string,
    test: (session: SessionInfo) => boolean,
    what: string,
  ): Promise<SessionInfo> {
    let last: SessionInfo | null = null;
    await pollUntil(
      () => {
        void info(s, id).then((session) => {
          last = session;
        });
        return last !== null && test(last);
      },
      what,
      45_000,
    );
    return last as unknown as SessionInfo;
  }

  it('keeps the transcript of a turn with a tool call, and its cost; a viewer resizing changes nothing', async () => {
    server = await startClaudeman({ claudeBin: REAL_CLAUDE_PATH, env: home.env });
    const s = server;
    const id = await interactiveSession(s);
    expect(
      (await s.send('POST', `/api/sessions/${id}/input`, { input: 'TOOL please run the echo\r' })).status,
    ).toBe(200);
    const done = await waitFor(
      s,
      id,
      (session) => session.state === 'waiting' && session.cost.totalUsd > 0,
      'the turn done, with its cost',
    );
    expect(done.totalCost).toBe(done.cost.totalUsd);
    expect(done.cost.inputTokens).toBeGreaterThan(0);
    expect(done.cost.outputTokens).toBeGreaterThan(0);
    expect(done.model).toMatch(/claude/);

    let page: TranscriptPage | null = null;
    await pollUntil(
      () => {
        void s
          .api(`/api/sessions/${id}/transcript?after=0&limit=100`)
          .then((response) => response.json())
          .then((body) => {
            page = body as TranscriptPage;
          });
        const current = page as TranscriptPage | null;
        if (current !== null && !Array.isArray(current.entries)) throw new Error(JSON.stringify(current));
        return current?.entries.some((entry) => entry.text === 'FAKE REPLY: tool finished') === true;
      },
      'the reply in the transcript',
      30_000,
    );
    const entries = (page as unknown as TranscriptPage).entries;
    const kinds = entries.map((entry) => entry.kind);
    expect(kinds).toEqual(['user', 'assistant', 'tool_use', 'tool_result', 'assistant']);
    expect(entries[0]).toMatchObject({ kind: 'user', text: 'TOOL please run the echo', turn: 1 });
    expect(entries[2]).toMatchObject({
      kind: 'tool_use',
      tool: 'Bash',
      input: { command: 'echo tool-output-42' },
    });
    expect(entries[3]).toMatchObject({ kind: 'tool_result', output: 'tool-output-42', isError: false });
    expect(entries[3]?.toolUseId).toBe(entries[2]?.toolUseId);
    expect(entries.every((entry) => entry.turn === 1)).toBe(true);

    // A viewer of another size arrives: the screen is redrawn, the session stays what it was.
    const before = await info(s, id);
    expect((await s.send('POST', `/api/sessions/${id}/resize`, { cols: 80, rows: 24 })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await info(s, id);
    expect(after.state).toBe('waiting');
    expect(after.stateSince).toBe(before.stateSince);
    expect(after.status).toBe('idle');
  }, 150_000);

  it('shows an API error of an interactive turn as errored, with its text, within seconds', async () => {
    server = await startClaudeman({ claudeBin: REAL_CLAUDE_PATH, env: home.env });
    const s = server;
    const id = await interactiveSession(s);
    const sent = Date.now();
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'FAIL on purpose\r' });
    const failed = await waitFor(s, id, (session) => session.state === 'errored', 'the errored state');
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(failed.stateReason).toContain('API Error: 400');
    expect(failed.lastError).toContain('API Error: 400');
    expect(failed.status).toBe('idle');
  }, 120_000);

  it('shows a rate limit as limited, with when it lifts', async () => {
    server = await startClaudeman({ claudeBin: REAL_CLAUDE_PATH, env: home.env });
    const s = server;
    const id = await interactiveSession(s);
    await s.send('POST', `/api/sessions/${id}/input`, { input: 'LIMIT on purpose\r' });
    const limited = await waitFor(s, id, (session) => session.state === 'limited', 'the limited state');
    expect(limited.limitedUntil).toBeGreaterThan(Date.now());
    expect(limited.stateReason).toContain('429');
  }, 120_000);

  it('a viewer of another size after a marker completes nothing; a Ralph budget stops interactive work', async () => {
    server = await startClaudeman({ claudeBin: REAL_CLAUDE_PATH, env: home.env });
    const s = server;
    const id = await interactiveSession(s);
    const task = async (taskId: string, prompt: string, dependsOn: string[] = []) =>
      expect(
        (await s.send('POST', '/api/tasks', { id: taskId, prompt, completionPhrase: 'COMPLETE', dependsOn }))
          .status,
      ).toBe(201);
    await task('first', 'TASK-DONE the first task');
    await task('second', 'TASK-SLOW the second task', ['first']);
    expect((await s.send('POST', '/api/ralph/start', { sessionIds: [id] })).status).toBe(200);
    const taskStatus = async (taskId: string): Promise<string> =>
      ((await (await s.api(`/api/tasks/${taskId}`)).json()) as { status: string }).status;
    let second = '';
    await pollUntil(
      () => {
        void taskStatus('second').then((status) => {
          second = status;
        });
        return second === 'running';
      },
      'the second task handed out',
      60_000,
    );
    expect(await taskStatus('first')).toBe('completed');
    // The first task's marker is on the screen; a viewer of another size has it redrawn.
    for (const size of [
      { cols: 90, rows: 30 },
      { cols: 160, rows: 50 },
      { cols: 120, rows: 40 },
    ]) {
      expect((await s.send('POST', `/api/sessions/${id}/resize`, size)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
    expect(await taskStatus('second')).toBe('running');
    await s.send('POST', '/api/ralph/stop', {});

    // The cost of interactive turns counts against the loop's budget.
    await task('third', 'TASK-DONE the third task');
    await task('fourth', 'TASK-DONE the fourth task', ['third']);
    const spent = (await info(s, id)).cost.totalUsd;
    expect(spent).toBeGreaterThan(0);
    await waitFor(s, id, (session) => session.status === 'idle', 'the session at rest');
    expect((await s.send('POST', '/api/ralph/start', { sessionIds: [id], maxCostUsd: 0.0001 })).status).toBe(
      200,
    );
    let status: { running: boolean; stopReason: string | null } = { running: true, stopReason: null };
    await pollUntil(
      () => {
        void s
          .api('/api/ralph')
          .then((response) => response.json())
          .then((body) => {
            status = body as typeof status;
          });
        return !status.running && status.stopReason !== null;
      },
      'the loop stopped by its budget',
      90_000,
    );
    expect(status.stopReason).toMatch(/^budget reached/);
    expect(await taskStatus('fourth')).not.toBe('completed');
  }, 240_000);
});
