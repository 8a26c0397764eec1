// Conformance: the `start` request, the `started` reply and the pinned command.
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { processExists } from '../helpers/poll.js';
import {
  EXITED_KEYS,
  expectKeys,
  expectTs,
  fixture,
  is,
  listTasks as list,
  num,
  STARTED_KEYS,
  str,
  TASK_INFO_KEYS,
  taskIn,
  tasksOf,
  tsToNs,
  UUID_V4_RE,
  useResources,
  waitUntil,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

describe('start', () => {
  it('generates a lower-case UUID v4 task_id and replies started(type, task_id, pid, ts)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', command: NEVER });
    const st = await a.next(is('started'));
    expectKeys(st, ['type', 'task_id', 'pid', 'ts']);
    const taskId = str(st, 'task_id');
    expect(taskId).toMatch(UUID_V4_RE);
    const pid = num(st, 'pid');
    expect(Number.isInteger(pid)).toBe(true);
    expect(pid).toBeGreaterThan(0);
    expect(processExists(pid)).toBe(true);
    expectTs(st.ts);

    a.send({ type: 'start', command: NEVER });
    const st2 = await a.next(is('started'));
    expect(str(st2, 'task_id')).toMatch(UUID_V4_RE);
    expect(st2.task_id).not.toBe(taskId);

    const tasks = tasksOf(await list(a));
    expect(tasks.map((t) => t.task_id)).toEqual([taskId, st2.task_id]);
  });

  it('keeps a given task_id and echoes id in the started reply (field order type, id, task_id, pid, ts)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', id: 'req-1', task_id: 'my-task', command: NEVER });
    const st = await a.next(is('started'));
    expectKeys(st, ['type', 'id', 'task_id', 'pid', 'ts']);
    expect(st.id).toBe('req-1');
    expect(st.task_id).toBe('my-task');
    expect(st.type).toBe('started');
  });

  it('leaves id out of the reply when it is the empty string', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', id: '', task_id: 'empty-id', command: NEVER });
    const st = await a.next(is('started'));
    expectKeys(st, ['type', 'task_id', 'pid', 'ts']);
    expect(st.task_id).toBe('empty-id');
  });

  it('sends started to the requester only while output goes to every connection', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    a.send({ type: 'start', id: 's', task_id: 'routing', command: NEVER });
    const st = await a.next(is('started', { id: 's' }));
    const pid = num(st, 'pid');
    const outB = await b.next(is('output', { task_id: 'routing' }));
    expect(outB.data).toBe(`ready ${pid}`);
    const outA = await a.next(is('output', { task_id: 'routing' }));
    expect(outA).toEqual(outB);
    await b.expectNoMessage(is('started'));
  });

  it('passes args verbatim without a shell', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const args = ['a b', '$HOME', '*', '"q"'];
    a.send({ type: 'start', task_id: 'argv', command: '/bin/echo', args });
    await a.next(is('started', { task_id: 'argv' }));
    const out = await a.next(is('output', { task_id: 'argv' }));
    expect(out.data).toBe('a b $HOME * "q"');
    await a.next(is('exited', { task_id: 'argv' }));
    expect(taskIn(await list(a), 'argv').args).toEqual(args);
  });

  it('treats absent and null args as []', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', task_id: 'no-args', command: '/bin/echo' });
    a.send({ type: 'start', task_id: 'null-args', command: '/bin/echo', args: null });
    for (const id of ['no-args', 'null-args']) {
      await a.next(is('started', { task_id: id }));
      const out = await a.next(is('output', { task_id: id }));
      expect(out.data).toBe('');
      await a.next(is('exited', { task_id: id }));
    }
    const l = await list(a);
    expect(taskIn(l, 'no-args').args).toEqual([]);
    expect(taskIn(l, 'null-args').args).toEqual([]);
  });

  it('looks a command without "/" up in PATH', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', task_id: 'path', command: 'echo', args: ['via-path'] });
    await a.next(is('started', { task_id: 'path' }));
    expect((await a.next(is('output', { task_id: 'path' }))).data).toBe('via-path');
    const ex = await a.next(is('exited', { task_id: 'path' }));
    expect(ex.exit_code).toBe(0);
  });

  it('gives the child /dev/null as stdin', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      task_id: 'stdin',
      command: '/bin/sh',
      args: ['-c', 'n=$(wc -c); echo "stdin bytes: $n"'],
    });
    const out = await a.next(is('output', { task_id: 'stdin' }), 10_000);
    expect(String(out.data).replace(/\s+/g, ' ')).toBe('stdin bytes: 0');
    const ex = await a.next(is('exited', { task_id: 'stdin' }), 10_000);
    expect(ex.exit_code).toBe(0);
  });

  it('refuses a start on a task whose worker is running', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    a.send({ type: 'start', task_id: 'busy', command: NEVER });
    const st = await a.next(is('started', { task_id: 'busy' }));
    a.send({ type: 'start', id: 'dup', task_id: 'busy', command: NEVER });
    const err = await a.next(is('error', { id: 'dup' }));
    expectKeys(err, ['type', 'id', 'message']);
    expect(err.message).toBe('task already has a running worker');
    await b.expectNoMessage((m) => m.type === 'error' || m.type === 'started');
    const info = taskIn(await list(a), 'busy');
    expect(info.current_pid).toBe(st.pid);
    expect(processExists(num(st, 'pid'))).toBe(true);
  });

  it('starts an exited task again on the same record (created_at kept, last_started_at updated)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', task_id: 'again', command: '/bin/echo', args: ['x'] });
    const st1 = await a.next(is('started', { task_id: 'again' }));
    await a.next(is('exited', { task_id: 'again' }));
    const before = taskIn(await list(a), 'again');
    const lastStarted1 = str(before, 'last_started_at');
    await waitUntil(
      () => BigInt(Date.now()) * 1_000_000n > tsToNs(lastStarted1) + 5_000_000n,
      1000,
      'clock to move past last_started_at',
    );

    a.send({ type: 'start', id: 'again-2', task_id: 'again', command: '/bin/echo', args: ['x'] });
    const st2 = await a.next(is('started', { id: 'again-2' }));
    expectKeys(st2, ['type', 'id', 'task_id', 'pid', 'ts']);
    expect(st2.pid).not.toBe(st1.pid);
    await a.next(is('exited', { task_id: 'again', pid: st2.pid }));
    const l = await list(a);
    expect(tasksOf(l)).toHaveLength(1);
    const after = taskIn(l, 'again');
    expect(after.created_at).toBe(before.created_at);
    expect(after.restart_count).toBe(0);
    expect(tsToNs(str(after, 'last_started_at')) > tsToNs(lastStarted1)).toBe(true);
  });

  it('keeps restart_count and the exit history when an errored task is started again', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const policy = { restart_delay: '0s', error_window: '0s', error_threshold: 2 };
    a.send({ type: 'start', task_id: 'hist', command: '/bin/false', retry_policy: policy });
    const e1 = await a.next(is('errored', { task_id: 'hist' }), 10_000);
    expect(e1.exit_count).toBe(2);
    const before = taskIn(await list(a), 'hist');
    expect(before.restart_count).toBe(1);

    a.send({ type: 'start', id: 'again', task_id: 'hist', command: '/bin/false', retry_policy: policy });
    const st = await a.next(is('started', { id: 'again' }));
    expectKeys(st, ['type', 'id', 'task_id', 'pid', 'ts']);
    const ex = await a.next(is('exited', { task_id: 'hist', pid: st.pid }));
    expect(ex.exit_code).toBe(1);
    // The kept exit history (2 exits, zero window keeps all) plus this exit reaches the threshold at once.
    const e2 = await a.next(is('errored', { task_id: 'hist' }), 10_000);
    expect(e2.exit_count).toBe(3);
    expect(e2.pid).toBe(st.pid);
    const after = taskIn(await list(a), 'hist');
    expect(after.restart_count).toBe(1);
    expect(after.created_at).toBe(before.created_at);
  });

  it('reports the spawn error of a missing executable and keeps working afterwards', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', id: 'missing', task_id: 'missing', command: 'nosuchcmd-xyz' });
    const err = await a.next(is('error', { id: 'missing' }));
    expectKeys(err, ['type', 'id', 'message']);
    expect(err.message).toBe('exec: "nosuchcmd-xyz": executable file not found in $PATH');
    await a.expectNoMessage(is('started'), 200);

    a.send({ type: 'start', id: 'ok', task_id: 'fine', command: '/bin/echo', args: ['still alive'] });
    await a.next(is('started', { id: 'ok' }));
    expect((await a.next(is('output', { task_id: 'fine' }))).data).toBe('still alive');
    expect((await a.next(is('exited', { task_id: 'fine' }))).exit_code).toBe(0);
  });

  it('requires a command when nothing is pinned (absent or empty)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', id: 'c1', task_id: 'nocmd' });
    const e1 = await a.next(is('error', { id: 'c1' }));
    expectKeys(e1, ['type', 'id', 'message']);
    expect(e1.message).toBe('command is required');
    a.send({ type: 'start', id: 'c2', command: '' });
    expect((await a.next(is('error', { id: 'c2' }))).message).toBe('command is required');
    a.send({ type: 'start', command: '' });
    const e3 = await a.next(is('error'));
    expectKeys(e3, ['type', 'message']);
    expect(e3.message).toBe('command is required');
    expect(tasksOf(await list(a))).toEqual([]);
  });

  it('result JSON shapes: started then exited for a quick command', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', task_id: 'shape', command: '/bin/true' });
    const st = await a.next(is('started', { task_id: 'shape' }));
    expectKeys(st, STARTED_KEYS);
    const ex = await a.next(is('exited', { task_id: 'shape' }));
    expectKeys(ex, EXITED_KEYS);
    expect(ex).toMatchObject({
      type: 'exited',
      task_id: 'shape',
      pid: st.pid,
      exit_code: 0,
      intentional: false,
    });
    expectTs(ex.ts);
    expectKeys(taskIn(await list(a), 'shape'), TASK_INFO_KEYS);
  });
});

