// Conformance: retry policy — restarting, automatic started (restart_of), errored.
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message } from '../helpers/ws-client.js';
import {
  ERRORED_KEYS,
  EXITED_KEYS,
  expectKeys,
  expectRetryPolicy,
  expectTs,
  is,
  listTasks as list,
  num,
  RESTARTING_KEYS,
  TASK_INFO_KEYS,
  taskIn,
  useResources,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);

const lifecycle = (taskId: string) => (m: Message) => m.task_id === taskId && m.type !== 'output';

describe('retry policy', () => {
  it('/bin/false with error_threshold 2: started → exited → restarting → started → exited → errored', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const policy = { restart_delay: '0s', error_window: '0s', error_threshold: 2 };
    a.send({ type: 'start', id: 's1', task_id: 'f', command: '/bin/false', retry_policy: policy });
    const errored = await a.waitFor(is('errored', { task_id: 'f' }), 10_000);
    // error_message is visible as soon as the task errors.
    const info = taskIn(await list(a), 'f');

    const seqA = a.received(lifecycle('f'));
    expect(seqA.map((m) => m.type)).toEqual([
      'started',
      'exited',
      'restarting',
      'started',
      'exited',
      'errored',
    ]);
    const [st1, ex1, rs, st2, ex2, er] = seqA as [Message, Message, Message, Message, Message, Message];
    expect(er).toBe(errored);

    expectKeys(st1, ['type', 'id', 'task_id', 'pid', 'ts']);
    expect(st1).toMatchObject({ id: 's1', task_id: 'f' });
    const p1 = num(st1, 'pid');

    expectKeys(ex1, EXITED_KEYS);
    expect(ex1).toMatchObject({ task_id: 'f', pid: p1, exit_code: 1, intentional: false });

    expectKeys(rs, RESTARTING_KEYS);
    expect(rs).toMatchObject({ type: 'restarting', task_id: 'f', pid: p1, restart_delay: '0s', attempt: 1 });
    expectTs(rs.ts);

    expectKeys(st2, ['type', 'task_id', 'pid', 'restart_of', 'ts']);
    expect(st2).toMatchObject({ type: 'started', task_id: 'f', restart_of: p1 });
    const p2 = num(st2, 'pid');
    expect(p2).not.toBe(p1);
    expectTs(st2.ts);

    expectKeys(ex2, EXITED_KEYS);
    expect(ex2).toMatchObject({ task_id: 'f', pid: p2, exit_code: 1, intentional: false });

    expectKeys(er, ERRORED_KEYS);
    expect(er).toMatchObject({ type: 'errored', task_id: 'f', pid: p2, exit_count: 2 });
    expectTs(er.ts);

    expectKeys(info, TASK_INFO_KEYS);
    expect(info).toMatchObject({
      state: 'errored',
      error_message: 'exit threshold reached',
      restart_count: 1,
      worker_state: 'exited',
      last_exit_code: 1,
    });
    expectRetryPolicy(info.retry_policy, policy);
    expect(Object.keys(info).at(-1)).toBe('error_message');

    // Every connection gets the broadcasts (automatic started included, without id); only the
    // requester got the first started.
    await b.waitFor(is('errored', { task_id: 'f' }), 10_000);
    expect(b.received(lifecycle('f'))).toEqual(seqA.slice(1));

    // And nothing more happens.
    a.consumeAll();
    b.consumeAll();
    await Promise.all([
      a.expectNoMessage((m) => m.task_id === 'f', 500),
      b.expectNoMessage((m) => m.task_id === 'f', 500),
    ]);
  });

  it('counts exit code 0 like any other exit', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      task_id: 't',
      command: '/bin/true',
      retry_policy: { restart_delay: '0s', error_threshold: 2 },
    });
    const er = await a.waitFor(is('errored', { task_id: 't' }), 10_000);
    expect(er.exit_count).toBe(2);
    const exits = a.received(is('exited', { task_id: 't' }));
    expect(exits.map((m) => m.exit_code)).toEqual([0, 0]);
    expect(a.received(is('restarting', { task_id: 't' })).map((m) => m.attempt)).toEqual([1]);
    const info = taskIn(await list(a), 't');
    expect(info.state).toBe('errored');
    expect(info.error_message).toBe('exit threshold reached');
  });

  it('prunes exits older than error_window, so the threshold is never reached', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      task_id: 'w',
      command: '/bin/true',
      retry_policy: { restart_delay: '300ms', error_window: '100ms', error_threshold: 2 },
    });
    await a.waitFor(is('restarting', { task_id: 'w', attempt: 3 }), 15_000);
    expect(a.received(is('errored', { task_id: 'w' }))).toEqual([]);
    expect(a.received(is('restarting', { task_id: 'w' })).map((m) => m.attempt)).toEqual([1, 2, 3]);
    expect(a.received(is('restarting', { task_id: 'w' })).every((m) => m.restart_delay === '300ms')).toBe(
      true,
    );
    a.send({ type: 'stop', task_id: 'w' });
    const info = taskIn(await list(a), 'w');
    expect(info.state).toBe('stopped');
  });

  it('keeps exits inside error_window, so the threshold is reached', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      task_id: 'w',
      command: '/bin/true',
      retry_policy: { restart_delay: '300ms', error_window: '1h', error_threshold: 2 },
    });
    const er = await a.waitFor(is('errored', { task_id: 'w' }), 10_000);
    expect(er.exit_count).toBe(2);
  });

  it('without a retry policy the task stays active with worker_state exited and is not restarted', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'start', task_id: 'plain', command: '/bin/false' });
    const ex = await a.waitFor(is('exited', { task_id: 'plain' }));
    expect(ex.exit_code).toBe(1);
    await a.expectNoMessage(
      (m) => m.task_id === 'plain' && ['restarting', 'errored', 'exited', 'output'].includes(String(m.type)),
      600,
    );
    const info = taskIn(await list(a), 'plain');
    expect(info).toMatchObject({
      state: 'active',
      worker_state: 'exited',
      last_exit_code: 1,
      restart_count: 0,
    });
    expect(info).not.toHaveProperty('retry_policy');
    expect(info).not.toHaveProperty('error_message');
    expect(a.received(is('started', { task_id: 'plain' }))).toHaveLength(1);
  });

  it('waits restart_delay between restarting and the automatic started', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      task_id: 'slow',
      command: '/bin/false',
      retry_policy: { restart_delay: '1s', error_threshold: 0 },
    });
    const rs = await a.waitFor(is('restarting', { task_id: 'slow' }), 10_000);
    const t1 = Date.now();
    expect(rs.restart_delay).toBe('1s');
    const st = await a.waitFor(is('started', { task_id: 'slow', restart_of: rs.pid }), 5000);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(850);
    expect(st.pid).not.toBe(rs.pid);
    a.send({ type: 'stop', task_id: 'slow' });
    expect(taskIn(await list(a), 'slow').state).toBe('stopped');
  });

  it('with error_threshold 0 keeps restarting: attempt counts up and restart_of chains the pids', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({
      type: 'start',
      id: 'go',
      task_id: 'loop',
      command: '/bin/true',
      retry_policy: { restart_delay: '0s', error_threshold: 0 },
    });
    await a.waitFor(is('restarting', { task_id: 'loop', attempt: 5 }), 15_000);
    a.send({ type: 'stop', task_id: 'loop' });
    const info = taskIn(await list(a), 'loop');
    expect(info.state).toBe('stopped');
    const restartCount = num(info, 'restart_count');
    expect(restartCount).toBeGreaterThanOrEqual(4);

    const events = a.received(lifecycle('loop'));
    const attempts = events.filter((m) => m.type === 'restarting').map((m) => m.attempt);
    expect(attempts.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    // Each automatic started restarts the pid of the exited that preceded it.
    let lastExitedPid: unknown;
    for (const m of events) {
      if (m.type === 'exited') lastExitedPid = m.pid;
      if (m.type === 'started' && m.id === undefined) expect(m.restart_of).toBe(lastExitedPid);
      if (m.type === 'restarting') expect(m.pid).toBe(lastExitedPid);
    }
    expect(a.received(is('errored', { task_id: 'loop' }))).toEqual([]);

    // After the stop was processed (the list reply came after it) no further restart happens.
    a.consumeAll();
    await a.expectNoMessage(is('started', { task_id: 'loop' }), 500);
    expect(num(taskIn(await list(a), 'loop'), 'restart_count')).toBe(restartCount);
  });
});
