import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FAKE_CLAUDE_PATH,
  PtyDriver,
  parseStreamJson,
  type RunResult,
  runProcess,
  squash,
  streamJsonObjects,
} from '../fixtures/fake-claude/index.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

type Json = Record<string, unknown>;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The fake claude, black-box: one-shot (`-p`) and interactive (PTY) modes, directives, hooks. */
describe('fake claude', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let cwd: string;
  let env: Record<string, string | undefined>;
  const ptys: PtyDriver[] = [];

  beforeEach(() => {
    temp = makeTempDir('fake-claude-');
    cwd = join(temp.path, 'work');
    mkdirSync(cwd);
    env = {
      ...process.env,
      CLAUDE_CONFIG_DIR: join(temp.path, 'config'),
      HOME: temp.path,
      IS_SANDBOX: '1',
      FAKE_CLAUDE_WORK_MS: '150',
      FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
    };
    delete env.CLAUDECODE;
  });

  afterEach(async () => {
    for (const driver of ptys.splice(0)) await driver.close();
    temp.remove();
  });

  const run = (args: string[], options: { input?: string; env?: Json; keepStdinOpen?: boolean } = {}) =>
    runProcess(FAKE_CLAUDE_PATH, args, {
      cwd,
      env: { ...env, ...(options.env as Record<string, string>) },
      input: options.input,
      keepStdinOpen: options.keepStdinOpen,
      timeoutMs: 15_000,
    });

  const streamJson = (prompt: string, extra: string[] = [], options: { env?: Json } = {}) =>
    run(['-p', prompt, '--output-format', 'stream-json', '--verbose', ...extra], options);

  const byType = (result: RunResult, type: string): Json[] =>
    streamJsonObjects(result.stdout).filter((line) => line.type === type);

  const resultOf = (result: RunResult): Json => {
    const results = byType(result, 'result');
    expect(results).toHaveLength(1);
    const line = results[0];
    if (line === undefined) throw new Error('no result line');
    return line;
  };

  const assistantText = (line: Json): string => {
    const message = line.message as { content: Array<{ type: string; text?: string }> };
    return message.content.map((block) => block.text ?? '').join('');
  };

  /** Settings JSON whose hooks append each payload (one JSON per line) to <dir>/<Event>.jsonl. */
  const hookSettings = (dir: string, events: string[], command?: (event: string) => string): string => {
    const hooks: Json = {};
    for (const event of events) {
      const file = join(dir, `${event}.jsonl`);
      hooks[event] = [
        { hooks: [{ type: 'command', command: command?.(event) ?? `{ cat; echo; } >> '${file}'` }] },
      ];
    }
    return JSON.stringify({ hooks });
  };

  const hookPayloads = (dir: string, event: string): Json[] => {
    const file = join(dir, `${event}.jsonl`);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Json);
  };

  const records = (file: string): Json[] =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Json)
      : [];

  describe('one-shot (-p)', () => {
    it('prints its version like the real CLI', async () => {
      const result = await run(['--version']);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('2.1.197 (Claude Code)\n');
    });

    it('refuses stream-json without --verbose', async () => {
      const result = await run(['-p', 'hi', '--output-format', 'stream-json']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('--output-format=stream-json requires --verbose');
    });

    it('prints init, assistant and result lines shaped like the real CLI', async () => {
      const sessionId = '0b5b4c4e-1b7e-4c55-9f0a-3f1f2a2b9d10';
      const result = await streamJson('hello fake world', [
        '--session-id',
        sessionId,
        '--model',
        'claude-test-model',
        '--permission-mode',
        'acceptEdits',
      ]);
      expect(result.code).toBe(0);
      const lines = parseStreamJson(result.stdout);
      expect(lines.every((line) => line.json)).toBe(true);
      expect(lines.map((line) => line.value?.type)).toEqual(['system', 'assistant', 'result']);
      const init = lines[0]?.value ?? {};
      expect(init).toMatchObject({
        subtype: 'init',
        cwd,
        session_id: sessionId,
        model: 'claude-test-model',
        permissionMode: 'acceptEdits',
        claude_code_version: '2.1.197',
      });
      expect(Array.isArray(init.tools)).toBe(true);
      const assistant = lines[1]?.value ?? {};
      expect(assistantText(assistant)).toBe('Echo: hello fake world');
      expect(assistant.session_id).toBe(sessionId);
      const resultLine = resultOf(result);
      expect(resultLine).toMatchObject({
        subtype: 'success',
        is_error: false,
        num_turns: 1,
        result: 'Echo: hello fake world',
        session_id: sessionId,
        total_cost_usd: 0.000705,
      });
      expect(typeof resultLine.duration_ms).toBe('number');
      expect(resultLine.usage).toMatchObject({
        input_tokens: expect.any(Number),
        output_tokens: expect.any(Number),
      });
      // Parsers must not match prefixes: "type" is not the first key of the result line.
      const resultRaw = lines[2]?.raw ?? '';
      expect(resultRaw.startsWith('{"type"')).toBe(false);
      expect(Object.keys(JSON.parse(resultRaw) as Json)[0]).not.toBe('type');
    });

    it('makes a new session id when none is given', async () => {
      const a = resultOf(await streamJson('one'));
      const b = resultOf(await streamJson('two'));
      expect(a.session_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(a.session_id).not.toBe(b.session_id);
    });

    it('reads a 100,000-character prompt from stdin', async () => {
      const words = Array.from({ length: 21_000 }, (_, i) => `w${String(i % 1000).padStart(3, '0')}`);
      const prompt = words.join(' ').slice(0, 100_000);
      expect(prompt.length).toBe(100_000);
      const result = await run(['-p', '--output-format', 'stream-json', '--verbose'], { input: prompt });
      expect(result.code).toBe(0);
      const line = resultOf(result);
      expect(line.result).toBe(`Echo: ${prompt.slice(0, 200)}`);
      expect(line.total_cost_usd).toBeCloseTo(0.000235 * prompt.trim().split(/\s+/).length, 6);
    });

    it('fails like the real CLI without a prompt', async () => {
      const result = await run(['-p', '--output-format', 'stream-json', '--verbose'], { input: '' });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('Input must be provided either through stdin or as a prompt argument');
    });

    it('with a prompt argument and a silent open stdin, warns after the stdin timeout and goes on', async () => {
      const result = await run(['-p', 'arg prompt'], {
        keepStdinOpen: true,
        env: { FAKE_CLAUDE_STDIN_TIMEOUT_MS: '200' },
      });
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('Echo: arg prompt\n');
      expect(result.stderr).toContain('no stdin data received');
      expect(result.durationMs).toBeGreaterThanOrEqual(200);
    });

    it('supports text and json output formats', async () => {
      const text = await run(['-p', 'plain text please']);
      expect(text.stdout).toBe('Echo: plain text please\n');
      const json = await run(['-p', 'json please', '--output-format', 'json']);
      const parsed = JSON.parse(json.stdout) as Json;
      expect(parsed).toMatchObject({ type: 'result', result: 'Echo: json please', is_error: false });
    });

    it('[[crash]] exits 2 with a message on stderr and no result', async () => {
      const result = await streamJson('please [[crash]]');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('simulated crash');
      expect(byType(result, 'result')).toHaveLength(0);
    });

    it('[[hang]] prints init and never finishes (until killed)', async () => {
      const child = spawn(
        FAKE_CLAUDE_PATH,
        ['-p', 'x [[hang]]', '--output-format', 'stream-json', '--verbose'],
        {
          cwd,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
      child.on('exit', (code, signal) => {
        exit = { code, signal };
      });
      try {
        await pollUntil(() => stdout.includes('"subtype":"init"'), 'the init line');
        expect(exit).toBeNull();
        expect(child.pid !== undefined && processExists(child.pid)).toBe(true);
      } finally {
        child.kill('SIGTERM');
        await pollUntil(() => exit !== null, 'exit after SIGTERM');
      }
      expect(exit).toEqual({ code: 143, signal: null });
      expect(stdout).not.toContain('"result"');
    });

    it('[[garbage]] mixes non-JSON lines among valid JSON lines', async () => {
      const result = await streamJson('noisy [[garbage]]');
      expect(result.code).toBe(0);
      const lines = parseStreamJson(result.stdout);
      expect(lines.filter((line) => !line.json).length).toBeGreaterThanOrEqual(2);
      expect(lines.filter((line) => line.json).map((line) => line.value?.type)).toEqual([
        'system',
        'assistant',
        'result',
      ]);
    });

    it('[[sleep:MS]] delays the result', async () => {
      const result = await streamJson('slow [[sleep:400]]');
      expect(result.durationMs).toBeGreaterThanOrEqual(400);
      expect(resultOf(result).duration_ms).toBeGreaterThanOrEqual(400);
    });

    it('[[promise:PHRASE]], [[cost:USD]] and [[big:N]] shape the reply', async () => {
      const promise = resultOf(await streamJson('work [[promise:ALL DONE]]'));
      expect(promise.result).toContain('<promise>ALL DONE</promise>');
      const cost = resultOf(await streamJson('pricey [[cost:1.25]]'));
      expect(cost.total_cost_usd).toBe(1.25);
      const big = await streamJson('[[big:3000000]]');
      expect(resultOf(big).result).toHaveLength(3_000_000);
      expect(assistantText(byType(big, 'assistant')[0] ?? {})).toHaveLength(3_000_000);
    });

    it('[[error]] gives an is_error result and exit 1', async () => {
      const result = await streamJson('boom [[error]]');
      expect(result.code).toBe(1);
      expect(resultOf(result)).toMatchObject({ subtype: 'success', is_error: true, api_error_status: 500 });
    });

    it('[[tool]] adds a tool_use / tool_result round trip', async () => {
      const result = await streamJson('use a tool [[tool]]');
      const types = streamJsonObjects(result.stdout).map((line) => line.type);
      expect(types).toEqual(['system', 'assistant', 'user', 'assistant', 'result']);
      expect(resultOf(result).num_turns).toBe(2);
    });

    it('--input-format stream-json answers every user message', async () => {
      const input = ['first message', 'second message']
        .map((text) => JSON.stringify({ type: 'user', message: { role: 'user', content: text } }))
        .join('\n');
      const result = await run(
        ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose'],
        {
          input: `${input}\n`,
        },
      );
      expect(result.code).toBe(0);
      expect(byType(result, 'system')).toHaveLength(1);
      expect(byType(result, 'result').map((line) => line.result)).toEqual([
        'Echo: first message',
        'Echo: second message',
      ]);
    });

    it('validates options like the real CLI', async () => {
      const unknown = await run(['-p', 'x', '--frobnicate']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain("error: unknown option '--frobnicate'");
      const mode = await run(['-p', 'x', '--permission-mode', 'bogus']);
      expect(mode.code).toBe(1);
      expect(mode.stderr).toContain('Allowed choices are acceptEdits, auto, bypassPermissions');
      const badId = await run(['-p', 'x', '--session-id', 'not-a-uuid']);
      expect(badId.code).toBe(1);
      expect(badId.stderr).toContain('Invalid session ID');
      // Variadic --allowedTools swallows the following words, as commander does in the real CLI.
      const swallowed = await run(['-p', '--allowedTools', 'Bash', 'Edit', 'the prompt'], { input: '' });
      expect(swallowed.code).toBe(1);
      expect(swallowed.stderr).toContain('Input must be provided');
      const ok = await run(['-p', 'the prompt', '--allowedTools', 'Bash', 'Edit', '--max-turns', '3']);
      expect(ok.stdout).toBe('Echo: the prompt\n');
    });

    it.runIf(isRoot)('refuses --dangerously-skip-permissions as root unless IS_SANDBOX=1', async () => {
      const refused = await run(['-p', 'x', '--dangerously-skip-permissions'], { env: { IS_SANDBOX: '' } });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('cannot be used with root/sudo privileges');
      const allowed = await run(['-p', 'x', '--dangerously-skip-permissions']);
      expect(allowed.code).toBe(0);
    });

    it('keeps transcripts: --resume continues a session, unknown ids and reused ids fail', async () => {
      const sessionId = 'c0ffee00-1b7e-4c55-9f0a-3f1f2a2b9d10';
      expect(resultOf(await streamJson('first', ['--session-id', sessionId])).session_id).toBe(sessionId);
      const resumed = resultOf(await streamJson('second', ['--resume', sessionId]));
      expect(resumed.session_id).toBe(sessionId);
      const reused = await streamJson('again', ['--session-id', sessionId]);
      expect(reused.code).toBe(1);
      expect(reused.stderr).toContain('is already in use');
      const unknown = await streamJson('third', ['--resume', 'deadbeef-1b7e-4c55-9f0a-3f1f2a2b9d10']);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('No conversation found with session ID');
      expect(resultOf(unknown)).toMatchObject({ subtype: 'error_during_execution', is_error: true });
    });

    it('records each invocation when FAKE_CLAUDE_RECORD is set', async () => {
      const file = join(temp.path, 'record.jsonl');
      await run(['-p', 'recorded', '--model', 'm1'], { env: { FAKE_CLAUDE_RECORD: file } });
      const start = records(file).find((r) => r.event === 'start');
      expect(start).toMatchObject({ argv: ['-p', 'recorded', '--model', 'm1'], cwd, mode: 'print' });
      expect(records(file).find((r) => r.event === 'exit')).toMatchObject({ code: 0 });
    });

    it('runs SessionStart, UserPromptSubmit, Stop and SessionEnd hooks from --settings JSON', async () => {
      const dir = join(temp.path, 'hooks');
      mkdirSync(dir);
      const sessionId = '11111111-2222-4333-8444-555555555555';
      const settings = hookSettings(dir, ['SessionStart', 'UserPromptSubmit', 'Stop', 'SessionEnd']);
      const result = await streamJson('hooked', ['--session-id', sessionId, '--settings', settings]);
      expect(result.code).toBe(0);
      // As the real CLI: SessionStart hook progress lines come before init.
      const lines = streamJsonObjects(result.stdout);
      expect(lines.map((line) => `${line.type}/${line.subtype ?? ''}`)).toEqual([
        'system/hook_started',
        'system/hook_response',
        'system/init',
        'assistant/',
        'result/success',
      ]);
      expect(hookPayloads(dir, 'SessionStart')).toEqual([
        expect.objectContaining({
          session_id: sessionId,
          hook_event_name: 'SessionStart',
          source: 'startup',
          cwd,
        }),
      ]);
      expect(hookPayloads(dir, 'UserPromptSubmit')).toEqual([
        expect.objectContaining({ hook_event_name: 'UserPromptSubmit', prompt: 'hooked' }),
      ]);
      const stop = hookPayloads(dir, 'Stop');
      expect(stop).toHaveLength(1);
      expect(stop[0]).toMatchObject({
        session_id: sessionId,
        hook_event_name: 'Stop',
        stop_hook_active: false,
        last_assistant_message: 'Echo: hooked',
        permission_mode: 'default',
        cwd,
      });
      expect(typeof stop[0]?.transcript_path).toBe('string');
      expect(hookPayloads(dir, 'SessionEnd')).toEqual([
        expect.objectContaining({ hook_event_name: 'SessionEnd', reason: 'other' }),
      ]);
    });

    it('reads hooks from a settings file path and lets a Stop hook (exit 2) continue the conversation', async () => {
      const dir = join(temp.path, 'hooks');
      mkdirSync(dir);
      const marker = join(dir, 'blocked-once');
      const file = join(temp.path, 'settings.json');
      // Blocks the first stop (exit 2, reason on stderr), lets the second pass.
      const command = `cat >> '${join(dir, 'Stop.jsonl')}'; echo >> '${join(dir, 'Stop.jsonl')}'; if [ ! -e '${marker}' ]; then touch '${marker}'; echo 'keep going [[promise:FINISHED]]' >&2; exit 2; fi`;
      writeFileSync(file, JSON.stringify({ hooks: { Stop: [{ hooks: [{ type: 'command', command }] }] } }));
      const result = await streamJson('start', ['--settings', file]);
      expect(result.code).toBe(0);
      const line = resultOf(result);
      expect(line.num_turns).toBe(2);
      expect(line.result).toContain('<promise>FINISHED</promise>');
      expect(hookPayloads(dir, 'Stop').map((p) => p.stop_hook_active)).toEqual([false, true]);
    });
  });

  describe('interactive (PTY)', () => {
    const start = (args: string[] = ['--dangerously-skip-permissions'], extraEnv: Json = {}) => {
      const driver = PtyDriver.spawn({
        file: FAKE_CLAUDE_PATH,
        args,
        cwd,
        env: { ...env, ...(extraEnv as Record<string, string>) },
        cols: 100,
        rows: 30,
      });
      ptys.push(driver);
      return driver;
    };

    /** Waits until the prompt is back after the output at `since`. */
    const waitIdle = async (driver: PtyDriver, since: number) => {
      await driver.waitFor(/✻ \S+ for \d+s[\s\S]*❯ $/, { since });
    };

    it('shows a banner and the ❯ prompt, echoes typing and answers a submitted line', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      expect(driver.output).toContain('\x1b[38;5;'); // colour
      expect(driver.text()).toContain('Claude Code v2.1.197');
      const since = driver.mark();
      await driver.typeLine('hello there');
      await driver.waitFor('● Echo: hello there', { since });
      await waitIdle(driver, since);
      const screen = driver.text(since);
      expect(screen).toMatch(/[✻✶✳✢·✽] Thinking…/);
      expect(screen).toMatch(/✻ Baked for \d+s/);
      expect(driver.exit).toBeNull();
      // What a person sees: the reply, and the prompt as the last line.
      const visible = driver.screen.lines().filter((line) => line !== '');
      expect(visible).toContain('● Echo: hello there');
      expect(visible.at(-1)).toBe('❯');
    });

    it('treats text and \\r in one write as a paste (newline, no submit)', async () => {
      const record = join(temp.path, 'record.jsonl');
      const driver = start(['--dangerously-skip-permissions'], { FAKE_CLAUDE_RECORD: record });
      await driver.waitFor('❯ ');
      const since = driver.mark();
      driver.write('first line\r');
      await driver.waitFor('first line', { since });
      await driver.typeLine('second line');
      await driver.waitFor('● Echo: first line', { since });
      await waitIdle(driver, since);
      const submits = records(record).filter((r) => r.event === 'submit');
      expect(submits.map((r) => r.text)).toEqual(['first line\nsecond line']);
    });

    it('with FAKE_CLAUDE_PASTE_THRESHOLD=64 submits short combined writes, as the real 2.1.197 does', async () => {
      const driver = start(['--dangerously-skip-permissions'], { FAKE_CLAUDE_PASTE_THRESHOLD: '64' });
      await driver.waitFor('❯ ');
      const since = driver.mark();
      driver.write('short line\r');
      await driver.waitFor('● Echo: short line', { since });
    });

    it('handles backspace', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      const since = driver.mark();
      driver.write('helloo');
      await driver.waitFor('helloo', { since });
      driver.write('\x7f');
      await pollUntil(() => driver.output.slice(since).includes('\b \b'), 'backspace echo');
      await driver.typeLine('!');
      await driver.waitFor('● Echo: hello!', { since });
    });

    it('/clear clears the screen and shows (no content)', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      const since = driver.mark();
      await driver.typeLine('/clear');
      await driver.waitFor('(no content)', { since });
      expect(driver.output.slice(since)).toContain('\x1b[2J');
      expect(driver.output.slice(since)).toContain('\x1b[H');
      await driver.waitFor(/\(no content\)\s*❯ $/, { since });
      expect(driver.screen.lines().slice(0, 3)).toEqual(['(no content)', '', '❯']);
    });

    it('/init works for a while, then creates CLAUDE.md', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      const since = driver.mark();
      await driver.typeLine('/init');
      await driver.waitFor('Created CLAUDE.md', { since });
      await waitIdle(driver, since);
      expect(readFileSync(join(cwd, 'CLAUDE.md'), 'utf8')).toContain('# CLAUDE.md');
    });

    it('/compact compacts and /exit exits 0', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      const since = driver.mark();
      await driver.typeLine('/compact');
      await driver.waitFor('Compacted', { since });
      await driver.waitFor(/Compacted[\s\S]*❯ $/, { since });
      await driver.typeLine('/exit');
      expect(await driver.waitForExit()).toMatchObject({ exitCode: 0 });
    });

    it('[[crash]] exits 2', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      await driver.typeLine('die [[crash]]');
      expect(await driver.waitForExit()).toMatchObject({ exitCode: 2 });
      expect(driver.text()).toContain('simulated crash');
    });

    it('[[promise:X]], [[big:N]] and [[sleep:MS]] in typed lines', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      let since = driver.mark();
      await driver.typeLine('go [[promise:COMPLETE]]');
      await driver.waitFor('<promise>COMPLETE</promise>', { since });
      await waitIdle(driver, since);
      since = driver.mark();
      await driver.typeLine('flood [[big:200000]]');
      await waitIdle(driver, since);
      expect(driver.output.length - since).toBeGreaterThan(200_000);
      since = driver.mark();
      const started = Date.now();
      await driver.typeLine('slow [[sleep:600]]');
      await waitIdle(driver, since);
      expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    });

    it('Esc interrupts a [[hang]] turn; lines typed while working are queued', async () => {
      const driver = start();
      await driver.waitFor('❯ ');
      let since = driver.mark();
      await driver.typeLine('stuck [[hang]]');
      await driver.waitFor(/Thinking…/, { since });
      driver.write('\x1b');
      await driver.waitFor('Interrupted', { since });
      await driver.waitFor(/Interrupted[^❯]*❯ $/, { since });
      since = driver.mark();
      await driver.typeLine('busy [[sleep:500]]');
      await driver.waitFor(/Noodling…|Pondering…|Thinking…/, { since });
      driver.write('queued line');
      await new Promise((resolve) => setTimeout(resolve, 30));
      driver.write('\r');
      await driver.waitFor('● Echo: queued line', { since });
    });

    it('Ctrl-C twice on an empty line exits 0; SIGTERM exits 143', async () => {
      const first = start();
      await first.waitFor('❯ ');
      first.write('\x03');
      await first.waitFor('Press Ctrl-C again to exit');
      first.write('\x03');
      expect(await first.waitForExit()).toMatchObject({ exitCode: 0 });
      const second = start();
      await second.waitFor('❯ ');
      second.process.kill('SIGTERM');
      expect(await second.waitForExit()).toMatchObject({ exitCode: 143 });
    });

    it('survives resizes (process.stdout.columns follows the PTY)', async () => {
      const record = join(temp.path, 'record.jsonl');
      const driver = start(['--dangerously-skip-permissions'], { FAKE_CLAUDE_RECORD: record });
      await driver.waitFor('❯ ');
      driver.resize(132, 40);
      await pollUntil(
        () => records(record).some((r) => r.event === 'resize' && r.columns === 132),
        'resize seen',
      );
      driver.resize(60, 20);
      await pollUntil(
        () => records(record).some((r) => r.event === 'resize' && r.columns === 60),
        'resize seen',
      );
      const since = driver.mark();
      await driver.typeLine('still alive');
      await driver.waitFor('● Echo: still alive', { since });
    });

    it('submits a positional prompt at start', async () => {
      const driver = start(['--dangerously-skip-permissions', 'initial prompt']);
      await driver.waitFor('● Echo: initial prompt');
    });

    it('runs SessionStart, Stop and idle Notification hooks', async () => {
      const dir = join(temp.path, 'hooks');
      mkdirSync(dir);
      const settings = hookSettings(dir, ['SessionStart', 'Stop', 'Notification', 'UserPromptSubmit']);
      const driver = start(['--dangerously-skip-permissions', '--settings', settings], {
        FAKE_CLAUDE_IDLE_NOTIFY_MS: '300',
      });
      await driver.waitFor('❯ ');
      await pollUntil(() => hookPayloads(dir, 'SessionStart').length === 1, 'SessionStart hook');
      const sessionStart = hookPayloads(dir, 'SessionStart')[0] ?? {};
      expect(sessionStart).toMatchObject({ hook_event_name: 'SessionStart', source: 'startup', cwd });
      await driver.typeLine('turn one');
      await pollUntil(() => hookPayloads(dir, 'Stop').length === 1, 'Stop hook');
      expect(hookPayloads(dir, 'Stop')[0]).toMatchObject({
        session_id: sessionStart.session_id,
        hook_event_name: 'Stop',
        stop_hook_active: false,
        last_assistant_message: 'Echo: turn one',
        permission_mode: 'bypassPermissions',
      });
      await pollUntil(() => hookPayloads(dir, 'Notification').length === 1, 'idle Notification hook', 5_000);
      expect(hookPayloads(dir, 'Notification')[0]).toMatchObject({
        hook_event_name: 'Notification',
        message: 'Claude is waiting for your input',
        notification_type: 'idle_prompt',
        session_id: sessionStart.session_id,
      });
      expect(hookPayloads(dir, 'UserPromptSubmit')[0]).toMatchObject({ prompt: 'turn one' });
    });

    it('/clear starts a new session id with SessionEnd(clear) and SessionStart(clear) hooks', async () => {
      const dir = join(temp.path, 'hooks');
      mkdirSync(dir);
      const driver = start([
        '--dangerously-skip-permissions',
        '--settings',
        hookSettings(dir, ['SessionStart', 'SessionEnd']),
      ]);
      await driver.waitFor('❯ ');
      await driver.typeLine('/clear');
      await pollUntil(() => hookPayloads(dir, 'SessionStart').length === 2, 'second SessionStart');
      const [first, second] = hookPayloads(dir, 'SessionStart');
      expect(first?.source).toBe('startup');
      expect(second?.source).toBe('clear');
      expect(second?.session_id).not.toBe(first?.session_id);
      expect(hookPayloads(dir, 'SessionEnd')[0]).toMatchObject({
        reason: 'clear',
        session_id: first?.session_id,
      });
    });

    it('[[permission]] without bypass shows a dialog and a permission_prompt Notification', async () => {
      const dir = join(temp.path, 'hooks');
      mkdirSync(dir);
      const driver = start(['--settings', hookSettings(dir, ['Notification'])], {
        FAKE_CLAUDE_PERMISSION_NOTIFY_MS: '100',
      });
      await driver.waitFor('❯ ');
      const since = driver.mark();
      await driver.typeLine('risky [[permission]]');
      await driver.waitFor('Do you want to proceed?', { since });
      await pollUntil(() => hookPayloads(dir, 'Notification').length === 1, 'permission Notification');
      expect(hookPayloads(dir, 'Notification')[0]).toMatchObject({
        message: 'Claude needs your permission',
        notification_type: 'permission_prompt',
      });
      driver.write('1');
      await driver.waitFor('● Echo: risky [[permission]]', { since });
      expect(squash(driver.output.slice(since))).toContain(squash('❯ 1. Yes'));
    });
  });
});
