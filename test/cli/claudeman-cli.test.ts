import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { closedPort, ROOT, runCli } from './cli-helpers.js';

let server: ClaudemanTestServer;
let cli: (...args: string[]) => ReturnType<typeof runCli>;

beforeAll(async () => {
  server = await startClaudeman();
  cli = (...args) => runCli([...args, '--url', server.baseUrl, '--token', server.token]);
});
afterAll(async () => {
  await server?.close();
});

const json = <T>(text: string): T => JSON.parse(text) as T;

describe('claudeman status', { timeout: 120_000 }, () => {
  it('prints a summary, and the API snapshot with --json', async () => {
    const human = await cli('status');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`Claudeman at ${server.baseUrl}`);
    expect(human.stdout).toMatch(/sessions:\s+0/);
    const raw = await cli('status', '--json');
    expect(raw.code).toBe(0);
    const snapshot = json<{ sessions: unknown[]; timestamp: number }>(raw.stdout);
    expect(snapshot.sessions).toEqual([]);
    expect(typeof snapshot.timestamp).toBe('number');
  });
});

describe('claudeman session', { timeout: 120_000 }, () => {
  it('creates, lists, shows and deletes a session', async () => {
    const created = await cli('session', 'create', '--dir', server.casesDir);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await cli('session', 'list');
    expect(list.stdout).toContain('ID');
    expect(list.stdout).toContain(id);
    const listed = json<{ id: string; workingDir: string }[]>(
      (await cli('session', 'list', '--json')).stdout,
    );
    expect(listed.map((s) => s.id)).toContain(id);

    const shown = await cli('session', 'show', id, '--json');
    expect(json<{ id: string; workingDir: string }>(shown.stdout)).toMatchObject({
      id,
      workingDir: server.casesDir,
    });
    expect((await cli('session', 'show', id)).stdout).toMatch(/status:\s+idle/);

    const deleted = await cli('session', 'delete', id);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`deleted ${id}`);
    const gone = await cli('session', 'show', id);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`no session ${id} (SESSION_NOT_FOUND)`);
  });

  it('runs a prompt in a session and types into an interactive one', async () => {
    const id = (await cli('session', 'create')).stdout.trim();
    const ran = await cli('session', 'run', id, 'say hi');
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('prompt started');
    const notInteractive = await cli('session', 'input', id, 'hello');
    expect(notInteractive.code).toBe(1);
    expect(notInteractive.stderr).toMatch(/\(NOT_INTERACTIVE\)|\(SESSION_BUSY\)/);
    await cli('session', 'delete', id);

    const interactive = await cli('session', 'create', '--interactive', '--json');
    expect(interactive.code, interactive.stderr).toBe(0);
    const sid = json<{ session: { id: string } }>(interactive.stdout).session.id;
    const typed = await cli('session', 'input', sid, 'hello there');
    expect(typed.code, typed.stderr).toBe(0);
    await expect
      .poll(
        async () =>
          json<{ terminalBuffer: string }>(await (await server.api(`/api/sessions/${sid}/terminal`)).text())
            .terminalBuffer,
        {
          timeout: 10_000,
        },
      )
      .toContain('hello there');
    await cli('session', 'delete', sid);
  });
});

describe('claudeman run', { timeout: 120_000 }, () => {
  it('streams the output, prints the cost and removes its session; a failed run exits 1 with the reason', async () => {
    const before = json<unknown[]>((await cli('session', 'list', '--json')).stdout).length;
    const ran = await cli('run', 'what is 2+2', '-d', server.casesDir);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stdout).toContain('Echo: what is 2+2');
    expect(ran.stdout).toMatch(/cost: \$\d/);
    const failed = await cli('run', 'boom [[crash]]');
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/claude exited with code 2/);
    const sessions = json<unknown[]>((await cli('session', 'list', '--json')).stdout);
    expect(sessions).toHaveLength(before);
    const raw = await cli('run', 'again', '--json');
    expect(raw.code, raw.stderr).toBe(0);
    const reply = json<{ success: boolean; result: string; sessionId: string }>(raw.stdout);
    expect(reply.success).toBe(true);
    expect(typeof reply.result).toBe('string');
  });
});

describe('claudeman case', { timeout: 120_000 }, () => {
  it('creates and lists cases; a duplicate fails with the server’s code', async () => {
    const created = await cli('case', 'create', 'demo', '--description', 'a demo case');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout.trim()).toMatch(/demo$/);
    const cases = json<{ name: string; description: string }[]>((await cli('case', 'list', '--json')).stdout);
    expect(cases).toContainEqual(expect.objectContaining({ name: 'demo', description: 'a demo case' }));
    expect((await cli('case', 'list')).stdout).toContain('demo');
    const again = await cli('case', 'create', 'demo');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(CASE_EXISTS)');
  });
});

