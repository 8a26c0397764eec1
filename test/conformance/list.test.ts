// Conformance: `list` and the TaskInfo shape.
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message, WsClient } from '../helpers/ws-client.js';
import {
  expectKeys,
  expectRetryPolicy,
  expectTs,
  fixture,
  is,
  listTasks as list,
  num,
  str,
  TASK_INFO_KEYS,
  taskIn,
  tasksOf,
  tsToNs,
  useResources,
  waitUntil,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

let seq = 0;
async function start(c: WsClient, body: Record<string, unknown>): Promise<Message> {
  const id = `start-${++seq}`;
  c.send({ type: 'start', id, ...body });
  return c.next((m) => (m.type === 'started' || m.type === 'error') && m.id === id, 10_000);
}

/** Waits until the wall clock is at least `ms` milliseconds past the timestamp `ts`. */
async function clockPast(ts: string, ms = 5): Promise<void> {
  await waitUntil(
    () => BigInt(Date.now()) * 1_000_000n > tsToNs(ts) + BigInt(ms) * 1_000_000n,
    2000,
    `clock past ${ts}`,
  );
}

/** The same instant as the UTC timestamp `ts`, written with a +02:00 offset. */
function withPlusTwo(ts: string): string {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?Z$/.exec(ts);
  if (!m || m[1] === undefined) throw new Error(`bad ts ${ts}`);
  const shifted = new Date(Date.parse(`${m[1]}Z`) + 2 * 3600_000).toISOString().slice(0, 19);
  return `${shifted}${m[2] ?? ''}+02:00`;
}

describe('list', () => {
  it('replies tasks: [] (never null) when there is no task, with id echoed when given', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'list' });
    const l1 = await a.next(is('tasks'));
    expectKeys(l1, ['type', 'tasks']);
    expect(l1.tasks).toEqual([]);
    const frame = a.frames.find((f) => f.msg === l1);
    expect(frame?.raw).toContain('"tasks":[]');
    expect(frame?.binary).toBe(false);

    a.send({ type: 'list', id: 'L' });
    const l2 = await a.next(is('tasks'));
    expectKeys(l2, ['type', 'id', 'tasks']);
    expect(l2).toEqual({ type: 'tasks', id: 'L', tasks: [] });

    a.send({ type: 'list', id: '' });
    const l3 = await a.next(is('tasks'));
    expectKeys(l3, ['type', 'tasks']);
  });

  it('replies to the requester only', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    await list(a);
    await b.expectNoMessage(() => true);
  });

  it('describes a running task with exactly the expected fields in order', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const st = await start(a, { task_id: 'run', command: NEVER, args: ['--flag', 'v'] });
    const t = taskIn(await list(a), 'run');
    expectKeys(t, [
      'task_id',
      'command',
      'args',
      'state',
      'current_pid',
      'worker_state',
      'restart_count',
      'created_at',
      'last_started_at',
    ]);
    expect(t).toMatchObject({
      task_id: 'run',
      command: NEVER,
      args: ['--flag', 'v'],
      state: 'active',
      current_pid: num(st, 'pid'),
      worker_state: 'running',
      restart_count: 0,
    });
    const created = expectTs(t.created_at);
    const started = expectTs(t.last_started_at);
    expect(tsToNs(created) <= tsToNs(started)).toBe(true);
  });

  it('describes a task whose worker exited without retry policy (active, worker_state exited)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 'done', command: '/bin/sh', args: ['-c', 'exit 3'] });
    const ex = await a.next(is('exited', { task_id: 'done' }));
    const t = taskIn(await list(a), 'done');
    expectKeys(t, [
      'task_id',
      'command',
      'args',
      'state',
      'current_pid?',
      'worker_state',
      'restart_count',
      'created_at',
      'last_started_at',
      'last_exited_at',
      'last_exit_code',
    ]);
    expect(t).toMatchObject({
      task_id: 'done',
      command: '/bin/sh',
      args: ['-c', 'exit 3'],
      state: 'active',
      worker_state: 'exited',
      restart_count: 0,
      last_exit_code: 3,
    });
    expect(t).not.toHaveProperty('retry_policy');
    expect(t).not.toHaveProperty('error_message');
    const exitedAt = expectTs(t.last_exited_at);
    expect(tsToNs(exitedAt) >= tsToNs(str(t, 'last_started_at'))).toBe(true);
    expect(Math.abs(Number((tsToNs(exitedAt) - tsToNs(str(ex, 'ts'))) / 1_000_000n))).toBeLessThan(2000);
  });

  it('writes retry_policy durations in Go canonical form', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const rows: Array<[Record<string, unknown>, Record<string, string | number>]> = [
      [
        { restart_delay: '5m', error_window: '90s', error_threshold: 3 },
        { restart_delay: '5m0s', error_window: '1m30s', error_threshold: 3 },
      ],
      [
        { restart_delay: '1500ms', error_window: '1h', error_threshold: 1 },
        { restart_delay: '1.5s', error_window: '1h0m0s', error_threshold: 1 },
      ],
      [
        { restart_delay: '0', error_window: '300ms', error_threshold: 0 },
        { restart_delay: '0s', error_window: '300ms', error_threshold: 0 },
      ],
      [
        { restart_delay: '1.5h', error_window: '1m30s', error_threshold: 2 },
        { restart_delay: '1h30m0s', error_window: '1m30s', error_threshold: 2 },
      ],
      [
        { restart_delay: '1500us', error_window: '2µs', error_threshold: 4 },
        { restart_delay: '1.5ms', error_window: '2µs', error_threshold: 4 },
      ],
      [
        { restart_delay: '-2s', error_window: '100ns', error_threshold: 5 },
        { restart_delay: '-2s', error_window: '100ns', error_threshold: 5 },
      ],
      [
        { restart_delay: '2h45m', error_window: '1h2m3.5s', error_threshold: 6 },
        { restart_delay: '2h45m0s', error_window: '1h2m3.5s', error_threshold: 6 },
      ],
      [
        { restart_delay: '0s', error_window: '0s', error_threshold: 0 },
        { restart_delay: '0s', error_window: '0s', error_threshold: 0 },
      ],
    ];
    for (const [i, [policy]] of rows.entries()) {
      const st = await start(a, { task_id: `p${i}`, command: NEVER, retry_policy: policy });
      expect(st.type, JSON.stringify(policy)).toBe('started');
    }
    const l = await list(a);
    for (const [i, [, expected]] of rows.entries()) {
      const t = taskIn(l, `p${i}`);
      expectKeys(t, TASK_INFO_KEYS);
      expect(Object.keys(t).indexOf('retry_policy')).toBe(4);
      expectRetryPolicy(t.retry_policy, expected);
    }
  });

  it('lists tasks in creation order, stable across restarts of a task', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const ids = ['e-task', 'd-task', 'c-task', 'b-task', 'a-task'];
    for (const id of ids) {
      await start(a, { task_id: id, command: '/bin/true' });
      await a.next(is('exited', { task_id: id }));
    }
    expect(tasksOf(await list(a)).map((t) => t.task_id)).toEqual(ids);
    // Restarting the oldest and a middle task must not reorder the list.
    await start(a, { task_id: 'e-task', command: '/bin/true' });
    await a.next(is('exited', { task_id: 'e-task' }));
    await start(a, { task_id: 'c-task', command: '/bin/true' });
    await a.next(is('exited', { task_id: 'c-task' }));
    expect(tasksOf(await list(a)).map((t) => t.task_id)).toEqual(ids);
    expect(tasksOf(await list(a)).map((t) => t.task_id)).toEqual(ids);
  });

  it('filters with since on the later of last_started_at and last_exited_at', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    await start(a, { task_id: 'old', command: NEVER });
    const oldStarted = str(taskIn(await list(a), 'old'), 'last_started_at');
    await clockPast(oldStarted);
    await start(a, { task_id: 'new', command: NEVER });
    const cut = str(taskIn(await list(a), 'new'), 'last_started_at');
    expect(tsToNs(cut) > tsToNs(oldStarted)).toBe(true);

    const ids = (m: Message) => tasksOf(m).map((t) => t.task_id);
    expect(ids(await list(a))).toEqual(['old', 'new']);
    expect(ids(await list(a, { since: cut }))).toEqual(['new']); // >= since
    expect(ids(await list(a, { since: withPlusTwo(cut) }))).toEqual(['new']);
    expect(ids(await list(a, { since: '1970-01-01T00:00:00Z' }))).toEqual(['old', 'new']);
    expect(ids(await list(a, { since: '2999-01-01T00:00:00.123456789Z' }))).toEqual([]);

    // Stopping "old" gives it a last_exited_at after the cut, so it is included again.
    await clockPast(cut);
    a.send({ type: 'stop', task_id: 'old' });
    await a.next(is('exited', { task_id: 'old' }), 10_000);
    const l = await list(a, { since: cut });
    expect(ids(l)).toEqual(['old', 'new']);
    expectKeys(taskIn(l, 'old'), TASK_INFO_KEYS);
    await b.expectNoMessage(is('tasks'));
  });

  it('excludes from since-filtered lists a task that was never started (failed spawn)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const err = await start(a, { task_id: 'never', command: 'nosuchcmd-xyz' });
    expect(err.type).toBe('error');
    await start(a, { task_id: 'ran', command: '/bin/true' });
    const all = tasksOf(await list(a)).map((t) => t.task_id);
    expect(all).toEqual(['never', 'ran']);
    const never = taskIn(await list(a), 'never');
    expect(never).not.toHaveProperty('last_started_at');
    const since = tasksOf(await list(a, { since: '1970-01-01T00:00:00Z' })).map((t) => t.task_id);
    expect(since).toEqual(['ran']);
  });

  it('answers an unparsable since with `invalid since timestamp`', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 't', command: NEVER });
    for (const since of ['yesterday', '2026-02-19T12:00:00', '12:00:00Z', '2026-02-19']) {
      a.send({ type: 'list', id: 'bad', since });
      const err = await a.next(is('error', { id: 'bad' }));
      expectKeys(err, ['type', 'id', 'message']);
      expect(err.message, since).toBe('invalid since timestamp');
    }
    a.send({ type: 'list', since: 'nope' });
    const err = await a.next(is('error'));
    expect(err).toEqual({ type: 'error', message: 'invalid since timestamp' });
  });
});
