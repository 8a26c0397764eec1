// API: interactive sessions — POST /:id/interactive, terminal output (SSE and /terminal), /input,
// /resize, idle detection, input limits and refusals.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/agent/terminal/ansi.js';
import {
  asNumber,
  asObject,
  asString,
  createSession,
  expectApiError,
  expectJson,
  getSession,
  getTerminal,
  type Json,
  pollAsync,
  useApiResources,
  waitForSession,
  waitForTerminal,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { pollUntil, processExists } from '../helpers/poll.js';

const r = useApiResources();
const PROMPT = '\u276f';

const previousRecord = process.env.FAKE_CLAUDE_RECORD;
afterEach(() => {
  if (previousRecord === undefined) delete process.env.FAKE_CLAUDE_RECORD;
  else process.env.FAKE_CLAUDE_RECORD = previousRecord;
});

async function startInteractive(s: ClaudemanTestServer, id: string, body: Json = {}): Promise<void> {
  const res = await s.send('POST', `/api/sessions/${id}/interactive`, body);
  expect(await expectJson(res, 200)).toEqual({ success: true, message: 'Interactive session started' });
}

async function input(s: ClaudemanTestServer, id: string, text: string): Promise<void> {
  expect(await expectJson(await s.send('POST', `/api/sessions/${id}/input`, { input: text }), 200)).toEqual({
    success: true,
  });
}

/** A session running the fake interactively, with its prompt on screen. */
async function interactiveSession(s: ClaudemanTestServer): Promise<string> {
  const id = String((await createSession(s)).id);
  await startInteractive(s, id);
  await waitForTerminal(s, id, PROMPT);
  return id;
}

describe('POST /api/sessions/:id/interactive', () => {
  it('starts the CLI in a terminal: session:interactive, session:terminal {data, seq}, /terminal', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    await startInteractive(s, id);
    await sse.nextOf('session:interactive', id);
    const session = await getSession(s, id);
    expect(session.mode).toBe('interactive');
    expect(typeof session.pid).toBe('number');
    expect(processExists(asNumber(session.pid))).toBe(true);

    // Terminal output arrives as events with increasing seq, raw (with ANSI), and adds up to the buffer.
    await pollAsync(
      () =>
        stripAnsi(
          sse
            .ofType('session:terminal')
            .map((f) => asString(f.data.data))
            .join(''),
        ).includes(PROMPT),
      'the prompt in session:terminal events',
    );
    const frames = sse.frames.filter((f) => f.type === 'session:terminal' && f.sessionId === id);
    const seqs = frames.map((f) => asNumber(f.data.seq));
    expect(seqs[0]).toBe(1);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] ?? 0) + 1);
    const streamed = frames.map((f) => asString(f.data.data)).join('');
    expect(streamed).toContain('\x1b[');
    const terminal = await getTerminal(s, id);
    expect(terminal.terminalBuffer.startsWith(streamed)).toBe(true);
    expect(stripAnsi(terminal.terminalBuffer)).toContain('Claude Code');
    expect(['busy', 'idle']).toContain(terminal.status);
  });

  it('refuses a second start with 409 SESSION_BUSY, and a run too', async () => {
    const s = await r.server();
    const id = await interactiveSession(s);
    await expectApiError(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 409, 'SESSION_BUSY');
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'hi' }),
      409,
      'SESSION_BUSY',
    );
  });

  it('refuses an out-of-range terminal size with 400 BAD_REQUEST', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    for (const body of [{ cols: 0 }, { cols: 501 }, { rows: 0 }, { rows: 201 }]) {
      await expectApiError(await s.send('POST', `/api/sessions/${id}/interactive`, body), 400, 'BAD_REQUEST');
    }
    expect((await getSession(s, id)).mode).toBe('none');
  });
});

