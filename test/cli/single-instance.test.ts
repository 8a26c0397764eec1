// One server per data directory (claudeman web) and per database file (sticky-overseer), with the
// real bins: a second one exits 1 naming the first and changes nothing of it; after a kill -9 of the
// holder the lock is gone at once (the kernel drops it with the process).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_CLAUDE } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { fixture, is, startTask, WsClient } from '../helpers/ws-client.js';
import { CLI, closedPort, ROOT } from './cli-helpers.js';

const OVERSEER_BIN = fileURLToPath(new URL('../../dist/cli/sticky-overseer.js', import.meta.url));
const TOKEN = 'single-instance-token-0123456789';

const children: ChildProcess[] = [];
const temps: { remove(): void }[] = [];

afterEach(async () => {
  // Our servers by pid, most recent first: the last one ends the orphans of the killed ones itself.
  for (const child of children.splice(0).reverse()) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  for (const temp of temps.splice(0)) temp.remove();
});

interface Started {
  readonly child: ChildProcess;
  /** What the server printed (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once it ends. */
  readonly exit: Promise<number | null>;
}

function spawnServer(command: string, args: string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [command, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/** The exit code, or 'still running' when the server has not exited within `ms`. */
function exitWithin(server: Started, ms: number): Promise<number | null | 'still running'> {
  return Promise.race([
    server.exit,
    new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms).unref()),
  ]);
}

function startWeb(dataDir: string): Started {
  return spawnServer(CLI, ['web', '-p', '0', '--data-dir', dataDir, '--no-open'], {
    CLAUDEMAN_TOKEN: TOKEN,
    CLAUDEMAN_LOG_LEVEL: 'silent',
    CLAUDEMAN_CASES_DIR: join(dataDir, '..', 'cases'),
    CLAUDEMAN_CLAUDE_BIN: FAKE_CLAUDE,
    CLAUDEMAN_TERMINAL_HOST: 'pty',
  });
}

/** The base URL once `claudeman web` announced it. */
async function listening(server: Started): Promise<string> {
  let url = '';
  await pollUntil(
    () => {
      const match = /Claudeman listening on (http:\/\/[^/\s]+)\//.exec(server.output());
      if (match?.[1] !== undefined) url = match[1];
      if (url === '' && server.child.exitCode !== null) throw new Error(`exited: ${server.output()}`);
      return url !== '';
    },
    'claudeman web to listen',
    30_000,
  );
  return url;
}

function api(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
  });
}

describe('one claudeman web per data directory', { timeout: 120_000 }, () => {
  it('refuses a second server on the same data directory, which touches nothing of the first', async () => {
    const temp = makeTempDir('single-web-');
    temps.push(temp);
    const dataDir = join(temp.path, 'data');
    const first = startWeb(dataDir);
    const base = await listening(first);

    // What the second server used to spoil: a live overseer task and a busy one-shot run.
    const ws = await WsClient.connect(`${base.replace('http', 'ws')}/ws?token=${TOKEN}`);
    const started = await startTask(ws, { task_id: 'live', command: fixture('never-exits.sh') });
    await ws.next(is('output', { task_id: 'live' }));
    const created = (await (await api(base, '/api/sessions', { method: 'POST', body: '{}' })).json()) as {
      session: { id: string };
    };
    const sessionId = created.session.id;
    const run = await api(base, `/api/sessions/${sessionId}/run`, {
      method: 'POST',
      body: JSON.stringify({ prompt: '[[hang]]' }),
    });
    expect(run.status).toBe(200);
    const serverFile = readFileSync(join(dataDir, 'server.json'), 'utf8');

    const second = startWeb(dataDir);
    expect(await exitWithin(second, 20_000)).toBe(1);
    expect(second.output()).toContain(
      `claudeman: another server (pid ${first.child.pid}, ${base}) uses this data directory`,
    );

    // The first server's state, as it was.
    const task = ((await (await api(base, '/api/overseer/tasks')).json()) as Record<string, unknown>[]).find(
      (t) => t.task_id === 'live',
    );
    expect(task).toMatchObject({ state: 'active', current_pid: started.pid, worker_state: 'running' });
    const session = (await (await api(base, `/api/sessions/${sessionId}`)).json()) as Record<string, unknown>;
    expect(session).toMatchObject({ status: 'busy', mode: 'oneshot', lastError: null });
    expect(readFileSync(join(dataDir, 'server.json'), 'utf8')).toBe(serverFile);
    ws.close();
  });

  it('starts at once on the data directory of a server killed with kill -9 (no stale lock)', async () => {
    const temp = makeTempDir('single-web-');
    temps.push(temp);
    const dataDir = join(temp.path, 'data');
    const first = startWeb(dataDir);
    await listening(first);
    first.child.kill('SIGKILL');
    await first.exit;

    const next = startWeb(dataDir);
    const base = await listening(next);
    expect((await api(base, '/api/sessions')).status).toBe(200);
  });
});

describe('one sticky-overseer per database file', { timeout: 120_000 }, () => {
  function startOverseerBin(dbPath: string, port: number): Started {
    return spawnServer(OVERSEER_BIN, ['-db', dbPath], {
      OVERSEER_PORT: String(port),
      OVERSEER_TRUSTED_CIDRS: '127.0.0.1,::1',
    });
  }

  /** Connects once the server listens (it says nothing on stdout when it does). */
  async function connect(port: number, server: Started): Promise<WsClient> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`exited: ${server.output()}`);
      try {
        return await WsClient.connect(`ws://127.0.0.1:${port}/ws`);
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  it('refuses a second server on the same -db file, naming the first; its tasks are untouched', async () => {
    const temp = makeTempDir('single-overseer-');
    temps.push(temp);
    const dbPath = join(temp.path, 'overseer.db');
    const port = await closedPort();
    const first = startOverseerBin(dbPath, port);
    const ws: WsClient = await connect(port, first);
    const started = await startTask(ws, { task_id: 'live', command: fixture('never-exits.sh') });

    const second = startOverseerBin(dbPath, await closedPort());
    expect(await exitWithin(second, 20_000)).toBe(1);
    expect(second.output()).toContain(`sticky-overseer: another server (pid ${first.child.pid}, `);
    expect(second.output()).toContain(`) uses the database ${dbPath}`);

    ws.send({ type: 'list', id: 'after' });
    const list = await ws.next(is('tasks', { id: 'after' }));
    expect(list.tasks).toEqual([
      expect.objectContaining({ task_id: 'live', state: 'active', current_pid: started.pid }),
    ]);
    ws.close();

    first.child.kill('SIGKILL');
    await first.exit;
    const next = startOverseerBin(dbPath, port);
    const again: WsClient = await connect(port, next);
    again.close();
  });
});
