import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { processExists } from '../helpers/poll.js';
import {
  fixture,
  is,
  killQuietly,
  listTasks,
  num,
  startTask,
  taskIn,
  useResources,
  WsClient,
  waitUntil,
} from '../helpers/ws-client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The sticky-overseer entry point from source (the built bin would not hold changes made since). */
const ENTRY = join(ROOT, 'src/cli/sticky-overseer.ts');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function ledgerRows(dbPath: string): unknown[] {
  const db = new BetterSqlite3(dbPath, { readonly: true });
  try {
    return db.prepare('SELECT owner_kind, owner_id, pid FROM process_ledger ORDER BY recorded_at').all();
  } finally {
    db.close();
  }
}

async function connect(url: string): Promise<WsClient> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await WsClient.connect(url);
    } catch (error) {
      if (attempt > 200) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * kill -9 of the server: its workers (each its own process group) outlive it; the next server on the
 * same database ends them before restoring the tasks, which are stopped and say what happened.
 */
describe('overseer after a kill -9', () => {
  const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
  let crashed: ChildProcess | null = null;

  afterEach(() => {
    if (crashed?.exitCode === null && crashed.signalCode === null) crashed.kill('SIGKILL');
    crashed = null;
  });

  it('ends the orphaned process groups on the next start; the tasks are stopped, with a note', async () => {
    const dbPath = join(r.tempDir(), 'overseer.db');
    const port = await freePort();
    let stderr = '';
    crashed = spawn(process.execPath, ['--import', 'tsx', ENTRY, '-db', dbPath], {
      cwd: ROOT,
      env: { ...process.env, OVERSEER_PORT: String(port), OVERSEER_TRUSTED_CIDRS: '127.0.0.1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    crashed.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const a1 = r.track(await connect(`ws://127.0.0.1:${port}/ws`));

    const never = num(await startTask(a1, { task_id: 'never', command: fixture('never-exits.sh') }), 'pid');
    const grand = num(
      await startTask(a1, { task_id: 'grand', command: fixture('spawns-grandchild.sh') }),
      'pid',
    );
    const line = await a1.waitFor(is('output', { task_id: 'grand' }));
    const grandchild = Number(String(line.data).replace('grandchild ', ''));
    await startTask(a1, { task_id: 'done', command: '/bin/echo', args: ['bye'] });
    await a1.waitFor(is('exited', { task_id: 'done' }));
    for (const pid of [never, grand, grandchild]) r.killAfter(pid);
    // What a kill -9 now leaves behind is on disk: the running workers, not the one that exited.
    expect(ledgerRows(dbPath)).toEqual([
      { owner_kind: 'overseer', owner_id: 'never', pid: never },
      { owner_kind: 'overseer', owner_id: 'grand', pid: grand },
    ]);

    const gone = new Promise((resolve) => crashed?.once('exit', resolve));
    crashed.kill('SIGKILL');
    await gone;
    // The server is gone; its workers are not.
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const pid of [never, grand, grandchild])
      expect(processExists(pid), `pid ${pid} outlived the server`).toBe(true);

    const s2 = await r.server({ dbPath });
    // The sweep is done before the server listens: nothing of the old groups runs any more.
    for (const pid of [never, grand, grandchild]) expect(processExists(pid), `pid ${pid} ended`).toBe(false);

    const a2 = await r.client(s2);
    const tasks = await listTasks(a2);
    expect(taskIn(tasks, 'never')).toMatchObject({
      state: 'stopped',
      error_message: `server restarted: orphaned worker (pid ${never}) ended`,
    });
    expect(taskIn(tasks, 'grand')).toMatchObject({
      state: 'stopped',
      error_message: `server restarted: orphaned worker (pid ${grand}) ended`,
    });
    // A worker whose exit the old server handled was released: nothing to say about it.
    expect(taskIn(tasks, 'done').state).toBe('stopped');
    expect(taskIn(tasks, 'done')).not.toHaveProperty('error_message');
    for (const t of ['never', 'grand', 'done']) expect(taskIn(tasks, t)).not.toHaveProperty('current_pid');

    // The ledger holds nothing of the old instance any more.
    expect(ledgerRows(dbPath)).toEqual([]);

    // Started again, a task runs on its record and the note is gone.
    const again = num(await startTask(a2, { task_id: 'never', command: fixture('never-exits.sh') }), 'pid');
    r.killAfter(again);
    const t = taskIn(await listTasks(a2), 'never');
    expect(t).toMatchObject({ state: 'active', worker_state: 'running', current_pid: again });
    expect(t).not.toHaveProperty('error_message');
    expect(stderr).not.toContain('"level":50');
  });

  it('after a graceful shutdown there is nothing to end and no note', async () => {
    const dbPath = join(r.tempDir(), 'overseer.db');
    const s1 = await r.server({ dbPath });
    const a1 = await r.client(s1);
    const pid = num(await startTask(a1, { task_id: 'x', command: fixture('never-exits.sh') }), 'pid');
    // Recorded as soon as it was spawned…
    expect(ledgerRows(dbPath)).toEqual([{ owner_kind: 'overseer', owner_id: 'x', pid }]);
    await r.closeServer(s1);
    await waitUntil(() => !processExists(pid), 5_000, 'the worker to be stopped by the shutdown');
    killQuietly(pid);
    // …and released once its exit was handled.
    expect(ledgerRows(dbPath)).toEqual([]);

    const s2 = await r.server({ dbPath });
    const t = taskIn(await listTasks(await r.client(s2)), 'x');
    expect(t.state).toBe('stopped');
    expect(t).not.toHaveProperty('error_message');
  });
});
