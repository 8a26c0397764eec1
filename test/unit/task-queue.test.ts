import { mkdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveWorkingDir } from '../../src/agent/cases/working-dir.js';
import { describeCycle, findCycle, transitiveDependents } from '../../src/agent/tasks/dependency-graph.js';
import { MAX_QUEUE_TASKS, TaskQueue } from '../../src/agent/tasks/task-queue.js';
import type { QueueTaskEvent } from '../../src/protocol/events.js';
import { DEFAULT_COMPLETION_PHRASE, type QueueTask } from '../../src/protocol/rest/tasks.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteQueueTaskRepository } from '../../src/store/queue-tasks.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

interface Harness {
  queue: TaskQueue;
  events: QueueTaskEvent[];
  clock: FakeClock;
}

function makeQueue(db: Database, clock = new FakeClock(), casesRoot = '/'): Harness {
  const events: QueueTaskEvent[] = [];
  let n = 0;
  const queue = new TaskQueue({
    repository: new SqliteQueueTaskRepository(db),
    clock,
    publish: (event) => events.push(event),
    resolveWorkingDir: (dir) => resolveWorkingDir(dir, casesRoot),
    newId: () => `gen-${++n}`,
  });
  return { queue, events, clock };
}

function added(result: ReturnType<TaskQueue['add']>): QueueTask {
  if (!result.ok) throw new Error(`add failed: ${result.code} ${result.message}`);
  return result.task;
}

describe('dependency graph', () => {
  const graph = (edges: Record<string, string[]>) => (id: string) => edges[id];

  it('finds no cycle in a DAG and names the cycle when there is one', () => {
    expect(findCycle(['a', 'b', 'c'], graph({ a: ['b', 'c'], b: ['c'], c: [] }))).toBeNull();
    expect(findCycle(['a'], graph({ a: ['a'] }))).toEqual(['a', 'a']);
    const cycle = findCycle(['x', 'a'], graph({ x: ['a'], a: ['b'], b: ['c'], c: ['a'] }));
    expect(cycle).toEqual(['a', 'b', 'c', 'a']);
    expect(describeCycle(cycle ?? [])).toBe('a → b → c → a');
  });

  it('skips edges to nodes outside the graph (stored tasks)', () => {
    expect(findCycle(['a'], graph({ a: ['stored'] }))).toBeNull();
  });

  it('handles a 100,000-node chain without overflowing the stack', () => {
    const size = 100_000;
    const edges = (id: string) => {
      const i = Number(id);
      return i < size ? [String((i + 1) % size)] : undefined;
    };
    const nodes = Array.from({ length: size }, (_, i) => String(i));
    const cycle = findCycle(nodes, edges);
    expect(cycle?.length).toBe(size + 1);
    expect(cycle?.[0]).toBe(cycle?.at(-1));
  });

  it('lists transitive dependents nearest first, once each', () => {
    const dependents: Record<string, string[]> = { a: ['b', 'c'], b: ['d'], c: ['d'], d: [] };
    expect(transitiveDependents('a', (id) => dependents[id] ?? [])).toEqual(['b', 'c', 'd']);
  });
});

