import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { SseClient } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import {
  createRealClaudeHome,
  describeEachRealClaude,
  pollFor,
  type RealClaudeHome,
  realCliSessions,
} from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The server's wait past a reset (CLAUDEMAN_LIMIT_RESUME_MARGIN_MS; a minute unless told). */
const MARGIN_MS = 3_000;
/** How far ahead of the task's start the usage limit lifts. */
const RESET_AHEAD_S = 6;
const LIMITED_TASK = 'TASK-LIMITED do the limited work';

/**
 * A Ralph loop whose worker, the real CLI, hits a usage limit: the fake API answers the task with
 * HTTP 429 and the usage-limit message with its reset (`Claude AI usage limit reached|<epoch s>`,
 * which the CLI passes on in its StopFailure hook, classed `rate_limit`) until the reset, and with
 * the completion marker after it. The loop pauses until the reset plus the margin, then resumes by
 * itself and the task completes on its retry.
 */
describeEachRealClaude('a Ralph loop at a usage limit, with the real CLI', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer;
  let events: SseClient | null = null;
  /** When the limit lifts (epoch ms, whole seconds); 0 until the test sets it. */
  let resetAt = 0;

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      reply: (call) => {
        if (call.structured || !call.userText.includes('TASK-LIMITED')) return undefined;
        if (Date.now() < resetAt) {
          return { errorStatus: 429, errorMessage: `Claude AI usage limit reached|${resetAt / 1000}` };
        }
        return { text: 'Done after the reset. <promise>COMPLETE</promise>' };
      },
    });
    temp = makeTempDir('claudeman-ralph-limit-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir], version: claude.version });
    server = await startClaudeman({
      claudeBin: claude.path,
      env: { ...home.env, CLAUDEMAN_LIMIT_RESUME_MARGIN_MS: String(MARGIN_MS) },
    });
  });
  afterAll(async () => {
    await events?.close();
    await server?.close();
    await fake?.close();
    home?.remove();
    temp?.remove();
  });

  it('pauses the loop at the limit (ralph:paused), resumes after the reset and the margin, and the task completes on retry', async () => {
    const api = realCliSessions(server);
    const id = await api.interactive(workDir);
    const stream = await SseClient.open(server, { query: 'exclude=session:terminal,session:output' });
    events = stream;
    const limitedRequests = () => fake.turnRequests().filter((r) => r.userText?.includes('TASK-LIMITED'));
    resetAt = (Math.ceil(Date.now() / 1000) + RESET_AHEAD_S) * 1000;
    const created = await server.send('POST', '/api/tasks', {
      id: 'limited',
      prompt: LIMITED_TASK,
      completionPhrase: 'COMPLETE',
    });
    expect(created.status).toBe(201);
    expect((await server.send('POST', '/api/ralph/start', { sessionIds: [id] })).status).toBe(200);

    // The limit: the task waits (pending), the loop is paused until the reset plus the margin.
    const paused = await stream.nextOf('ralph:paused', undefined, 30_000);
    expect(paused.data.until).toBe(resetAt + MARGIN_MS);
    expect(String(paused.data.reason)).toContain('usage limit');
    const status = await api.ralph();
    expect({ running: status.running, pausedUntil: status.pausedUntil }).toEqual({
      running: true,
      pausedUntil: resetAt + MARGIN_MS,
    });
    expect((await api.task('limited')).status).toBe('pending');
    const session = await api.info(id);
    expect({ state: session.state, limitedUntil: session.limitedUntil }).toEqual({
      state: 'limited',
      limitedUntil: resetAt,
    });
    expect(limitedRequests().every((request) => request.answered?.errorStatus === 429)).toBe(true);

    // It resumes by itself once the pause is over, not before, and hands the task out again.
    await stream.nextOf('ralph:resumed', undefined, RESET_AHEAD_S * 1000 + MARGIN_MS + 20_000);
    expect(Date.now()).toBeGreaterThanOrEqual(resetAt + MARGIN_MS);
    await pollFor(
      async () => (await api.task('limited')).status,
      (taskStatus) => taskStatus === 'completed',
      'the task completed on its retry',
      45_000,
    );
    const requests = limitedRequests();
    // Nothing was retried while the loop waited: every request before the pause's end was refused.
    expect(
      requests.filter((r) => r.receivedAt < resetAt + MARGIN_MS && r.answered?.errorStatus !== 429),
    ).toEqual([]);
    expect(requests.at(-1)?.answered?.errorStatus).toBeUndefined();
    expect(requests.at(-1)?.receivedAt).toBeGreaterThanOrEqual(resetAt + MARGIN_MS);
    await server.send('POST', '/api/ralph/stop', {});
    await api.remove(id);
  }, 120_000);
});