describe('POST /api/sessions/:id/input', () => {
  it('types a line and submits it: the reply appears in the terminal buffer', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = await interactiveSession(s);
    await input(s, id, 'hello\r');
    const buffer = await waitForTerminal(s, id, 'Echo: hello');
    expect(stripAnsi(buffer)).toContain('● Echo: hello');
    await pollAsync(
      () =>
        stripAnsi(
          sse
            .ofType('session:terminal')
            .map((f) => asString(f.data.data))
            .join(''),
        ).includes('● Echo: hello'),
      'the reply in session:terminal events',
    );
    const session = await getSession(s, id);
    expect(typeof session.lastPromptTime).toBe('number');
  });

  it('passes text without Enter through as typed (nothing submitted)', async () => {
    const s = await r.server();
    const id = await interactiveSession(s);
    await input(s, id, 'partial');
    await waitForTerminal(s, id, 'partial');
    await input(s, id, ' line\r');
    const buffer = await waitForTerminal(s, id, 'Echo: partial line');
    expect(stripAnsi(buffer)).toContain('● Echo: partial line');
  });

  it('accepts 64 KiB of input and refuses one character more with 400 BAD_REQUEST', async () => {
    const s = await r.server();
    const id = await interactiveSession(s);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: 'x'.repeat(64 * 1024 + 1) }),
      400,
      'BAD_REQUEST',
    );
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: '' }),
      400,
      'BAD_REQUEST',
    );
    await expectApiError(await s.send('POST', `/api/sessions/${id}/input`, {}), 400, 'BAD_REQUEST');
    await input(s, id, 'y'.repeat(64 * 1024));
    await waitForTerminal(s, id, 'y'.repeat(200));
  });

  it('refuses input to a session that is not interactive with 409 NOT_INTERACTIVE', async () => {
    const s = await r.server();
    const id = String((await createSession(s)).id);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: 'hello\r' }),
      409,
      'NOT_INTERACTIVE',
    );
    // Nor to a one-shot session, while it runs or after.
    await expectJson(await s.send('POST', `/api/sessions/${id}/run`, { prompt: 'slow [[sleep:1000]]' }), 200);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: 'x' }),
      409,
      'NOT_INTERACTIVE',
    );
    await waitForSession(s, id, (x) => x.status === 'idle', 'the run to end', 15_000);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: 'x' }),
      409,
      'NOT_INTERACTIVE',
    );
  });

  it('/exit ends the CLI: status stopped, exit code 0, then 409 NOT_INTERACTIVE', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = await interactiveSession(s);
    const pid = asNumber((await getSession(s, id)).pid);
    await input(s, id, '/exit\r');
    const exit = await sse.nextOf('session:exit', id, 10_000);
    expect(exit.data.code).toBe(0);
    const after = await waitForSession(s, id, (x) => x.pid === null, 'the CLI to exit');
    expect(after.status).toBe('stopped');
    expect(after.exitCode).toBe(0);
    expect(after.lastError).toBeNull();
    await pollUntil(() => !processExists(pid), `pid ${pid} gone`, 5_000);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/input`, { input: 'x' }),
      409,
      'NOT_INTERACTIVE',
    );
    // The session can be started again.
    await startInteractive(s, id);
    await waitForSession(s, id, (x) => typeof x.pid === 'number', 'a new process');
  });

  it('/clear and /init are typed like prompts', async () => {
    const s = await r.server();
    const dir = r.tempDir();
    const id = String((await createSession(s, { workingDir: dir })).id);
    await startInteractive(s, id);
    await waitForTerminal(s, id, PROMPT);
    await input(s, id, '/init\r');
    await waitForTerminal(s, id, 'Created CLAUDE.md');
    expect(readFileSync(join(dir, 'CLAUDE.md'), 'utf8')).toContain('fake-claude /init');
    await input(s, id, '/clear\r');
    await waitForTerminal(s, id, '(no content)');
  });
});

describe('POST /api/sessions/:id/resize', () => {
  it('resizes the terminal: {success: true}, and the CLI sees the new size', async () => {
    const record = join(r.tempDir('fake-record-'), 'record.jsonl');
    process.env.FAKE_CLAUDE_RECORD = record;
    const s = await r.server();
    const id = await interactiveSession(s);
    const res = await s.send('POST', `/api/sessions/${id}/resize`, { cols: 100, rows: 30 });
    expect(await expectJson(res, 200)).toEqual({ success: true });
    await pollAsync(
      () =>
        readFileSync(record, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => asObject(JSON.parse(line) as unknown))
          .some((e) => e.event === 'resize' && e.columns === 100 && e.rows === 30),
      'the CLI to see 100x30',
    );
    for (const size of [
      { cols: 1, rows: 1 },
      { cols: 500, rows: 200 },
    ]) {
      expect(await expectJson(await s.send('POST', `/api/sessions/${id}/resize`, size), 200)).toEqual({
        success: true,
      });
    }
  });

  it('refuses out-of-range and missing sizes with 400 BAD_REQUEST', async () => {
    const s = await r.server();
    const id = await interactiveSession(s);
    const bad: Json[] = [
      { cols: 0, rows: 24 },
      { cols: 501, rows: 24 },
      { cols: 80, rows: 0 },
      { cols: 80, rows: 201 },
      { cols: 80.5, rows: 24 },
      { cols: -1, rows: 24 },
      { cols: 80 },
      { rows: 24 },
      {},
    ];
    for (const body of bad) {
      await expectApiError(await s.send('POST', `/api/sessions/${id}/resize`, body), 400, 'BAD_REQUEST');
    }
    // Still alive and answering.
    await input(s, id, 'still here\r');
    await waitForTerminal(s, id, 'Echo: still here');
  });
});

describe('idle detection', () => {
  it('reports idle after the prompt and 2 s of quiet: status idle and session:idle', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    await startInteractive(s, id);
    const started = Date.now();
    const idle = await sse.nextOf('session:idle', id, 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    expect(idle.data).toBeTypeOf('object');
    const session = await getSession(s, id);
    expect(session.status).toBe('idle');
    expect(session.isWorking).toBe(false);
    expect((await getTerminal(s, id)).status).toBe('idle');

    // A prompt makes it work (spinner), then idle again after the reply.
    await input(s, id, 'think about it\r');
    await sse.nextOf('session:working', id, 10_000);
    await sse.nextOf('session:idle', id, 15_000);
    const after = await getSession(s, id);
    expect(after.status).toBe('idle');
    expect(stripAnsi((await getTerminal(s, id)).terminalBuffer)).toContain('● Echo: think about it');
  });

  it('announces each turn once, though the hooks and the screen both report it', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const id = String((await createSession(s)).id);
    await startInteractive(s, id);
    await sse.nextOf('session:idle', id, 10_000);
    const since = sse.frames.length;
    await input(s, id, 'one turn\r');
    await sse.nextOf('session:working', id, 10_000);
    await sse.nextOf('session:idle', id, 15_000);
    // The screen's verdict comes 2 s after the hook's: wait it out, then count.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const turn = sse.frames.slice(since).filter((f) => f.sessionId === id);
    expect(turn.filter((f) => f.type === 'session:working').length).toBe(1);
    expect(turn.filter((f) => f.type === 'session:idle').length).toBe(1);
  });
});