describe('TaskQueue', () => {
  let db: Database;
  let h: Harness;

  beforeEach(() => {
    db = openDatabase(':memory:');
    h = makeQueue(db);
  });
  afterEach(() => db.close());

  it('creates tasks with defaults and a task:created event', () => {
    const task = added(h.queue.add({ prompt: 'do it' }));
    expect(task).toEqual({
      id: 'gen-1',
      prompt: 'do it',
      workingDir: null,
      priority: 0,
      dependsOn: [],
      completionPhrase: DEFAULT_COMPLETION_PHRASE,
      timeoutMs: null,
      status: 'pending',
      attempts: 0,
      assignedSessionId: null,
      createdAt: h.clock.now(),
      startedAt: null,
      finishedAt: null,
      error: null,
    });
    expect(h.events).toEqual([{ kind: 'task:created', data: { task }, ts: h.clock.now() }]);
  });

  it('runs the highest priority first, ties in creation order', () => {
    const low = added(h.queue.add({ prompt: 'low', priority: -5 }));
    const first = added(h.queue.add({ prompt: 'first', priority: 3 }));
    const second = added(h.queue.add({ prompt: 'second', priority: 3 }));
    const top = added(h.queue.add({ prompt: 'top', priority: 10 }));
    expect(h.queue.ready().map((t) => t.id)).toEqual([top.id, first.id, second.id, low.id]);
    expect(h.queue.next()?.id).toBe(top.id);
    h.queue.markRunning(top.id, 's1');
    expect(h.queue.next()?.id).toBe(first.id);
    h.queue.markRunning(first.id, 's2');
    expect(h.queue.next()?.id).toBe(second.id);
  });

  it('is ready only when every dependency has completed', () => {
    const a = added(h.queue.add({ id: 'a', prompt: 'a' }));
    const b = added(h.queue.add({ id: 'b', prompt: 'b' }));
    added(h.queue.add({ id: 'c', prompt: 'c', priority: 100, dependsOn: ['a', 'b', 'a'] }));
    expect(h.queue.get('c')?.dependsOn).toEqual(['a', 'b']);
    expect(h.queue.ready().map((t) => t.id)).toEqual(['a', 'b']);
    h.queue.markRunning(a.id, 's1');
    h.queue.markCompleted(a.id);
    expect(h.queue.next()?.id).toBe('b');
    h.queue.markRunning(b.id, 's1');
    expect(h.queue.next()).toBeNull();
    h.queue.markCompleted(b.id);
    expect(h.queue.next()?.id).toBe('c');
  });

  it('counts attempts and records the session; requeue keeps the attempts', () => {
    const task = added(h.queue.add({ prompt: 'x' }));
    h.clock.advance(1000);
    const running = h.queue.markRunning(task.id, 'session-1');
    expect(running).toMatchObject({ status: 'running', attempts: 1, assignedSessionId: 'session-1' });
    expect(running.startedAt).toBe(h.clock.now());
    const back = h.queue.requeue(task.id);
    expect(back).toMatchObject({ status: 'pending', attempts: 1, assignedSessionId: null, startedAt: null });
    expect(h.queue.markRunning(task.id, 'session-2').attempts).toBe(2);
    expect(() => h.queue.markRunning(task.id, 'session-3')).toThrow(/not ready/);
  });

  it('refuses a dependency on a missing task, naming it', () => {
    added(h.queue.add({ id: 'a', prompt: 'a' }));
    const result = h.queue.add({ prompt: 'x', dependsOn: ['a', 'ghost', 'phantom'] });
    expect(result).toMatchObject({ ok: false, code: 'DEPENDENCY_NOT_FOUND' });
    expect(result.ok ? '' : result.message).toMatch(/ghost, phantom/);
    expect(h.queue.size).toBe(1);
  });

  it('refuses a self-dependency as a cycle', () => {
    const result = h.queue.add({ id: 'me', prompt: 'x', dependsOn: ['me'] });
    expect(result).toMatchObject({
      ok: false,
      code: 'DEPENDENCY_CYCLE',
      message: 'dependency cycle: me → me',
    });
    expect(h.queue.size).toBe(0);
  });

  it('refuses a cycle inside a batch, naming it, and stores nothing of the batch', () => {
    added(h.queue.add({ id: 'base', prompt: 'x' }));
    const result = h.queue.addAll([
      { id: 'a', prompt: 'a', dependsOn: ['base', 'c'] },
      { id: 'b', prompt: 'b', dependsOn: ['a'] },
      { id: 'c', prompt: 'c', dependsOn: ['b'] },
    ]);
    expect(result).toMatchObject({
      ok: false,
      code: 'DEPENDENCY_CYCLE',
      message: 'dependency cycle: a → c → b → a',
    });
    expect(h.queue.list().map((t) => t.id)).toEqual(['base']);
    expect(h.events.map((e) => e.kind)).toEqual(['task:created']);
  });

  it('refuses a long cycle (1,000 tasks) and accepts the same chain without the closing edge', () => {
    const size = 1000;
    const chain = (closed: boolean) =>
      Array.from({ length: size }, (_, i) => ({
        id: `t${i}`,
        prompt: `step ${i}`,
        dependsOn: i + 1 < size ? [`t${i + 1}`] : closed ? ['t0'] : [],
      }));
    const refused = h.queue.addAll(chain(true));
    expect(refused).toMatchObject({ ok: false, code: 'DEPENDENCY_CYCLE' });
    expect(refused.ok ? '' : refused.message).toMatch(/^dependency cycle: t0 → t1 → .* → t999 → t0$/);
    const accepted = h.queue.addAll(chain(false));
    expect(accepted.ok).toBe(true);
    expect(h.queue.ready().map((t) => t.id)).toEqual(['t999']);
  });

  it('accepts a batch whose tasks depend on each other, in any order', () => {
    const result = h.queue.addAll([
      { id: 'deploy', prompt: 'deploy', dependsOn: ['build', 'test'] },
      { id: 'test', prompt: 'test', dependsOn: ['build'] },
      { id: 'build', prompt: 'build' },
    ]);
    expect(result.ok).toBe(true);
    expect(h.queue.next()?.id).toBe('build');
  });

  it('refuses duplicate ids, in the queue or in one batch', () => {
    added(h.queue.add({ id: 'a', prompt: 'a' }));
    expect(h.queue.add({ id: 'a', prompt: 'again' })).toMatchObject({ ok: false, code: 'TASK_EXISTS' });
    expect(
      h.queue.addAll([
        { id: 'b', prompt: 'b' },
        { id: 'b', prompt: 'b' },
      ]),
    ).toMatchObject({ ok: false, code: 'TASK_EXISTS' });
  });

  it('checks fields the way the REST schema does', () => {
    const bad = [
      { id: '../etc', prompt: 'x' },
      { prompt: '' },
      { prompt: 'x', priority: 1.5 },
      { prompt: 'x', completionPhrase: '</promise>' },
      { prompt: 'x', completionPhrase: 'say "done"' },
      { prompt: 'x', completionPhrase: 'two\nlines' },
      { prompt: 'x', timeoutMs: 10 },
    ];
    for (const spec of bad)
      expect(h.queue.add(spec), JSON.stringify(spec)).toMatchObject({ code: 'INVALID_TASK' });
    expect(h.queue.size).toBe(0);
  });

  it('resolves the working directory, and refuses one that does not exist', () => {
    const temp = makeTempDir('queue-dir-');
    try {
      const project = join(temp.path, 'project');
      mkdirSync(project);
      const rooted = makeQueue(db, h.clock, temp.path);
      expect(added(rooted.queue.add({ prompt: 'x', workingDir: 'project' })).workingDir).toBe(
        realpathSync(project),
      );
      expect(rooted.queue.add({ prompt: 'x', workingDir: 'missing' })).toMatchObject({
        code: 'INVALID_PATH',
      });
      expect(rooted.queue.add({ prompt: 'x', workingDir: '../..' })).toMatchObject({ code: 'INVALID_PATH' });
    } finally {
      temp.remove();
    }
  });

  it('fails the pending tasks that depend on a failed one, transitively, and refuses new ones', () => {
    added(h.queue.add({ id: 'a', prompt: 'a' }));
    added(h.queue.add({ id: 'b', prompt: 'b', dependsOn: ['a'] }));
    added(h.queue.add({ id: 'c', prompt: 'c', dependsOn: ['b'] }));
    added(h.queue.add({ id: 'other', prompt: 'other' }));
    h.queue.markRunning('a', 's1');
    h.events.length = 0;
    const failed = h.queue.markFailed('a', 'timed out');
    expect(failed.map((t) => [t.id, t.status, t.error])).toEqual([
      ['a', 'failed', 'timed out'],
      ['b', 'failed', 'dependency a failed'],
      ['c', 'failed', 'dependency a failed'],
    ]);
    expect(h.events.map((e) => `${e.kind}:${'task' in e.data ? e.data.task.id : ''}`)).toEqual([
      'task:failed:a',
      'task:failed:b',
      'task:failed:c',
    ]);
    expect(h.queue.get('other')?.status).toBe('pending');
    expect(h.queue.add({ prompt: 'd', dependsOn: ['b'] })).toMatchObject({ code: 'DEPENDENCY_FAILED' });
  });

  it('removes finished and pending tasks, but not running ones or ones others wait for', () => {
    added(h.queue.add({ id: 'a', prompt: 'a' }));
    added(h.queue.add({ id: 'b', prompt: 'b', dependsOn: ['a'] }));
    expect(h.queue.remove('nope')).toMatchObject({ ok: false, code: 'TASK_NOT_FOUND' });
    expect(h.queue.remove('a')).toMatchObject({ ok: false, code: 'TASK_HAS_DEPENDENTS' });
    h.queue.markRunning('a', 's1');
    expect(h.queue.remove('a')).toMatchObject({ ok: false, code: 'TASK_RUNNING' });
    h.queue.markCompleted('a');
    h.queue.markRunning('b', 's1');
    expect(h.queue.remove('a')).toMatchObject({ ok: false, code: 'TASK_HAS_DEPENDENTS' });
    h.queue.markCompleted('b');
    expect(h.queue.remove('a')).toEqual({ ok: true });
    expect(h.events.at(-1)).toEqual({ kind: 'task:deleted', data: { id: 'a' }, ts: h.clock.now() });
    expect(h.queue.list().map((t) => t.id)).toEqual(['b']);
  });

  it('holds at most MAX_QUEUE_TASKS tasks', () => {
    const many = Array.from({ length: MAX_QUEUE_TASKS }, (_, i) => ({ id: `t${i}`, prompt: 'x' }));
    expect(h.queue.addAll(many).ok).toBe(true);
    expect(h.queue.add({ prompt: 'one more' })).toMatchObject({ code: 'TASK_LIMIT' });
  });

  it('tells listeners about every change', () => {
    let changes = 0;
    const off = h.queue.onChange(() => changes++);
    added(h.queue.add({ id: 'a', prompt: 'a' }));
    h.queue.markRunning('a', 's');
    h.queue.markCompleted('a');
    h.queue.remove('a');
    off();
    added(h.queue.add({ prompt: 'b' }));
    expect(changes).toBe(4);
  });
});

