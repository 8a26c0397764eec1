// API: one-shot runs — POST /api/sessions/:id/run, its events, the session afterwards, /output, limits
// (prompt length, busy), failures (crash, error result, garbage output, hang + timeout).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  createSession,
  expectApiError,
  expectJson,
  getSession,
  type Json,
  type SseClient,
  useApiResources,
  waitForSession,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { pollUntil, processExists } from '../helpers/poll.js';

const r = useApiResources();

/** The fake records each start (argv, cwd) here when FAKE_CLAUDE_RECORD is set in the server's env. */
let recordFile: string | null = null;
const previousRecord = process.env.FAKE_CLAUDE_RECORD;
afterEach(() => {
  if (previousRecord === undefined) delete process.env.FAKE_CLAUDE_RECORD;
  else process.env.FAKE_CLAUDE_RECORD = previousRecord;
  recordFile = null;
});

function recordStarts(): void {
  recordFile = join(r.tempDir('fake-record-'), 'record.jsonl');
  process.env.FAKE_CLAUDE_RECORD = recordFile;
}

function recordedStarts(): Json[] {
  if (recordFile === null) throw new Error('recordStarts() was not called');
  return readFileSync(recordFile, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => asObject(JSON.parse(line) as unknown))
    .filter((entry) => entry.event === 'start');
}

async function startRun(s: ClaudemanTestServer, id: string, prompt: string, extra: Json = {}): Promise<void> {
  const res = await s.send('POST', `/api/sessions/${id}/run`, { prompt, ...extra });
  expect(await expectJson(res, 200)).toEqual({ success: true, message: 'Prompt started' });
}

/** Runs `prompt` and waits for the session to leave `busy`; returns the session. */
async function runToEnd(
  s: ClaudemanTestServer,
  id: string,
  prompt: string,
  timeoutMs = 15_000,
): Promise<Json> {
  await startRun(s, id, prompt);
  return waitForSession(s, id, (x) => x.status !== 'busy' && x.pid === null, 'the run to end', timeoutMs);
}

async function output(
  s: ClaudemanTestServer,
  id: string,
): Promise<{ textOutput: string; messages: Json[]; errorBuffer: string }> {
  const body = await expectJson(await s.api(`/api/sessions/${id}/output`), 200);
  expect(Object.keys(body).sort()).toEqual(['errorBuffer', 'messages', 'textOutput']);
  return {
    textOutput: asString(body.textOutput),
    messages: asArray(body.messages).map((m) => asObject(m)),
    errorBuffer: asString(body.errorBuffer),
  };
}

/** The event types received for one session, in order. */
function typesOf(sse: SseClient, sessionId: string): string[] {
  return sse.frames.filter((f) => f.sessionId === sessionId).map((f) => f.type ?? '?');
}