describe('claudeman task', { timeout: 120_000 }, () => {
  it('adds, lists, shows and removes queued tasks', async () => {
    const first = await cli('task', 'add', 'first job', '--id', 'job-1', '-p', '5', '-c', 'DONE_1');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.trim()).toBe('job-1');
    const second = await cli('task', 'add', 'second job', '--after', 'job-1', '--json');
    const task = json<{ task: { id: string; dependsOn: string[] } }>(second.stdout).task;
    expect(task.dependsOn).toEqual(['job-1']);

    const list = json<{ id: string }[]>((await cli('task', 'list', '--json')).stdout);
    expect(list.map((t) => t.id)).toEqual(expect.arrayContaining(['job-1', task.id]));
    expect((await cli('task', 'list')).stdout).toContain('first job');
    const shown = json<{ priority: number; completionPhrase: string }>(
      (await cli('task', 'show', 'job-1', '--json')).stdout,
    );
    expect(shown).toMatchObject({ priority: 5, completionPhrase: 'DONE_1' });

    const blocked = await cli('task', 'remove', 'job-1');
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('(TASK_HAS_DEPENDENTS)');
    expect((await cli('task', 'remove', task.id)).code).toBe(0);
    expect((await cli('task', 'remove', 'job-1')).code).toBe(0);
    const missing = await cli('task', 'show', 'job-1');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(TASK_NOT_FOUND)');
  });

  it('refuses a bad priority as a usage error', async () => {
    const bad = await cli('task', 'add', 'x', '-p', 'high');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('expected an integer');
  });
});

describe('claudeman ralph', { timeout: 120_000 }, () => {
  it('reports, starts and stops the loop', async () => {
    const status = json<{ running: boolean }>((await cli('ralph', 'status', '--json')).stdout);
    expect(status.running).toBe(false);
    const started = await cli(
      'ralph',
      'start',
      '--workers',
      '0',
      '--min-minutes',
      '30',
      '--max-cost',
      '1',
      '--json',
    );
    expect(started.code, started.stderr).toBe(0);
    expect(json<{ status: { running: boolean; maxCostUsd: number } }>(started.stdout).status).toMatchObject({
      running: true,
      maxCostUsd: 1,
    });
    expect((await cli('ralph', 'status')).stdout).toMatch(/running:\s+yes/);
    const stopped = await cli('ralph', 'stop');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/running:\s+no/);
    const again = await cli('ralph', 'stop');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(RALPH_NOT_RUNNING)');
  });
});

