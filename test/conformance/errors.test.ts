// Conformance: malformed requests, unknown types, id echo, binary frames, unknown keys.
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { expectKeys, fixture, is, listTasks as list, tasksOf, useResources } from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

describe('errors', () => {
  it('answers a frame that is not JSON with `invalid JSON` and keeps the connection open', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    for (const raw of ['not json', '{"type":"list"', '', ' ', '{type:"list"}', '[]', '42', '"list"']) {
      a.sendRaw(raw);
      const err = await a.next(is('error'));
      expectKeys(err, ['type', 'message']);
      expect(err, JSON.stringify(raw)).toEqual({ type: 'error', message: 'invalid JSON' });
    }
    expect(a.isOpen).toBe(true);
    expect((await list(a)).tasks).toEqual([]);
    await b.expectNoMessage(() => true, 200);
  });

  it('answers a field of the wrong type with `invalid JSON` and does nothing', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const bad: Array<Record<string, unknown>> = [
      { type: 'start', command: '/bin/echo', args: 'x' },
      { type: 'start', command: '/bin/echo', args: [1, 2] },
      { type: 'start', command: '/bin/echo', task_id: 5 },
      { type: 'start', command: 7 },
      { type: 'start', command: '/bin/echo', retry_policy: 'fast' },
      { type: 'start', command: '/bin/echo', retry_policy: { error_threshold: '3' } },
      { type: 'start', command: '/bin/echo', retry_policy: { error_threshold: 1.5 } },
      { type: 'list', since: 5 },
      { type: 'list', id: 5 },
      { type: 5 },
      { type: 'stop', task_id: ['a'] },
    ];
    for (const body of bad) {
      a.send(body);
      const err = await a.next(is('error'));
      expect(err.message, JSON.stringify(body)).toBe('invalid JSON');
    }
    expect(a.isOpen).toBe(true);
    expect((await list(a)).tasks).toEqual([]);
    await a.expectNoMessage(is('started'), 200);
  });

  it('answers a retry_policy duration that does not parse with `invalid JSON`', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const durations = ['abc', '5', '10', '1x', '5 m', 'm', '1.2.3s', 's5'];
    for (const d of durations) {
      a.send({ type: 'start', command: '/bin/echo', retry_policy: { restart_delay: d } });
      expect((await a.next(is('error'))).message, `restart_delay ${JSON.stringify(d)}`).toBe('invalid JSON');
      a.send({ type: 'start', command: '/bin/echo', retry_policy: { error_window: d } });
      expect((await a.next(is('error'))).message, `error_window ${JSON.stringify(d)}`).toBe('invalid JSON');
    }
    expect((await list(a)).tasks).toEqual([]);
  });

  it('accepts a bare "0" and the unit forms of durations', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const ok = ['0', '300ms', '1m30s', '1.5h', '-2s', '10us', '10µs', '5ns'];
    for (const [i, d] of ok.entries()) {
      a.send({
        type: 'start',
        id: `d${i}`,
        task_id: `d${i}`,
        command: NEVER,
        retry_policy: { restart_delay: d, error_window: d, error_threshold: 0 },
      });
      const reply = await a.next((m) => m.id === `d${i}`);
      expect(reply.type, d).toBe('started');
    }
  });

  it('answers a missing or unknown type with `unknown message type`, echoing id', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ id: 'q1' });
    const e1 = await a.next(is('error', { id: 'q1' }));
    expectKeys(e1, ['type', 'id', 'message']);
    expect(e1).toEqual({ type: 'error', id: 'q1', message: 'unknown message type' });

    a.send({ type: 'frobnicate', id: 'q2', task_id: 'x' });
    expect(await a.next(is('error', { id: 'q2' }))).toEqual({
      type: 'error',
      id: 'q2',
      message: 'unknown message type',
    });

    a.send({ type: '' });
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'unknown message type' });
    a.send({});
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'unknown message type' });
    a.send({ type: 'started', id: '' });
    const e5 = await a.next(is('error'));
    expectKeys(e5, ['type', 'message']);
    expect(e5.message).toBe('unknown message type');
  });

  it('echoes id on every kind of error reply, to the requester only', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ type: 'start' }, 'command is required'],
      [{ type: 'stop' }, 'task_id is required'],
      [{ type: 'reset', task_id: 'zz' }, 'task not found'],
      [{ type: 'replay', task_id: 'zz' }, 'task not found'],
      [{ type: 'list', since: 'x' }, 'invalid since timestamp'],
      [{ type: 'nope' }, 'unknown message type'],
    ];
    for (const [i, [body, message]] of cases.entries()) {
      a.send({ ...body, id: `e${i}` });
      const err = await a.next((m) => m.id === `e${i}`);
      expectKeys(err, ['type', 'id', 'message']);
      expect(err).toEqual({ type: 'error', id: `e${i}`, message });
    }
    await b.expectNoMessage(() => true, 200);
  });

  it('accepts JSON in binary frames and answers in text frames', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.sendRaw(Buffer.from(JSON.stringify({ type: 'list', id: 'bin' })), { binary: true });
    const l = await a.next(is('tasks', { id: 'bin' }));
    expect(l).toEqual({ type: 'tasks', id: 'bin', tasks: [] });
    expect(a.frames.find((f) => f.msg === l)?.binary).toBe(false);

    a.sendRaw(
      Buffer.from(
        JSON.stringify({ type: 'start', id: 'bs', task_id: 'b', command: '/bin/echo', args: ['bin'] }),
      ),
      { binary: true },
    );
    await a.next(is('started', { id: 'bs' }));
    expect((await a.next(is('output', { task_id: 'b' }))).data).toBe('bin');

    a.sendRaw(Buffer.from('nope'), { binary: true });
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'invalid JSON' });
  });

  it('ignores unknown keys and accepts surrounding whitespace', async () => {
    const s = await r.server();
    const a = await r.client(s);
    a.send({ type: 'list', id: 'u', foo: 1, bar: { x: [1, null] }, subscribe: true });
    expect(await a.next(is('tasks', { id: 'u' }))).toEqual({ type: 'tasks', id: 'u', tasks: [] });
    a.send({
      type: 'start',
      id: 'u2',
      task_id: 'uk',
      command: '/bin/echo',
      args: ['k'],
      extra: 'ignored',
      retry_policy: { restart_delay: '0s', error_threshold: 0, unknown_field: 'x' },
    });
    await a.next(is('started', { id: 'u2' }));
    a.sendRaw('  {"type":"list","id":"ws"}\n');
    const l = await a.next(is('tasks', { id: 'ws' }));
    expect(tasksOf(l).map((t) => t.task_id)).toEqual(['uk']);
  });

  it('keeps serving a connection after a burst of bad frames', async () => {
    const s = await r.server();
    const a = await r.client(s);
    for (let i = 0; i < 50; i++) a.sendRaw(i % 2 === 0 ? '{' : '{"type":"x"}');
    for (let i = 0; i < 50; i++) {
      const err = await a.next(is('error'));
      expect(err.message).toBe(i % 2 === 0 ? 'invalid JSON' : 'unknown message type');
    }
    expect((await list(a)).tasks).toEqual([]);
  });
});