describe('POST /api/sessions/:id/run', () => {
  it('answers {success, message: "Prompt started"} and reports the run as events', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    await sse.nextOf('init');
    const id = String((await createSession(s)).id);
    await startRun(s, id, 'hello there');

    const running = await sse.nextOf('session:running', id);
    expect(running.data).toEqual({ prompt: 'hello there' });
    const completion = await sse.nextOf('session:completion', id, 15_000);
    const exit = await sse.nextOf('session:exit', id, 15_000);
    expect(completion.data.result).toBe('Echo: hello there');
    expect(asNumber(completion.data.cost)).toBeGreaterThan(0);
    expect(exit.data.code).toBe(0);

    // Order: running, then the CLI's messages (init, assistant, result), then completion, then exit.
    const types = typesOf(sse, id);
    const at = (t: string) => types.indexOf(t);
    expect(at('session:running')).toBeGreaterThanOrEqual(0);
    expect(at('session:message')).toBeGreaterThan(at('session:running'));
    expect(at('session:completion')).toBeGreaterThan(types.lastIndexOf('session:message'));
    expect(at('session:exit')).toBeGreaterThan(at('session:completion'));
    const messages = sse.frames
      .filter((f) => f.sessionId === id && f.type === 'session:message')
      .map((f) => asObject(f.data.message));
    expect(messages.map((m) => m.type)).toEqual(['system', 'assistant', 'result']);
    expect(completion.id).toBeGreaterThan(running.id);
    expect(exit.id).toBeGreaterThan(completion.id);
  });

  it('leaves the session idle with totalCost, claudeSessionId and messageCount from the run', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    const before = Date.now();
    const after = await runToEnd(s, id, 'price check [[cost:0.25]]');
    expect(after.status).toBe('idle');
    expect(after.mode).toBe('oneshot');
    expect(after.pid).toBeNull();
    expect(after.isWorking).toBe(false);
    expect(after.totalCost).toBe(0.25);
    expect(after.messageCount).toBe(3);
    expect(after.lastError).toBeNull();
    expect(after.exitCode).toBe(0);
    expect(asNumber(after.lastPromptTime)).toBeGreaterThanOrEqual(before - 1000);
    const init = asObject((await sse.nextOf('session:message', id)).data.message);
    expect(init).toMatchObject({ type: 'system', subtype: 'init' });
    expect(after.claudeSessionId).toBe(init.session_id);
    expect(after.claudeSessionId).toMatch(/^[0-9a-f-]{36}$/);

    // A second run adds its cost and its messages.
    const again = await runToEnd(s, id, 'once more [[cost:0.5]]');
    expect(again.totalCost).toBe(0.75);
    expect(again.messageCount).toBe(6);
    expect(again.status).toBe('idle');
  });

  it('serves the run in /output: textOutput, messages and errorBuffer', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await runToEnd(s, id, 'show me the output');
    const out = await output(s, id);
    expect(out.textOutput).toContain('Echo: show me the output');
    expect(out.textOutput).not.toContain('\x1b[');
    expect(out.messages.map((m) => m.type)).toEqual(['system', 'assistant', 'result']);
    expect(out.messages[2]).toMatchObject({
      type: 'result',
      is_error: false,
      result: 'Echo: show me the output',
    });
    expect(out.errorBuffer).toBe('');
    const session = await getSession(s, id);
    expect(asObject(session.bufferStats).messages).toBe(3);
  });

  it('runs in the session working directory with the prompt on stdin, not in argv', async () => {
    recordStarts();
    const s = await r.server();
    const dir = r.tempDir();
    const id = String((await createSession(s, { workingDir: dir })).id);
    await runToEnd(s, id, 'where am I');
    const [start] = recordedStarts();
    const argv = asArray(asObject(start).argv).map((a) => asString(a));
    expect(argv).toContain('-p');
    expect(argv).toContain('stream-json');
    expect(argv).toContain('--verbose');
    expect(argv.join(' ')).not.toContain('where am I');
    expect(asObject(start).cwd).toBe(asString((await getSession(s, id)).workingDir));
  });

  it('continues the last conversation with continue: true (--resume <its id>), and refuses it without one', async () => {
    recordStarts();
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'go on', continue: true }),
      409,
      'NOTHING_TO_RESUME',
    );
    const first = await runToEnd(s, id, 'start a conversation');
    const conversation = asString(first.claudeSessionId);
    await expectJson(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'go on', continue: true }),
      200,
    );
    await waitForSession(s, id, (x) => x.status !== 'busy' && x.pid === null, 'the second run');
    const [plain, continued] = recordedStarts().map((start) =>
      asArray(asObject(start).argv).map((a) => asString(a)),
    );
    expect(plain).not.toContain('--resume');
    expect(continued?.slice(continued.indexOf('--resume'), continued.indexOf('--resume') + 2)).toEqual([
      '--resume',
      conversation,
    ]);
  });

  it('accepts a prompt of exactly 100,000 characters (counted as characters, not bytes)', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    const prompt = `long${'é'.repeat(99_996)}`;
    expect(prompt.length).toBe(100_000);
    const sse = await r.sse(s, { query: `sessions=${id}` });
    const after = await runToEnd(s, id, prompt);
    expect(after.status).toBe('idle');
    const running = await sse.nextOf('session:running', id);
    expect(asString(running.data.prompt).length).toBe(100_000);
    const completion = await sse.nextOf('session:completion', id);
    expect(completion.data.result).toBe(`Echo: ${prompt.slice(0, 200)}`);
  });

  it('refuses a prompt of 100,001 characters and an empty prompt with 400 BAD_REQUEST', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'x'.repeat(100_001) }),
      400,
      'BAD_REQUEST',
    );
    await expectApiError(await s.send('POST', `/api/sessions/${id}/run`, { prompt: '' }), 400, 'BAD_REQUEST');
    await expectApiError(await s.send('POST', `/api/sessions/${id}/run`, {}), 400, 'BAD_REQUEST');
    const session = await getSession(s, id);
    expect(session.status).toBe('idle');
    expect(session.mode).toBe('none');
  });

  it('refuses a second run while one runs with 409 SESSION_BUSY', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await startRun(s, id, 'slow [[sleep:3000]]');
    const busy = await getSession(s, id);
    expect(busy.status).toBe('busy');
    expect(busy.isWorking).toBe(true);
    expect(typeof busy.pid).toBe('number');
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'again' }),
      409,
      'SESSION_BUSY',
    );
    await expectApiError(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 409, 'SESSION_BUSY');
    const done = await waitForSession(s, id, (x) => x.status === 'idle', 'the slow run to end', 15_000);
    expect(done.messageCount).toBe(3);
    // Once it is over, the session takes the next prompt.
    const next = await runToEnd(s, id, 'now it is free');
    expect(next.status).toBe('idle');
  });

  it('reports a crash: status error, lastError naming the exit, stderr in errorBuffer', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    const after = await runToEnd(s, id, 'boom [[crash]]');
    expect(after.status).toBe('error');
    expect(after.exitCode).toBe(2);
    expect(asString(after.lastError)).toMatch(/exit/);
    expect(asString(after.lastError)).toContain('code 2');
    const exit = await sse.nextOf('session:exit', id);
    expect(exit.data.code).toBe(2);
    const completion = await sse.nextOf('session:completion', id);
    expect(completion.data.cost).toBe(0);
    const out = await output(s, id);
    expect(out.errorBuffer).toContain('simulated crash');
    // The session is usable again.
    const next = await runToEnd(s, id, 'better now');
    expect(next.status).toBe('idle');
    expect(next.lastError).toBeNull();
  });

  it('reports an error result ([[error]]) as status error with the CLI message', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    const after = await runToEnd(s, id, 'fail please [[error]]');
    expect(after.status).toBe('error');
    expect(asString(after.lastError)).toContain('API Error');
  });

  it('keeps non-JSON output lines as text and still completes ([[garbage]])', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    const after = await runToEnd(s, id, 'noisy [[garbage]]');
    expect(after.status).toBe('idle');
    expect(after.lastError).toBeNull();
    expect(after.messageCount).toBe(3);
    const completion = await sse.nextOf('session:completion', id);
    expect(completion.data.result).toBe('Echo: noisy [[garbage]]');
    const texts = sse.frames
      .filter((f) => f.sessionId === id && f.type === 'session:output')
      .map((f) => asString(f.data.text));
    expect(texts).toContain('fake-claude: warming up (this line is not JSON)');
    expect(texts).toContain('fake-claude: progress 50%');
    const out = await output(s, id);
    expect(out.textOutput).toContain('fake-claude: warming up (this line is not JSON)');
    expect(out.textOutput).toContain('fake-claude: progress 50%');
    expect(out.textOutput).not.toContain('\x1b[33m');
    expect(out.messages.map((m) => m.type)).toEqual(['system', 'assistant', 'result']);
  });

  it('stops a run that hangs at the one-shot timeout: error naming the timeout, process gone', async () => {
    const s = await r.server({ oneShotTimeoutMs: 2_000 });
    const id = String((await createSession(s)).id);
    await startRun(s, id, 'never answer [[hang]]');
    const busy = await getSession(s, id);
    const pid = asNumber(busy.pid);
    expect(processExists(pid)).toBe(true);
    const after = await waitForSession(s, id, (x) => x.status !== 'busy', 'the timeout', 15_000);
    expect(after.status).toBe('error');
    expect(after.pid).toBeNull();
    expect(asString(after.lastError)).toMatch(/timed? ?out/i);
    await pollUntil(() => !processExists(pid), `hung pid ${pid} to be gone`, 10_000);
  });

  it('honours a per-run timeoutMs', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await startRun(s, id, 'never answer [[hang]]', { timeoutMs: 1_000 });
    const pid = asNumber((await getSession(s, id)).pid);
    const after = await waitForSession(s, id, (x) => x.status !== 'busy', 'the per-run timeout', 15_000);
    expect(after.status).toBe('error');
    expect(asString(after.lastError)).toMatch(/timed? ?out/i);
    await pollUntil(() => !processExists(pid), `hung pid ${pid} to be gone`, 10_000);
  });

  it('answers 503 CLAUDE_NOT_FOUND when the CLI is missing', async () => {
    const s = await r.server({ claudeBin: join(r.tempDir(), 'no-claude-here') });
    const id = String((await createSession(s)).id);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'hi' }),
      503,
      'CLAUDE_NOT_FOUND',
    );
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/interactive`, {}),
      503,
      'CLAUDE_NOT_FOUND',
    );
    expect((await getSession(s, id)).status).toBe('idle');
  });
});