describe('start with a pinned command', () => {
  it('uses the pin when command is omitted and accepts the pin itself', async () => {
    const s = await r.server({ pinnedCommand: NEVER });
    const a = await r.client(s);
    a.send({ type: 'start', id: 'p1', task_id: 'pinned-1' });
    const st = await a.next(is('started', { id: 'p1' }));
    const out = await a.next(is('output', { task_id: 'pinned-1' }));
    expect(out.data).toBe(`ready ${num(st, 'pid')}`);
    a.send({ type: 'start', id: 'p2', task_id: 'pinned-2', command: NEVER });
    await a.next(is('started', { id: 'p2' }));
    a.send({ type: 'start', id: 'p3', task_id: 'pinned-3', command: '' });
    await a.next(is('started', { id: 'p3' }));
    const l = await list(a);
    expect(taskIn(l, 'pinned-1').command).toBe(NEVER);
    expect(taskIn(l, 'pinned-2').command).toBe(NEVER);
    expect(taskIn(l, 'pinned-3').command).toBe(NEVER);
  });

  it('refuses a different command with `command must be "<pin>" (pinned)`', async () => {
    const s = await r.server({ pinnedCommand: NEVER });
    const a = await r.client(s);
    a.send({ type: 'start', id: 'x', task_id: 'other', command: '/bin/echo' });
    const err = await a.next(is('error', { id: 'x' }));
    expectKeys(err, ['type', 'id', 'message']);
    expect(err.message).toBe(`command must be "${NEVER}" (pinned)`);
    expect(tasksOf(await list(a))).toEqual([]);
  });

  it('quotes the pin with JSON-style escaping in the error', async () => {
    const pin = '/opt/we"ird\\pin';
    const s = await r.server({ pinnedCommand: pin });
    const a = await r.client(s);
    a.send({ type: 'start', id: 'x', command: '/bin/echo' });
    const err = await a.next(is('error', { id: 'x' }));
    expect(err.message).toBe('command must be "/opt/we\\"ird\\\\pin" (pinned)');
    expect(err.message).toBe(`command must be ${JSON.stringify(pin)} (pinned)`);
  });
});