describe('claudeman scheduled', { timeout: 120_000 }, () => {
  it('creates, lists, shows and cancels a scheduled run', async () => {
    const created = await cli(
      'scheduled',
      'create',
      'keep improving',
      '--minutes',
      '30',
      '-d',
      server.casesDir,
      '--max-cost',
      '2',
    );
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const runs = json<{ id: string }[]>((await cli('scheduled', 'list', '--json')).stdout);
    expect(runs.map((r) => r.id)).toContain(id);
    const shown = json<{ id: string; maxCostUsd: number; durationMinutes: number }>(
      (await cli('scheduled', 'show', id, '--json')).stdout,
    );
    expect(shown).toMatchObject({ id, maxCostUsd: 2, durationMinutes: 30 });
    expect((await cli('scheduled', 'show', id)).stdout).toContain('keep improving');
    expect((await cli('scheduled', 'cancel', id)).code).toBe(0);
    const missing = await cli('scheduled', 'cancel', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('(SCHEDULED_RUN_NOT_FOUND)');
  });

  it('requires --minutes (usage error)', async () => {
    const result = await cli('scheduled', 'create', 'x');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--minutes');
  });
});

describe('claudeman respawn', { timeout: 120_000 }, () => {
  it('starts, configures, reports and stops the controller of an interactive session', async () => {
    const sid = json<{ session: { id: string } }>((await cli('session', 'create', '-i', '--json')).stdout)
      .session.id;
    const none = json<{ enabled: boolean }>((await cli('respawn', 'status', sid, '--json')).stdout);
    expect(none.enabled).toBe(false);
    const started = await cli('respawn', 'start', sid, '--idle-ms', '5000', '--json');
    expect(started.code, started.stderr).toBe(0);
    expect(
      json<{ status: { config: { idleTimeoutMs: number } } }>(started.stdout).status.config.idleTimeoutMs,
    ).toBe(5000);
    const configured = await cli(
      'respawn',
      'config',
      sid,
      '--prompt',
      'update the notes',
      '--delay-ms',
      '10',
      '--json',
    );
    expect(configured.code, configured.stderr).toBe(0);
    expect(
      json<{ config: { updatePrompt: string; interStepDelayMs: number } }>(configured.stdout).config,
    ).toMatchObject({
      updatePrompt: 'update the notes',
      interStepDelayMs: 10,
    });
    expect((await cli('respawn', 'status', sid)).stdout).toMatch(/enabled:\s+yes/);
    expect((await cli('respawn', 'stop', sid)).code).toBe(0);
    const unknown = await cli('respawn', 'status', 'no-such-session');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('(SESSION_NOT_FOUND)');
    await cli('session', 'delete', sid);
  });
});

describe('claudeman tasks (overseer)', { timeout: 120_000 }, () => {
  it('starts, lists, shows the logs of, and stops a supervised process', async () => {
    // Client options go before `--`: everything after it is the command line.
    const started = await runCli([
      'tasks',
      'start',
      '--url',
      server.baseUrl,
      '--token',
      server.token,
      '--id',
      'ticker',
      '--json',
      '--',
      'sh',
      '-c',
      'echo tick; sleep 60',
    ]);
    expect(started.code, started.stderr).toBe(0);
    expect(json<{ type: string; task_id: string }>(started.stdout)).toMatchObject({
      type: 'started',
      task_id: 'ticker',
    });
    const tasks = json<{ tasks: { task_id: string; state: string }[] }>(
      (await cli('tasks', 'list', '--json')).stdout,
    ).tasks;
    expect(tasks).toContainEqual(expect.objectContaining({ task_id: 'ticker', state: 'active' }));
    expect((await cli('tasks', 'list')).stdout).toContain('sh -c echo tick; sleep 60');
    await expect
      .poll(async () => (await cli('tasks', 'logs', 'ticker')).stdout, { timeout: 10_000 })
      .toContain('tick');
    const stopped = await cli('tasks', 'stop', 'ticker');
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stdout).toContain('stopped ticker');
    const unknown = await cli('tasks', 'stop', 'nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('task not found');
    const replayMissing = await cli('tasks', 'logs', 'nope');
    expect(replayMissing.code).toBe(1);
    expect(replayMissing.stderr).toContain('task not found');
  });
});

describe('finding the server and usage errors', { timeout: 120_000 }, () => {
  it('exits 2 on an unknown command or a missing argument', async () => {
    expect((await runCli(['sesion', 'list'])).code).toBe(2);
    const missing = await cli('session', 'show');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'id'");
  });

  it('refuses an empty --data-dir as a usage error, for web and the client commands, writing nothing', async () => {
    const strays = ['claudeman.db', 'token', 'server.json'].map((name) => join(ROOT, name));
    const before = strays.filter((path) => existsSync(path));
    const web = await runCli(['web', '--data-dir', '', '--no-open', '-p', '0']);
    expect(web.code).toBe(2);
    expect(web.stderr).toContain('--data-dir needs a directory, not an empty path');
    const status = await runCli(['status', '--data-dir', '']);
    expect(status.code).toBe(2);
    expect(status.stderr).toContain('--data-dir needs a directory, not an empty path');
    expect(strays.filter((path) => existsSync(path))).toEqual(before);
  });

  it('says how to start the server when nothing listens', async () => {
    const result = await runCli([
      'status',
      '--url',
      `http://127.0.0.1:${await closedPort()}`,
      '--token',
      'x',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server not running: start it with `claudeman web`');
  });

  it('says how to start the server when the data directory names none', async () => {
    const result = await runCli(['session', 'list', '--data-dir', server.casesDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('server not running: start it with `claudeman web`');
  });

  it('names a refused token', async () => {
    const result = await runCli(['status', '--url', server.baseUrl, '--token', 'wrong']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('access token refused');
  });

  it('prints completion scripts', async () => {
    const bash = await runCli(['completion', 'bash']);
    expect(bash.code).toBe(0);
    expect(bash.stdout).toContain('complete -o default -F _claudeman claudeman');
    expect(bash.stdout).toContain('session) words="list create show delete run resume input attach"');
    const zsh = await runCli(['completion', 'zsh']);
    expect(zsh.stdout).toContain('#compdef claudeman');
    expect((await runCli(['completion', 'fish'])).code).toBe(2);
  });
});