describe('TaskQueue persistence', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir('queue-store-');
  });
  afterEach(() => temp.remove());

  it('round-trips every field and restores running tasks as pending with their attempts', () => {
    const file = join(temp.path, 'state.db');
    const clock = new FakeClock();
    const db1 = openDatabase(file);
    const first = makeQueue(db1, clock);
    added(
      first.queue.add({
        id: 'a',
        prompt: 'first',
        priority: 2,
        completionPhrase: 'A DONE',
        timeoutMs: 60_000,
      }),
    );
    added(first.queue.add({ id: 'b', prompt: 'second', dependsOn: ['a'], workingDir: null }));
    added(first.queue.add({ id: 'c', prompt: 'third' }));
    added(first.queue.add({ id: 'd', prompt: 'fourth', dependsOn: ['c'] }));
    first.queue.markRunning('a', 'session-1');
    first.queue.markCompleted('a');
    clock.advance(500);
    first.queue.markRunning('b', 'session-2');
    first.queue.markRunning('c', 'session-1');
    first.queue.markFailed('c', 'timed out');
    const before = first.queue.list();
    db1.close();

    const db2 = openDatabase(file);
    try {
      const second = makeQueue(db2, clock);
      expect(second.queue.restore()).toEqual({ tasks: 4, requeued: 1 });
      const after = second.queue.list();
      const b = before[1];
      expect(after).toEqual([
        before[0],
        { ...b, status: 'pending', assignedSessionId: null, startedAt: null },
        before[2],
        before[3],
      ]);
      expect(after[1]?.attempts).toBe(1);
      expect(second.queue.next()?.id).toBe('b');
      // The restored state was written back: a third start reads the same.
      const third = makeQueue(db2, clock);
      expect(third.queue.restore()).toEqual({ tasks: 4, requeued: 0 });
      expect(third.queue.list()).toEqual(after);
    } finally {
      db2.close();
    }
  });
});
