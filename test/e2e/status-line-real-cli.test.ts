import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { estimateCostUsd } from '../../src/agent/claude/transcript/model-pricing.js';
import type { SessionInfo, SessionTerminal } from '../../src/protocol/rest/session.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { TerminalScreen } from '../fixtures/fake-claude/screen.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { createRealClaudeHome, describeEachRealClaude, type RealClaudeHome } from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const COLS = 120;
const ROWS = 40;

/**
 * The real Claude Code CLI, interactive, with a status line of the user's own in its home's settings:
 * our per-run settings replace it with the status relay, which reports the CLI's own figures to the
 * server and runs the user's command, so the user still sees what they saw before.
 */
describeEachRealClaude('the status line of an interactive session of the real CLI', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let seenFile: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer | null = null;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    temp = makeTempDir('claudeman-status-line-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    seenFile = join(temp.path, 'user-status.jsonl');
    home = createRealClaudeHome({
      baseUrl: fake.url,
      trustedDirs: [workDir],
      version: claude.version,
      settings: {
        // A model the CLI prices ($10 / $50 per MTok in 2.1.197) unlike our list-price table (which
        // takes unknown names for Sonnet): the transcript estimate and the CLI's own figure differ.
        model: 'claude-mythos-5',
        statusLine: { type: 'command', command: `{ cat; echo; } >> '${seenFile}'; echo USER-STATUS-OK` },
      },
    });
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

  async function info(s: ClaudemanTestServer, id: string): Promise<SessionInfo> {
    return (await (await s.api(`/api/sessions/${id}`)).json()) as SessionInfo;
  }

  /** What the user's command received, one status JSON per call. */
  function seenByUserCommand(): {
    cost: { total_cost_usd: number };
    context_window: { used_percentage: number | null };
  }[] {
    if (!existsSync(seenFile)) return [];
    return readFileSync(seenFile, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line));
  }

  /** Polls `probe` (async) until `test` holds for its latest answer; returns that answer. */
  async function waitFor<T>(probe: () => Promise<T>, test: (value: T) => boolean, what: string): Promise<T> {
    let last: { value: T } | null = null;
    let pending = false;
    await pollUntil(
      () => {
        if (!pending) {
          pending = true;
          void probe().then((value) => {
            last = { value };
            pending = false;
          });
        }
        const current = last as { value: T } | null;
        return current !== null && test(current.value);
      },
      what,
      60_000,
    );
    return (last as unknown as { value: T }).value;
  }

  it('takes the CLI’s own cost and context share, and still shows the user’s status line', async () => {
    server = await startClaudeman({ claudeBin: claude.path, env: home.env });
    const s = server;
    const created = (await (await s.send('POST', '/api/sessions', { workingDir: workDir })).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    expect((await s.send('POST', `/api/sessions/${id}/interactive`, { cols: COLS, rows: ROWS })).status).toBe(
      200,
    );
    await waitFor(
      () => info(s, id),
      (session) => session.status === 'idle',
      'the CLI at its prompt',
    );
    expect((await s.send('POST', `/api/sessions/${id}/input`, { input: 'hello status line\r' })).status).toBe(
      200,
    );
    await waitFor(
      () => info(s, id),
      (session) => session.state === 'waiting' && session.cost.totalUsd > 0,
      'the turn done',
    );

    // The server's total is the CLI's own counter, as the user's command got it on its last call.
    const settled = await waitFor(
      async () => ({ session: await info(s, id), seen: seenByUserCommand() }),
      ({ session, seen }) => {
        const last = seen.at(-1)?.cost.total_cost_usd ?? 0;
        // The tokens come from the transcript, read a moment after the status line may have come.
        return last > 0 && Math.abs(session.cost.totalUsd - last) < 1e-12 && session.cost.inputTokens > 0;
      },
      'the session’s cost to be the CLI’s total_cost_usd',
    );
    const lastSeen = settled.seen.at(-1);
    if (lastSeen === undefined) throw new Error('the user’s command never ran');
    expect(settled.session.cost.totalUsd).toBe(lastSeen.cost.total_cost_usd);
    expect(settled.session.totalCost).toBe(settled.session.cost.totalUsd);
    expect(lastSeen.context_window.used_percentage).toEqual(expect.any(Number));
    expect(settled.session.contextUsedPct).toBe(lastSeen.context_window.used_percentage);
    expect(settled.session.model).toMatch(/^claude-mythos-5/);
    // Not what the transcript estimate would have said.
    const estimate = estimateCostUsd('claude-mythos-5', {
      inputTokens: settled.session.cost.inputTokens,
      outputTokens: settled.session.cost.outputTokens,
      cacheReadTokens: settled.session.cost.cacheReadTokens,
      cacheWriteTokens: settled.session.cost.cacheWriteTokens,
    });
    expect(estimate).toBeGreaterThan(0);
    expect(Math.abs(settled.session.cost.totalUsd - estimate)).toBeGreaterThan(estimate / 10);
    // Rate limits come for claude.ai subscriptions only; an API key gets none.
    expect(settled.session.rateLimits).toBeUndefined();

    // What the user's command printed is on the session's screen.
    const screenText = await waitFor(
      async () => {
        const terminal = (await (await s.api(`/api/sessions/${id}/terminal`)).json()) as SessionTerminal;
        const screen = new TerminalScreen(COLS, ROWS);
        screen.write(terminal.terminalBuffer);
        return screen.text();
      },
      (text) => text.includes('USER-STATUS-OK'),
      'USER-STATUS-OK on the screen',
    );
    expect(screenText).toContain('USER-STATUS-OK');
  }, 150_000);
});
