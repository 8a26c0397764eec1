import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import type { TranscriptPage } from '../../src/protocol/rest/transcript.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import {
  createRealClaudeHome,
  describeEachRealClaude,
  openTerminal,
  pollFor,
  type RealClaudeHome,
  realCliSessions,
  sendFrame,
} from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The real Claude Code CLI, interactive, against our fake Messages API, in each version the tests
 * cover: what the session knows comes from the CLI's structure (hooks, its transcript), not from its
 * screen. The fake answers by the prompt: "TOOL" → a Bash tool call, "FAIL" → HTTP 400, "LIMIT" →
 * HTTP 429, "TASK-DONE" → a reply with the completion marker, "TASK-HELD" → the marker too, but only
 * once the test lets it go; else a text reply. One server per version; each test has its sessions.
 */
describeEachRealClaude('interactive sessions of the real CLI, observed through structure', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer;
  let api: ReturnType<typeof realCliSessions>;
  const sessions: string[] = [];
  let releaseHeld: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    releaseHeld = resolve;
  });

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      reply: (call) => {
        if (call.structured) return undefined;
        if (call.userText.includes('FAIL')) return { errorStatus: 400 };
        if (call.userText.includes('LIMIT')) return { errorStatus: 429 };
        if (call.userText.includes('TASK-DONE')) return { text: 'Finished. <promise>COMPLETE</promise>' };
        if (call.userText.includes('TASK-HELD'))
          return { text: 'Finished at last. <promise>COMPLETE</promise>', after: held };
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
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir], version: claude.version });
    server = await startClaudeman({ claudeBin: claude.path, env: home.env });
    api = realCliSessions(server);
  });
  afterEach(async () => {
    for (const id of sessions.splice(0)) await api.remove(id);
  });
  afterAll(async () => {
    releaseHeld();
    await server?.close();
    await fake?.close();
    home?.remove();
    temp?.remove();
  });

  async function interactiveSession(): Promise<string> {
    const id = await api.interactive(workDir);
    sessions.push(id);
    return id;
  }

  it('keeps the transcript of a turn with a tool call, and its cost; a viewer resizing changes nothing', async () => {
    const id = await interactiveSession();
    await api.typeLine(id, 'TOOL please run the echo');
    const done = await api.waitFor(
      id,
      (session) => session.state === 'waiting' && session.cost.totalUsd > 0,
      'the turn done, with its cost',
    );
    expect(done.totalCost).toBe(done.cost.totalUsd);
    expect(done.cost.inputTokens).toBeGreaterThan(0);
    expect(done.cost.outputTokens).toBeGreaterThan(0);
    expect(done.model).toMatch(/claude/);

    const page = await pollFor(
      async () =>
        (await (
          await server.api(`/api/sessions/${id}/transcript?after=0&limit=100`)
        ).json()) as TranscriptPage,
      (current) => {
        if (!Array.isArray(current.entries)) throw new Error(JSON.stringify(current));
        return current.entries.some((entry) => entry.text === 'FAKE REPLY: tool finished');
      },
      'the reply in the transcript',
      30_000,
    );
    const entries = page.entries;
    expect(entries.map((entry) => entry.kind)).toEqual([
      'user',
      'assistant',
      'tool_use',
      'tool_result',
      'assistant',
    ]);
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
    const before = await api.info(id);
    expect((await server.send('POST', `/api/sessions/${id}/resize`, { cols: 80, rows: 24 })).status).toBe(
      200,
    );
    await sleep(3_000);
    const after = await api.info(id);
    expect(after.state).toBe('waiting');
    expect(after.stateSince).toBe(before.stateSince);
    expect(after.status).toBe('idle');
  }, 120_000);

  it('shows an API error of an interactive turn as errored, with its text, within seconds', async () => {
    const id = await interactiveSession();
    const sent = Date.now();
    await api.typeLine(id, 'FAIL on purpose');
    const failed = await api.waitFor(id, (session) => session.state === 'errored', 'the errored state');
    expect(Date.now() - sent).toBeLessThan(30_000);
    expect(failed.stateReason).toContain('API Error: 400');
    expect(failed.lastError).toContain('API Error: 400');
    expect(failed.status).toBe('idle');
  }, 90_000);

  it('shows a rate limit as limited, with when it lifts', async () => {
    const id = await interactiveSession();
    await api.typeLine(id, 'LIMIT on purpose');
    const limited = await api.waitFor(id, (session) => session.state === 'limited', 'the limited state');
    expect(limited.limitedUntil).toBeGreaterThan(Date.now());
    expect(limited.stateReason).toContain('429');
  }, 90_000);

  // Last: it leaves the queue with a pending task.
  it('a viewer of another size attaching after a marker completes nothing; a Ralph budget stops interactive work', async () => {
    const id = await interactiveSession();
    const task = async (taskId: string, prompt: string, dependsOn: string[] = []) =>
      expect(
        (
          await server.send('POST', '/api/tasks', {
            id: taskId,
            prompt,
            completionPhrase: 'COMPLETE',
            dependsOn,
          })
        ).status,
      ).toBe(201);
    const status = async (taskId: string) => (await api.task(taskId)).status;
    await task('first', 'TASK-DONE the first task');
    await task('second', 'TASK-HELD the second task', ['first']);
    expect((await server.send('POST', '/api/ralph/start', { sessionIds: [id] })).status).toBe(200);
    await pollFor(
      () => status('second'),
      (s) => s === 'running',
      'the second task handed out',
      60_000,
    );
    expect(await status('first')).toBe('completed');

    // The first task's marker is on the screen. A viewer of another size attaches and has it redrawn,
    // before and after the second prompt reached the API; the agent has not answered that prompt.
    const viewer = await openTerminal(server, id);
    let redrawn = '';
    viewer.on('message', (raw) => {
      const frame = JSON.parse(String(raw)) as { type: string; data?: string };
      if (frame.type === 'output') redrawn += frame.data ?? '';
    });
    sendFrame(viewer, { type: 'resize', cols: 90, rows: 30 });
    await pollFor(
      async () => fake.turnRequests().some((request) => request.userText?.includes('TASK-HELD') === true),
      (asked) => asked,
      'the second prompt at the API',
      30_000,
    );
    sendFrame(viewer, { type: 'resize', cols: 160, rows: 50 });
    await sleep(1_000);
    sendFrame(viewer, { type: 'resize', cols: 100, rows: 35 });
    await sleep(3_000);
    // The redraws showed a marker again (what a screen-reading detector would have taken as done).
    expect(redrawn).toContain('<promise>COMPLETE</promise>');
    expect(await status('second')).toBe('running');
    expect((await api.ralph()).assignments).toMatchObject([{ sessionId: id, taskId: 'second' }]);
    // Now the agent answers, with the marker: that completes it.
    releaseHeld();
    await pollFor(
      () => status('second'),
      (s) => s === 'completed',
      'the second task completed',
      30_000,
    );
    sendFrame(viewer, { type: 'resize', cols: 120, rows: 40 });
    viewer.close();
    await server.send('POST', '/api/ralph/stop', {});

    // The cost of interactive turns counts against the loop's budget.
    await task('third', 'TASK-DONE the third task');
    await task('fourth', 'TASK-DONE the fourth task', ['third']);
    expect((await api.info(id)).cost.totalUsd).toBeGreaterThan(0);
    await api.waitFor(id, (session) => session.status === 'idle', 'the session at rest');
    expect(
      (await server.send('POST', '/api/ralph/start', { sessionIds: [id], maxCostUsd: 0.0001 })).status,
    ).toBe(200);
    const stopped = await pollFor(
      () => api.ralph(),
      (ralph) => !ralph.running && ralph.stopReason !== null,
      'the loop stopped by its budget',
      90_000,
    );
    expect(stopped.stopReason).toMatch(/^budget reached/);
    expect(await status('fourth')).not.toBe('completed');
  }, 240_000);
});
