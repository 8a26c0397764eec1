// Conformance: persistence across a graceful shutdown and a restart on the same SQLite file.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { processExists } from '../helpers/poll.js';
import {
  expectKeys,
  expectRetryPolicy,
  fixture,
  is,
  listTasks as list,
  num,
  startTask as start,
  taskIn,
  tasksOf,
  useResources,
  waitUntil,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

const ERR_POLICY = { restart_delay: '0s', error_window: '1h0m0s', error_threshold: 2 };
const WAIT_POLICY = { restart_delay: '1h0m0s', error_window: '1h0m0s', error_threshold: 2 };

/** Loaded tasks have no worker: no current_pid, worker_state, last_exit_code. */
const LOADED_KEYS = [
  'task_id',
  'command',
  'args',
  'state',
  'retry_policy?',
  'restart_count',
  'created_at',
  'last_started_at?',
  'last_exited_at?',
  'error_message?',
];

describe('persistence', () => {
  it('restores every task after a restart: active → stopped, errored and stopped kept, no workers', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);

    const active = await start(a1, { task_id: 'active', command: NEVER, args: ['x', 'y z'] });
    const activePid = num(active, 'pid');
    await start(a1, { task_id: 'errored', command: '/bin/false', retry_policy: ERR_POLICY });
    await a1.waitFor(is('errored', { task_id: 'errored' }), 10_000);
    await start(a1, { task_id: 'stopped', command: NEVER });
    a1.send({ type: 'stop', task_id: 'stopped' });
    await a1.waitFor(is('exited', { task_id: 'stopped' }), 10_000);
    await start(a1, { task_id: 'done', command: '/bin/sh', args: ['-c', 'exit 4'] });
    await a1.waitFor(is('exited', { task_id: 'done' }));
    const before = await list(a1);

    await r.closeServer(s1);
    // Graceful shutdown stopped the worker.
    await waitUntil(() => !processExists(activePid), 5000, 'worker stopped by shutdown');
    expect(existsSync(s1.dbPath)).toBe(true);

    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    const after = await list(a2);

    expect(tasksOf(after).map((t) => t.task_id)).toEqual(['active', 'errored', 'stopped', 'done']);
    for (const t of tasksOf(after)) {
      expectKeys(t, LOADED_KEYS);
      expect(t).not.toHaveProperty('current_pid');
      expect(t).not.toHaveProperty('worker_state');
      expect(t).not.toHaveProperty('last_exit_code');
      const old = taskIn(before, String(t.task_id));
      for (const k of ['command', 'args', 'retry_policy', 'restart_count', 'created_at', 'last_started_at']) {
        expect(t[k], `${String(t.task_id)}.${k}`).toEqual(old[k]);
      }
    }

    const act = taskIn(after, 'active');
    expect(act.state).toBe('stopped');
    expect(act.args).toEqual(['x', 'y z']);
    expect(act).not.toHaveProperty('error_message');

    const err = taskIn(after, 'errored');
    expect(err).toMatchObject({
      state: 'errored',
      error_message: 'exit threshold reached',
      restart_count: 1,
    });
    expectRetryPolicy(err.retry_policy, ERR_POLICY);
    expect(err.last_exited_at).toBe(taskIn(before, 'errored').last_exited_at);

    const stp = taskIn(after, 'stopped');
    expect(stp.state).toBe('stopped');
    expect(stp.last_exited_at).toBe(taskIn(before, 'stopped').last_exited_at);

    const done = taskIn(after, 'done');
    expect(done.state).toBe('stopped');
    expect(done.last_exited_at).toBe(taskIn(before, 'done').last_exited_at);

    // Nothing is restarted automatically.
    await a2.expectNoMessage((m) => m.type !== 'tasks', 400);
  });

  it('starts a loaded task again on its record', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'again', command: NEVER });
    const created = taskIn(await list(a1), 'again').created_at;
    await r.closeServer(s1);

    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    const st = await start(a2, { task_id: 'again', command: NEVER });
    const pid = num(st, 'pid');
    expect((await a2.next(is('output', { task_id: 'again' }))).data).toBe(`ready ${pid}`);
    const t = taskIn(await list(a2), 'again');
    expect(t).toMatchObject({
      state: 'active',
      worker_state: 'running',
      current_pid: pid,
      created_at: created,
    });
    expect(tasksOf(await list(a2))).toHaveLength(1);
  });

  it('restores the exit history: an errored task keeps its exit_count', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'e', command: '/bin/false', retry_policy: ERR_POLICY });
    expect((await a1.waitFor(is('errored', { task_id: 'e' }), 10_000)).exit_count).toBe(2);
    await r.closeServer(s1);

    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    const st = await start(a2, { task_id: 'e', command: '/bin/false', retry_policy: ERR_POLICY });
    const er = await a2.waitFor(is('errored', { task_id: 'e' }), 10_000);
    expect(er.exit_count).toBe(3);
    expect(er.pid).toBe(st.pid);
    expect(a2.received(is('restarting', { task_id: 'e' }))).toEqual([]);
  });

  it('restores the exit history of a task that was waiting to restart', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'w', command: '/bin/false', retry_policy: WAIT_POLICY });
    const rs = await a1.waitFor(is('restarting', { task_id: 'w' }), 10_000);
    expect(rs.restart_delay).toBe('1h0m0s');
    await r.closeServer(s1); // cancels the pending restart

    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    expect(taskIn(await list(a2), 'w').state).toBe('stopped');
    await start(a2, { task_id: 'w', command: '/bin/false', retry_policy: WAIT_POLICY });
    // One remembered exit plus this one reaches error_threshold 2.
    const er = await a2.waitFor(is('errored', { task_id: 'w' }), 10_000);
    expect(er.exit_count).toBe(2);
    const t = taskIn(await list(a2), 'w');
    expect(t.state).toBe('errored');
    expect(t.error_message).toBe('exit threshold reached');
  });

  it('resets a loaded errored task', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'z', command: '/bin/false', retry_policy: ERR_POLICY });
    await a1.waitFor(is('errored', { task_id: 'z' }), 10_000);
    await r.closeServer(s1);

    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    const b2 = await r.client(s2);
    a2.send({ type: 'reset', id: 'r', task_id: 'z' });
    const st = await a2.next(is('started', { id: 'r' }));
    expectKeys(st, ['type', 'id', 'task_id', 'pid', 'ts']);
    // Cleared history: the exit restarts (attempt = restart_count 1 + 1) before erroring again.
    const rs = await a2.waitFor(is('restarting', { task_id: 'z' }), 10_000);
    expect(rs).toMatchObject({ pid: st.pid, attempt: 2 });
    expect((await a2.waitFor(is('errored', { task_id: 'z' }), 10_000)).exit_count).toBe(2);
    await b2.waitFor(is('errored', { task_id: 'z' }), 10_000);
    expect(b2.received(is('started', { pid: st.pid }))).toEqual([]);
  });

  it('replays nothing for a loaded task: `no worker for task`', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'q', command: '/bin/echo', args: ['hi'] });
    await a1.waitFor(is('exited', { task_id: 'q' }));
    await r.closeServer(s1);
    const s2 = await r.server({ dbPath: s1.dbPath });
    const a2 = await r.client(s2);
    a2.send({ type: 'replay', id: 'rp', task_id: 'q' });
    expect(await a2.next(is('error', { id: 'rp' }))).toEqual({
      type: 'error',
      id: 'rp',
      message: 'no worker for task',
    });
  });
});
