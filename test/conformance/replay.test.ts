// Conformance: `replay` of the per-worker ring buffer (100 events), requester only, without id.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message, WsClient } from '../helpers/ws-client.js';
import {
  expectKeys,
  fixture,
  is,
  num,
  startTask as start,
  str,
  tsToNs,
  useResources,
  waitUntil,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

let seq = 0;
const isEvent = (taskId: string) => (m: Message) =>
  m.task_id === taskId && (m.type === 'output' || m.type === 'exited');

/**
 * Sends a replay and collects the replayed events. The reply has no terminator, so the end is found
 * with a marker request sent right after it: its reply comes after every replayed event.
 */
async function replay(c: WsClient, body: Record<string, unknown>): Promise<Message[]> {
  c.consumeAll();
  const before = c.frames.length;
  c.send({ type: 'replay', id: `replay-${++seq}`, ...body });
  const marker = `marker-${++seq}`;
  c.send({ type: 'list', id: marker });
  await c.next(is('tasks', { id: marker }));
  const after = c.frames.slice(before).map((f) => f.msg);
  const end = after.findIndex((m) => m.id === marker);
  c.consumeAll();
  return after.slice(0, end);
}

const seqScript = (n: number, tail: string) =>
  `i=1; while [ $i -le ${n} ]; do echo line$i; i=$((i+1)); done${tail}`;

describe('replay', () => {
  it('sends the buffered events to the requester only, without id and without terminator', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const st = await start(a, { task_id: 'rp', command: NEVER });
    const live = await a.next(is('output', { task_id: 'rp' }));
    expect(live.data).toBe(`ready ${num(st, 'pid')}`);
    await b.next(is('output', { task_id: 'rp' }));
    b.consumeAll();
    a.consumeAll();

    const got = await replay(b, { task_id: 'rp' });
    expect(got).toEqual([live]);
    expect(Object.keys(got[0] ?? {})).toEqual(Object.keys(live));
    expect(got[0]).not.toHaveProperty('id');
    await a.expectNoMessage(() => true);
    await b.expectNoMessage(() => true, 300);
  });

  it('includes exited events, identical to the live ones, in order', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 'ew', command: fixture('exit-with.sh'), args: ['p', 'q'] });
    await a.waitFor(is('exited', { task_id: 'ew' }));
    const live = a.received(isEvent('ew'));
    expect(live).toHaveLength(3);
    const got = await replay(a, { task_id: 'ew' });
    expect(got).toEqual(live);
    expect(got.map((m) => m.type)).toEqual(['output', 'output', 'exited']);
  });

  it('filters by since (ts >= since)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const dir = r.tempDir();
    const marker = join(dir, 'go');
    const script = 'echo one; while [ ! -e "$1" ]; do sleep 0.02; done; echo two; exec sleep 1000';
    const st = await start(a, { task_id: 'since', command: '/bin/sh', args: ['-c', script, 'sh', marker] });
    r.killAfter(num(st, 'pid'));
    const one = await a.next(is('output', { task_id: 'since', data: 'one' }));
    const oneTs = str(one, 'ts');
    await waitUntil(
      () => BigInt(Date.now()) * 1_000_000n > tsToNs(oneTs) + 5_000_000n,
      2000,
      'clock past first line',
    );
    writeFileSync(marker, '');
    const two = await a.next(is('output', { task_id: 'since', data: 'two' }));
    const twoTs = str(two, 'ts');
    expect(tsToNs(twoTs) > tsToNs(oneTs)).toBe(true);

    expect(await replay(a, { task_id: 'since' })).toEqual([one, two]);
    expect(await replay(a, { task_id: 'since', since: oneTs })).toEqual([one, two]);
    expect(await replay(a, { task_id: 'since', since: twoTs })).toEqual([two]);
    expect(await replay(a, { task_id: 'since', since: '1970-01-01T00:00:00Z' })).toEqual([one, two]);
    expect(await replay(a, { task_id: 'since', since: '2999-01-01T00:00:00.123456789Z' })).toEqual([]);
  });

  it('keeps the last 100 events of a running worker', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const st = await start(a, {
      task_id: 'ring',
      command: '/bin/sh',
      args: ['-c', seqScript(150, '; exec sleep 1000')],
    });
    r.killAfter(num(st, 'pid'));
    await a.waitFor(is('output', { task_id: 'ring', data: 'line150' }), 10_000);
    const got = await replay(a, { task_id: 'ring' });
    expect(got).toHaveLength(100);
    expect(got.map((m) => m.data)).toEqual(Array.from({ length: 100 }, (_, i) => `line${i + 51}`));
  });

  it('lets exited share the 100 slots (oldest evicted first)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await start(a, { task_id: 'ring2', command: '/bin/sh', args: ['-c', seqScript(150, '')] });
    await a.waitFor(is('exited', { task_id: 'ring2' }), 10_000);
    const live = a.received(isEvent('ring2'));
    expect(live).toHaveLength(151);
    const got = await replay(a, { task_id: 'ring2' });
    expect(got).toHaveLength(100);
    expect(got).toEqual(live.slice(51));
    expect(got[0]?.data).toBe('line52');
    expect(got[99]?.type).toBe('exited');
  });

  it('serves the old worker during a restart delay and only the new worker after a restart', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const script = 'echo "run $$"; exit 1';
    await start(a, {
      task_id: 'rr',
      command: '/bin/sh',
      args: ['-c', script],
      retry_policy: { restart_delay: '1h', error_threshold: 0 },
    });
    await a.waitFor(is('restarting', { task_id: 'rr' }), 10_000);
    const oldEvents = a.received(isEvent('rr'));
    expect(oldEvents.map((m) => m.type)).toEqual(['output', 'exited']);
    expect(await replay(a, { task_id: 'rr' })).toEqual(oldEvents);
    a.send({ type: 'stop', task_id: 'rr' });

    await start(a, {
      task_id: 'rr2',
      command: '/bin/sh',
      args: ['-c', script],
      retry_policy: { restart_delay: '0s', error_threshold: 2 },
    });
    await a.waitFor(is('errored', { task_id: 'rr2' }), 10_000);
    const all = a.received(isEvent('rr2'));
    expect(all).toHaveLength(4);
    const auto = a.received(is('started', { task_id: 'rr2' })).find((m) => 'restart_of' in m);
    const newPid = auto?.pid;
    expect(newPid).toBeDefined();
    const got = await replay(a, { task_id: 'rr2' });
    expect(got).toEqual(all.slice(2));
    expect(got.every((m) => m.pid === newPid)).toBe(true);
    expect(got[0]?.data).toBe(`run ${String(newPid)}`);
  });

  it('checks errors in order: task_id → task exists → worker exists → since parses', async () => {
    const s1 = await r.server({ dbPath: join(r.tempDir(), 'overseer.db') });
    const a1 = await r.client(s1);
    await start(a1, { task_id: 'loaded', command: '/bin/true' });
    await a1.waitFor(is('exited', { task_id: 'loaded' }));
    await r.closeServer(s1);

    const s = await r.server({ dbPath: s1.dbPath });
    const a = await r.client(s);
    await start(a, { task_id: 'live', command: NEVER });

    const cases: Array<[Record<string, unknown>, string]> = [
      [{ since: 'bad' }, 'task_id is required'],
      [{ task_id: '', since: 'bad' }, 'task_id is required'],
      [{ task_id: 'unknown', since: 'bad' }, 'task not found'],
      [{ task_id: 'loaded', since: 'bad' }, 'no worker for task'],
      [{ task_id: 'loaded' }, 'no worker for task'],
      [{ task_id: 'live', since: 'bad' }, 'invalid since timestamp'],
    ];
    for (const [body, message] of cases) {
      a.send({ type: 'replay', id: 'e', ...body });
      const err = await a.next(is('error', { id: 'e' }));
      expectKeys(err, ['type', 'id', 'message']);
      expect(err.message, JSON.stringify(body)).toBe(message);
    }
    a.send({ type: 'replay', task_id: 'unknown' });
    expect(await a.next(is('error'))).toEqual({ type: 'error', message: 'task not found' });
  });
});
