import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  type FakeAnthropic,
  type RecordedRequest,
  startFakeAnthropic,
} from '../fixtures/fake-anthropic/server.js';
import { FAKE_CLAUDE_PATH, PtyDriver, runProcess, streamJsonObjects } from '../fixtures/fake-claude/index.js';
import { pollUntil } from '../helpers/poll.js';
import {
  createRealClaudeHome,
  describeEachRealClaude,
  hookSettingsJson,
  type RealClaudeHome,
} from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

type Json = Record<string, unknown>;

/**
 * The real Claude Code CLI, offline, against the fake Anthropic API. Slow-ish (each run is ~1 s), so few
 * tests; the fast fake `claude` covers the rest. These also keep the fake claude honest (same shapes).
 */
describeEachRealClaude('real Claude Code CLI against the fake Anthropic API', (claude) => {
  const REAL_CLAUDE_PATH = claude.path;
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let cwd: string;
  let home: RealClaudeHome;
  const ptys: PtyDriver[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic({
      reply: (call) => {
        if (call.structured || call.hasToolResult) return undefined;
        if (call.userText.includes('PLEASE FAIL 400')) return { errorStatus: 400 };
        if (call.userText.includes('PLEASE WRITE A FILE')) {
          return {
            text: 'Writing the file.',
            toolUse: {
              name: 'Write',
              input: { file_path: join(cwd, 'written.txt'), content: 'from the fake API\n' },
            },
          };
        }
        return undefined;
      },
    });
  });

  afterAll(async () => {
    await fake.close();
  });

  beforeEach(() => {
    temp = makeTempDir('real-claude-');
    cwd = join(temp.path, 'project');
    mkdirSync(cwd);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [cwd], version: claude.version });
    fake.requests.length = 0;
  });

  afterEach(async () => {
    for (const driver of ptys.splice(0)) await driver.close();
    home.remove();
    temp.remove();
  });

  const print = (args: string[], input?: string) =>
    runProcess(REAL_CLAUDE_PATH, ['-p', '--output-format', 'stream-json', '--verbose', ...args], {
      cwd,
      env: home.env,
      input: input ?? '',
      timeoutMs: 25_000,
    });

  const readJsonLines = (file: string): Json[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as Json)
      : [];

  const turnBodies = (): Json[] =>
    fake.turnRequests().map((request: RecordedRequest) => (request.json ?? {}) as Json);

  it(`runs, and is version ${claude.version}`, async () => {
    const result = await runProcess(REAL_CLAUDE_PATH, ['--version'], {
      cwd,
      env: home.env,
      timeoutMs: 20_000,
    });
    expect(result.stdout.trim()).toBe(`${claude.version} (Claude Code)`);
  });

  it('-p stream-json with the prompt on stdin: init, assistant and result with the fake reply and a cost', async () => {
    const result = await print([], 'hello from the e2e test');
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(0);
    const lines = streamJsonObjects(result.stdout);
    const init = lines.find((line) => line.type === 'system' && line.subtype === 'init');
    const assistant = lines.find((line) => line.type === 'assistant');
    const resultLine = lines.find((line) => line.type === 'result');
    expect(init).toMatchObject({ cwd, claude_code_version: claude.version, permissionMode: 'default' });
    const content = (assistant?.message as { content?: unknown } | undefined)?.content;
    expect(content).toEqual([{ type: 'text', text: 'FAKE REPLY: hello from the e2e test' }]);
    expect(resultLine).toMatchObject({
      subtype: 'success',
      is_error: false,
      result: 'FAKE REPLY: hello from the e2e test',
      session_id: init?.session_id,
      num_turns: 1,
    });
    expect(resultLine?.total_cost_usd).toBeGreaterThan(0);

    // What the CLI sent: one streaming turn request with our key and the prompt; 2.1.197 probes the
    // base URL with HEAD / first (2.1.337 no longer does in -p mode).
    if (claude.role === 'pinned') expect(fake.requests[0]).toMatchObject({ method: 'HEAD', url: '/' });
    expect(fake.requests.filter((request) => request.method !== 'POST').every((r) => r.url === '/')).toBe(
      true,
    );
    const turns = fake.turnRequests();
    expect(turns).toHaveLength(1);
    const turn = turns[0];
    expect(turn?.url).toBe('/v1/messages?beta=true');
    expect(turn?.headers['x-api-key']).toBe(home.apiKey);
    expect(turn?.headers['anthropic-version']).toBe('2023-06-01');
    expect(turn?.headers['x-claude-code-session-id']).toBe(init?.session_id);
    expect(turn?.userText).toBe('hello from the e2e test');
    expect(turnBodies()[0]).toMatchObject({ stream: true, max_tokens: expect.any(Number) });
  });

  it('the fake claude matches the real one: line sequence, keys of init/assistant/result, hook payload keys', async () => {
    const hookDir = join(temp.path, 'hooks');
    mkdirSync(hookDir);
    const events = ['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd'];
    const realSettings = hookSettingsJson(events, (event) => join(hookDir, `real-${event}.jsonl`));
    const fakeSettings = hookSettingsJson(events, (event) => join(hookDir, `fake-${event}.jsonl`));
    const real = await print(['--settings', realSettings], 'compare shapes');
    const fakeRun = await runProcess(
      FAKE_CLAUDE_PATH,
      ['-p', '--output-format', 'stream-json', '--verbose', '--settings', fakeSettings],
      { cwd, env: home.env, input: 'compare shapes', timeoutMs: 15_000 },
    );
    expect(real.code).toBe(0);
    expect(fakeRun.code).toBe(0);
    const sequence = (stdout: string) =>
      streamJsonObjects(stdout).map((line) => `${String(line.type)}/${String(line.subtype ?? '')}`);
    expect(sequence(fakeRun.stdout)).toEqual(sequence(real.stdout));
    const pick = (stdout: string, type: string) =>
      streamJsonObjects(stdout).find(
        (line) => line.type === type && (type !== 'system' || line.subtype === 'init'),
      );
    const missing = (fakeObject: Json | undefined, realObject: Json | undefined) =>
      Object.keys(fakeObject ?? { none: 1 }).filter((key) => !(key in (realObject ?? {})));
    for (const type of ['system', 'assistant', 'result']) {
      expect({ type, missing: missing(pick(fakeRun.stdout, type), pick(real.stdout, type)) }).toEqual({
        type,
        missing: [],
      });
    }
    const realMessage = pick(real.stdout, 'assistant')?.message as Json | undefined;
    const fakeMessage = pick(fakeRun.stdout, 'assistant')?.message as Json | undefined;
    expect(missing(fakeMessage, realMessage)).toEqual([]);
    for (const event of events) {
      const realPayload = readJsonLines(join(hookDir, `real-${event}.jsonl`))[0];
      const fakePayload = readJsonLines(join(hookDir, `fake-${event}.jsonl`))[0];
      expect(realPayload).toBeDefined();
      expect({ event, keys: Object.keys(fakePayload ?? {}).sort() }).toEqual({
        event,
        keys: Object.keys(realPayload ?? {}).sort(),
      });
    }
  });

  it('runs a Stop hook given as a --settings JSON string after a -p turn', async () => {
    const file = join(temp.path, 'stop.jsonl');
    const result = await print(['--settings', hookSettingsJson(['Stop'], () => file)], 'hook me');
    expect(result.code).toBe(0);
    const init = streamJsonObjects(result.stdout).find((line) => line.subtype === 'init');
    // The CLI waits for Stop hooks before it prints the result, so the file is complete when it exits.
    const payloads = readJsonLines(file);
    expect(payloads).toHaveLength(1);
    expect(payloads[0]).toMatchObject({
      session_id: init?.session_id,
      hook_event_name: 'Stop',
      stop_hook_active: false,
      last_assistant_message: 'FAKE REPLY: hook me',
      cwd,
      permission_mode: 'default',
    });
    expect(String(payloads[0]?.transcript_path)).toContain(String(init?.session_id));
  });

  it('interactive in a PTY: prompt, typed line, fake reply on screen, Stop hook, /exit', async () => {
    const file = join(temp.path, 'stop.jsonl');
    const driver = PtyDriver.spawn({
      file: REAL_CLAUDE_PATH,
      args: ['--dangerously-skip-permissions', '--settings', hookSettingsJson(['Stop'], () => file)],
      cwd,
      env: home.env,
      cols: 100,
      rows: 30,
    });
    ptys.push(driver);
    await driver.waitForScreen('❯', { timeoutMs: 20_000 });
    await driver.typeLine('hello interactive world');
    // The real UI redraws by diffing frames (cursor moves over unchanged cells), so read the emulated screen.
    await driver.waitForScreen('● FAKE REPLY: hello interactive world', { timeoutMs: 20_000 });
    await pollUntil(() => readJsonLines(file).length === 1, 'the Stop hook payload', 20_000);
    expect(readJsonLines(file)[0]).toMatchObject({
      hook_event_name: 'Stop',
      stop_hook_active: false,
      last_assistant_message: 'FAKE REPLY: hello interactive world',
      permission_mode: 'bypassPermissions',
      cwd,
    });
    expect(fake.turnRequests().map((request) => request.userText)).toEqual(['hello interactive world']);
    // Let the turn finish drawing (completion line) before /exit.
    await driver.waitForScreen(/✻ \S+ for \d+s/, { timeoutMs: 20_000 });
    expect(driver.screen.text()).toContain('❯ hello interactive world');
    await driver.typeLine('/exit');
    expect(await driver.waitForExit(15_000)).toMatchObject({ exitCode: 0 });
  });

  it('interactive hook payloads (startup, turn, /clear, /exit) have the same keys in the fake and the real CLI', async () => {
    const events = ['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd'];
    const session = async (file: string, which: 'real' | 'fake') => {
      const hookDir = join(temp.path, which);
      mkdirSync(hookDir);
      const driver = PtyDriver.spawn({
        file,
        args: [
          '--dangerously-skip-permissions',
          '--settings',
          hookSettingsJson(events, (event) => join(hookDir, `${event}.jsonl`)),
        ],
        cwd,
        env: { ...home.env, FAKE_CLAUDE_WORK_MS: '50' },
      });
      ptys.push(driver);
      const count = (event: string) => readJsonLines(join(hookDir, `${event}.jsonl`)).length;
      await driver.waitForScreen('❯', { timeoutMs: 20_000 });
      await driver.typeLine('a turn for hooks');
      await pollUntil(() => count('Stop') === 1, `${which}: Stop hook`, 20_000);
      await driver.waitForScreen(/✻ \S+ for \d+s/, { timeoutMs: 20_000 });
      await driver.typeLine('/clear');
      await pollUntil(() => count('SessionStart') === 2, `${which}: SessionStart after /clear`, 20_000);
      await driver.typeLine('/exit');
      await driver.waitForExit(15_000);
      const keys: Record<string, string[][]> = {};
      for (const event of events) {
        keys[event] = readJsonLines(join(hookDir, `${event}.jsonl`)).map((payload) =>
          Object.keys(payload).sort(),
        );
      }
      return keys;
    };
    const real = await session(REAL_CLAUDE_PATH, 'real');
    const fakeKeys = await session(FAKE_CLAUDE_PATH, 'fake');
    expect(real.SessionEnd).toHaveLength(2);
    if (claude.role === 'pinned') {
      expect(fakeKeys).toEqual(real);
    } else {
      // The fake imitates the pinned version. The newest sends the same payloads; where keys differ
      // it is only in ones the server does not read (2.1.337: no `prompt_id` in the SessionStart
      // after /clear, which 2.1.197 sends).
      const unread = new Set(['prompt_id']);
      for (const event of events) {
        expect(fakeKeys[event]?.length).toBe(real[event]?.length);
        for (const [i, keys] of (fakeKeys[event] ?? []).entries()) {
          const realKeys = real[event]?.[i] ?? [];
          const differing = [
            ...keys.filter((key) => !realKeys.includes(key)),
            ...realKeys.filter((key) => !keys.includes(key)),
          ].filter((key) => !unread.has(key));
          expect({ event, i, differing }).toEqual({ event, i, differing: [] });
        }
      }
    }
  });

  it('a tool round trip: the fake asks for Write, the CLI writes the file and sends a tool_result', async () => {
    const result = await print(['--dangerously-skip-permissions'], 'PLEASE WRITE A FILE');
    expect(result.code).toBe(0);
    expect(readFileSync(join(cwd, 'written.txt'), 'utf8')).toBe('from the fake API\n');
    const bodies = turnBodies();
    expect(bodies).toHaveLength(2);
    const lastMessage = (bodies[1]?.messages as Json[] | undefined)?.at(-1);
    expect(JSON.stringify(lastMessage)).toContain('"type":"tool_result"');
    const lines = streamJsonObjects(result.stdout);
    expect(lines.map((line) => line.type)).toEqual([
      'system',
      'assistant',
      'assistant',
      'user',
      'assistant',
      'result',
    ]);
    expect(lines.at(-1)).toMatchObject({
      is_error: false,
      num_turns: 2,
      result: 'FAKE REPLY: tool finished',
    });
  });

  it('an API 400 ends the run at once with is_error and api_error_status', async () => {
    const result = await print([], 'PLEASE FAIL 400');
    expect(result.code).toBe(1);
    const resultLine = streamJsonObjects(result.stdout).find((line) => line.type === 'result');
    expect(resultLine).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 400 });
  });
});
