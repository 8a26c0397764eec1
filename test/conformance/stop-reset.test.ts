// Conformance: `stop` (no reply, broadcast exited intentional) and `reset` (errored tasks only).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { processExists } from '../helpers/poll.js';
import type { Message, WsClient } from '../helpers/ws-client.js';
import {
  EXITED_KEYS,
  expectKeys,
  fixture,
  is,
  listTasks as list,
  num,
  RESTARTING_KEYS,
  startTask as start,
  taskIn,
  useResources,
  waitUntil,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

let seq = 0;
async function errorFor(c: WsClient, body: Record<string, unknown>): Promise<Message> {
  const id = `req-${++seq}`;
  c.send({ ...body, id });
  const err = await c.next((m) => m.id === id);
  expectKeys(err, ['type', 'id', 'message']);
  expect(err.type).toBe('error');
  return err;
}

/** Runs /bin/false with error_threshold 2 until the task is errored. */
async function makeErrored(c: WsClient, taskId: string, command = '/bin/false', args: string[] = []) {
  await start(c, {
    task_id: taskId,
    command,
    args,
    retry_policy: { restart_delay: '0s', error_window: '0s', error_threshold: 2 },
  });
  return c.next(is('errored', { task_id: taskId }), 10_000);
}

describe('stop', () => {
  it('has no direct reply; exited with intentional true reaches every connection; state becomes stopped', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const st = await start(a, { task_id: 'victim', command: NEVER });
    const pid = num(st, 'pid');
    await a.next(is('output', { task_id: 'victim' }));
    a.send({ type: 'stop', id: 'stop-1', task_id: 'victim' });
    for (const c of [a, b]) {
      const ex = await c.next(is('exited', { task_id: 'victim' }), 10_000);
      expectKeys(ex, EXITED_KEYS);
      expect(ex).toMatchObject({ type: 'exited', task_id: 'victim', pid, exit_code: -1, intentional: true });
    }
    await a.expectNoMessage((m) => m.id === 'stop-1' || m.type === 'error');
    const t = taskIn(await list(a), 'victim');
    expect(t.state).toBe('stopped');
    expect(t.worker_state).toBe('exited');
    await waitUntil(() => !processExists(pid), 5000, `pid ${pid} gone`);
  });

  it('escalates to SIGKILL about 5 s after SIGTERM when the child ignores SIGTERM', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const st = await start(a, { task_id: 'stubborn', command: fixture('ignores-sigterm.sh') });
    const pid = num(st, 'pid');
    r.killAfter(pid);
    const out = await a.next(is('output', { task_id: 'stubborn' }));
    expect(String(out.data)).toMatch(/^ignoring SIGTERM /);
    const t0 = Date.now();
    a.send({ type: 'stop', task_id: 'stubborn' });
    const ex = await a.next(is('exited', { task_id: 'stubborn' }), 10_000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(4000);
    expect(ex).toMatchObject({ pid, exit_code: -1, intentional: true });
    expect(taskIn(await list(a), 'stubborn').state).toBe('stopped');
  }, 20_000);

  it('ends the whole process group: the grandchild dies and does not hold exited back', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const st = await start(a, { task_id: 'family', command: fixture('spawns-grandchild.sh') });
    const out = await a.next(is('output', { task_id: 'family' }));
    const m = /^grandchild (\d+)$/.exec(String(out.data));
    expect(m).not.toBeNull();
    const gpid = Number(m?.[1]);
    r.killAfter(gpid);
    expect(processExists(gpid)).toBe(true);
    a.send({ type: 'stop', task_id: 'family' });
    const ex = await a.next(is('exited', { task_id: 'family' }), 4000);
    expect(ex).toMatchObject({ pid: st.pid, intentional: true });
    await waitUntil(() => !processExists(gpid), 5000, `grandchild ${gpid} gone`);
  });

  it('cancels a pending restart silently when stopping during the restart delay', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    await start(a, {
      task_id: 'delayed',
      command: '/bin/false',
      retry_policy: { restart_delay: '1500ms', error_window: '0s', error_threshold: 0 },
    });
    const rs = await a.next(is('restarting', { task_id: 'delayed' }), 10_000);
    expectKeys(rs, RESTARTING_KEYS);
    expect(rs.restart_delay).toBe('1.5s');
    expect(rs.attempt).toBe(1);
    await b.next(is('restarting', { task_id: 'delayed' }));
    a.consumeAll();
    b.consumeAll();
    a.send({ type: 'stop', id: 'cancel', task_id: 'delayed' });
    await Promise.all([
      a.expectNoMessage((m) => m.task_id === 'delayed' || m.id === 'cancel', 2500),
      b.expectNoMessage((m) => m.task_id === 'delayed', 2500),
    ]);
    const t = taskIn(await list(a), 'delayed');
    expect(t.state).toBe('stopped');
    expect(t.restart_count).toBe(0);
  });

  it('sets stopped on a task whose worker already exited, and on an errored task, without any message', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 'gone', command: '/bin/true' });
    await a.next(is('exited', { task_id: 'gone' }));
    await makeErrored(a, 'bad');
    a.consumeAll();
    a.send({ type: 'stop', id: 'x1', task_id: 'gone' });
    a.send({ type: 'stop', id: 'x2', task_id: 'bad' });
    await a.expectNoMessage((m) => m.task_id === 'gone' || m.task_id === 'bad' || m.id !== undefined);
    const l = await list(a);
    expect(taskIn(l, 'gone').state).toBe('stopped');
    expect(taskIn(l, 'bad').state).toBe('stopped');
    // Stopping again is still silent.
    a.send({ type: 'stop', id: 'x3', task_id: 'gone' });
    await a.expectNoMessage((m) => m.id === 'x3' || m.task_id === 'gone');
  });

  it('requires task_id and an existing task', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    expect((await errorFor(a, { type: 'stop' })).message).toBe('task_id is required');
    expect((await errorFor(a, { type: 'stop', task_id: '' })).message).toBe('task_id is required');
    expect((await errorFor(a, { type: 'stop', task_id: 'nope' })).message).toBe('task not found');
    a.send({ type: 'stop', task_id: 'nope' });
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'task not found' });
    await b.expectNoMessage(() => true);
  });
});

