import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  defaultReplyText,
  type FakeAnthropic,
  startFakeAnthropic,
} from '../fixtures/fake-anthropic/server.js';
import { TerminalScreen } from '../fixtures/fake-claude/screen.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { createRealClaudeHome, describeEachRealClaude, type RealClaudeHome } from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * claudeman web driving the real Claude Code CLI (each version the tests cover), offline, against our
 * fake Anthropic Messages API: what users get, end to end, in both session modes.
 */
describeEachRealClaude('claudeman web with the real Claude Code CLI', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer | null = null;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    temp = makeTempDir('claudeman-e2e-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir], version: claude.version });
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

  it('answers a quick run with the API reply and a non-zero cost, and removes its session', async () => {
    server = await startClaudeman({ claudeBin: claude.path, env: home.env, oneShotTimeoutMs: 60_000 });
    const prompt = 'Say hello to the end-to-end test';
    const response = await server.send('POST', '/api/run', { prompt, workingDir: workDir });
    const body = (await response.json()) as {
      success: boolean;
      sessionId: string;
      result: string;
      cost: number;
    };
    expect(response.status).toBe(200);
    expect(body.success).toBe(true);
    expect(body.result).toBe(defaultReplyText(prompt));
    expect(body.cost).toBeGreaterThan(0);
    expect((await server.api(`/api/sessions/${body.sessionId}`)).status).toBe(404);
    expect(fake.turnRequests().length).toBeGreaterThan(0);
  }, 90_000);

  it('shows the reply to typed input in the terminal of an interactive session, and its hooks report the turn', async () => {
    server = await startClaudeman({ claudeBin: claude.path, env: home.env });
    const created = (await (await server.send('POST', '/api/sessions', { workingDir: workDir })).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    const hookSignals: string[] = [];
    server.running.sessions.get(id)?.onSignal((signal) => {
      if ((signal.kind === 'idle' || signal.kind === 'working') && signal.source === 'hook')
        hookSignals.push(signal.kind);
    });
    const running = server;
    const terminal = async (): Promise<string> =>
      ((await (await running.api(`/api/sessions/${id}/terminal`)).json()) as { terminalBuffer: string })
        .terminalBuffer;
    expect(
      (await server.send('POST', `/api/sessions/${id}/interactive`, { cols: 120, rows: 40 })).status,
    ).toBe(200);
    let screen = '';
    await pollUntil(
      () => {
        void terminal().then((text) => {
          screen = text;
        });
        return screen.includes('❯');
      },
      'the CLI prompt',
      45_000,
    );
    const typed = 'hello from the claudeman e2e test';
    expect((await server.send('POST', `/api/sessions/${id}/input`, { input: `${typed}\r` })).status).toBe(
      200,
    );
    // The CLI redraws only the cells that change, so the raw output is not the text a person sees:
    // render it on a terminal model of the session's size and read the screen.
    const rendered = (raw: string): string => {
      const screen = new TerminalScreen(120, 40);
      screen.write(raw);
      return screen.allText();
    };
    const expected = defaultReplyText(typed);
    await pollUntil(
      () => {
        void terminal().then((text) => {
          screen = text;
        });
        return rendered(screen).includes(expected);
      },
      'the reply in the terminal',
      45_000,
    );
    // The CLI's own Stop hook (from the settings the server passes) reported the finished turn.
    await pollUntil(() => hookSignals.includes('idle'), 'the Stop hook of the real CLI', 30_000);
    expect(hookSignals[0]).toBe('working');
    expect((await server.api(`/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
  }, 120_000);
});