describe('reset', () => {
  it('refuses tasks that are not errored, and checks task_id first', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 'running', command: NEVER });
    await start(a, { task_id: 'exited', command: '/bin/true' });
    await a.next(is('exited', { task_id: 'exited' }));
    await start(a, { task_id: 'stopped', command: NEVER });
    a.send({ type: 'stop', task_id: 'stopped' });
    await a.next(is('exited', { task_id: 'stopped' }), 10_000);
    for (const id of ['running', 'exited', 'stopped']) {
      const err = await errorFor(a, { type: 'reset', task_id: id });
      expect(err.message, id).toBe('task is not in errored state');
    }
    expect((await errorFor(a, { type: 'reset' })).message).toBe('task_id is required');
    expect((await errorFor(a, { type: 'reset', task_id: 'nope' })).message).toBe('task not found');
    a.send({ type: 'reset', task_id: 'running' });
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'task is not in errored state' });
  });

  it('restarts an errored task: started to the requester only, exit history cleared, restart_count kept', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const e1 = await makeErrored(a, 'flaky');
    expect(e1.exit_count).toBe(2);
    expect(taskIn(await list(a), 'flaky').restart_count).toBe(1);

    a.send({ type: 'reset', id: 'rs', task_id: 'flaky' });
    const st = await a.next(is('started', { id: 'rs' }));
    expectKeys(st, ['type', 'id', 'task_id', 'pid', 'ts']);
    expect(st.task_id).toBe('flaky');
    const pid = num(st, 'pid');

    // Cleared history: the first exit after reset restarts (attempt = kept restart_count + 1) instead of
    // erroring at once; the second exit reaches the threshold again.
    const ex = await a.next(is('exited', { task_id: 'flaky', pid }));
    expect(ex.intentional).toBe(false);
    const rs = await a.next(is('restarting', { task_id: 'flaky', pid }));
    expect(rs).toMatchObject({ pid, attempt: 2, restart_delay: '0s' });
    const auto = await a.next(is('started', { task_id: 'flaky', restart_of: pid }));
    expectKeys(auto, ['type', 'task_id', 'pid', 'restart_of', 'ts']);
    const e2 = await a.next(is('errored', { task_id: 'flaky' }), 10_000);
    expect(e2.exit_count).toBe(2);
    expect(e2.pid).toBe(auto.pid);
    const t = taskIn(await list(a), 'flaky');
    expect(t.state).toBe('errored');
    expect(t.restart_count).toBe(2);

    // B saw the whole story except the requester-only started reply.
    await b.next(is('errored', { task_id: 'flaky', pid: auto.pid }), 10_000);
    const bStarted = b.received(is('started', { task_id: 'flaky' }));
    expect(bStarted.every((m) => 'restart_of' in m && m.id === undefined)).toBe(true);
    expect(bStarted.some((m) => m.pid === pid)).toBe(false);
    expect(b.received(is('exited', { task_id: 'flaky', pid }))).toHaveLength(1);
  });

  it('makes an errored task active again with a running worker', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const dir = r.tempDir();
    const marker = join(dir, 'ok');
    const script = 'if [ -e "$1" ]; then echo alive; exec sleep 1000; fi; exit 1';
    await makeErrored(a, 'healing', '/bin/sh', ['-c', script, 'sh', marker]);
    writeFileSync(marker, '');
    a.send({ type: 'reset', id: 'heal', task_id: 'healing' });
    const st = await a.next(is('started', { id: 'heal' }));
    const pid = num(st, 'pid');
    r.killAfter(pid);
    expect((await a.next(is('output', { task_id: 'healing', pid }))).data).toBe('alive');
    const t = taskIn(await list(a), 'healing');
    expect(t).toMatchObject({ state: 'active', worker_state: 'running', current_pid: pid, restart_count: 1 });
    a.send({ type: 'reset', id: 'again', task_id: 'healing' });
    expect((await a.next(is('error', { id: 'again' }))).message).toBe('task is not in errored state');
  });
});
