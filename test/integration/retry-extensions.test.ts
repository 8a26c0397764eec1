// The opt-in retry_policy extensions (backoff, cap, jitter, reset after a stable run, exit-code lists)
// over a real WebSocket against a real server, with real processes and ms-scale durations.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGoDuration } from '../../src/util/go-duration.js';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import {
  expectKeys,
  expectRetryPolicy,
  fixture,
  is,
  listTasks as list,
  type Message,
  RESTARTING_KEYS,
  startTask as start,
  str,
  TASK_INFO_KEYS,
  taskIn,
  tasksOf,
  tsToNs,
  useResources,
  type WsClient,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);

/** Long enough for a task to settle into a state no later message would contradict. */
const QUIET_MS = 300;
/** Node timers may fire up to ~1 ms early against millisecond timestamps. */
const TIMER_SLACK_MS = 2;

/**
 * A /bin/sh script whose n-th run executes `steps[n-1]` (the last step repeats), counting runs in
 * the file given as $0: one task can fail differently on each run.
 */
function runsOf(counterFile: string, steps: readonly string[]): { command: string; args: string[] } {
  const cases = steps.map((step, i) => `${i + 1}) ${step};;`).join(' ');
  const script = `n=$(($(cat "$0" 2>/dev/null || echo 0) + 1)); echo $n > "$0"; case $n in ${cases} *) ${steps.at(-1)};; esac`;
  return { command: '/bin/sh', args: ['-c', script, counterFile] };
}

const delaysOf = (c: WsClient, taskId: string): string[] =>
  c.received(is('restarting', { task_id: taskId })).map((m) => str(m, 'restart_delay'));

const msOf = (m: Message): number => Number(tsToNs(str(m, 'ts')) / 1_000_000n);

/** Each automatic `started` comes no earlier than its `restarting` event's delay. */
function expectDelaysHonoured(c: WsClient, taskId: string): void {
  const restarting = c.received(is('restarting', { task_id: taskId }));
  const restarted = c.received((m) => m.type === 'started' && m.task_id === taskId && 'restart_of' in m);
  expect(restarted.length).toBeGreaterThanOrEqual(restarting.length - 1);
  restarted.forEach((started, i) => {
    const announced = restarting[i] as Message;
    const delayMs = Number(parseGoDuration(str(announced, 'restart_delay')) / 1_000_000n);
    expect(msOf(started) - msOf(announced)).toBeGreaterThanOrEqual(delayMs - TIMER_SLACK_MS);
  });
}

describe('retry_policy extensions', () => {
  it('grows restart_delay per restart up to max_restart_delay; reset starts the growth anew', async () => {
    const s = await r.server();
    const c = await r.client(s);
    const policy = {
      restart_delay: '10ms',
      error_threshold: 4,
      backoff_multiplier: 2,
      max_restart_delay: '25ms',
    };
    await start(c, { task_id: 'grow', command: '/bin/false', retry_policy: policy });
    await c.waitFor(is('errored', { task_id: 'grow', exit_count: 4 }), 10_000);
    expect(delaysOf(c, 'grow')).toEqual(['10ms', '20ms', '25ms']);
    for (const m of c.received(is('restarting', { task_id: 'grow' }))) expectKeys(m, RESTARTING_KEYS);
    expectDelaysHonoured(c, 'grow');

    c.consumeAll();
    c.send({ type: 'reset', id: 'again', task_id: 'grow' });
    await c.waitFor(is('started', { id: 'again' }));
    await c.waitFor(is('errored', { task_id: 'grow' }), 10_000);
    expect(delaysOf(c, 'grow')).toEqual(['10ms', '20ms', '25ms', '10ms', '20ms', '25ms']);
  });

  it('resets the growth after a run of at least reset_after', async () => {
    const s = await r.server();
    const c = await r.client(s);
    // Runs 1, 2, 4, 5 fail at once; run 3 is stable (well past reset_after) before failing.
    const runs = runsOf(join(r.tempDir(), 'runs'), ['exit 1', 'exit 1', 'sleep 0.5; exit 1', 'exit 1']);
    const policy = { restart_delay: '10ms', error_threshold: 5, backoff_multiplier: 3, reset_after: '200ms' };
    await start(c, { task_id: 'stable', ...runs, retry_policy: policy });
    await c.waitFor(is('errored', { task_id: 'stable', exit_count: 5 }), 10_000);
    expect(delaysOf(c, 'stable')).toEqual(['10ms', '30ms', '10ms', '30ms']);
    expectDelaysHonoured(c, 'stable');
  });

  it('spreads delays by ± jitter', async () => {
    const s = await r.server();
    const c = await r.client(s);
    const policy = { restart_delay: '20ms', error_threshold: 6, jitter: 0.5 };
    await start(c, { task_id: 'jitter', command: '/bin/false', retry_policy: policy });
    await c.waitFor(is('errored', { task_id: 'jitter' }), 10_000);
    const delays = delaysOf(c, 'jitter').map(parseGoDuration);
    expect(delays).toHaveLength(5);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(10_000_000n);
      expect(delay).toBeLessThanOrEqual(30_000_000n);
    }
    expectDelaysHonoured(c, 'jitter');
  });

  it('does not restart after a no-restart exit code: the task stays active with its worker exited', async () => {
    const s = await r.server();
    const c = await r.client(s);
    const policy = { restart_delay: '10ms', error_threshold: 1, no_restart_exit_codes: [3] };
    await start(c, { task_id: 'done', command: fixture('exit-with.sh'), retry_policy: policy });
    await c.waitFor(is('exited', { task_id: 'done', exit_code: 3, intentional: false }));
    await c.expectNoMessage((m) => m.task_id === 'done' && m.type !== 'output', QUIET_MS);
    const info = taskIn(await list(c), 'done');
    expectKeys(info, TASK_INFO_KEYS);
    expect(info).toMatchObject({
      state: 'active',
      worker_state: 'exited',
      last_exit_code: 3,
      restart_count: 0,
    });
    expect(info).not.toHaveProperty('error_message');

    // Any other code still follows the policy (here: threshold 1 errors at once).
    await start(c, { task_id: 'other', command: '/bin/false', retry_policy: policy });
    await c.waitFor(is('errored', { task_id: 'other', exit_count: 1 }));
  });

  it('always restarts on an always-restart exit code without counting it toward error_threshold', async () => {
    const s = await r.server();
    const c = await r.client(s);
    const runs = runsOf(join(r.tempDir(), 'runs'), ['exit 75', 'exit 75', 'exit 1', 'exit 75', 'exit 1']);
    const policy = { restart_delay: '5ms', error_threshold: 2, always_restart_exit_codes: [75] };
    await start(c, { task_id: 'flaky', ...runs, retry_policy: policy });
    const errored = await c.waitFor(is('errored', { task_id: 'flaky' }), 10_000);
    // Without the list the second exit would have errored the task; only the two exits with 1 count.
    expect(errored.exit_count).toBe(2);
    expect(c.received(is('exited', { task_id: 'flaky' })).map((m) => m.exit_code)).toEqual([
      75, 75, 1, 75, 1,
    ]);
    expect(delaysOf(c, 'flaky')).toEqual(['5ms', '5ms', '5ms', '5ms']);
    expect(taskIn(await list(c), 'flaky')).toMatchObject({ state: 'errored', restart_count: 4 });
  });

  it('rejects invalid extension values with invalid JSON and creates no task', async () => {
    const s = await r.server();
    const c = await r.client(s);
    const invalid = [
      { backoff_multiplier: 0.5 },
      { backoff_multiplier: '2' },
      { max_restart_delay: '-5ms' },
      { max_restart_delay: '5' },
      { jitter: 1.5 },
      { jitter: -0.1 },
      { reset_after: 100 },
      { no_restart_exit_codes: 3 },
      { no_restart_exit_codes: [256] },
      { always_restart_exit_codes: [1.5] },
      { no_restart_exit_codes: [0, 3], always_restart_exit_codes: [3] },
    ];
    for (const [i, extension] of invalid.entries()) {
      const id = `bad-${i}`;
      c.send({ type: 'start', id, task_id: `t${i}`, command: '/bin/true', retry_policy: extension });
      const reply = await c.next((m) => m.id === id);
      expect(reply, JSON.stringify(extension)).toEqual({ type: 'error', id, message: 'invalid JSON' });
    }
    expect(c.isOpen).toBe(true);
    expect(tasksOf(await list(c))).toEqual([]);
  });

  it('echoes the extensions in TaskInfo after the original keys, canonical, and persists them', async () => {
    const dbPath = join(r.tempDir(), 'overseer.db');
    const s1 = await r.server({ dbPath });
    const c1 = await r.client(s1);
    await start(c1, {
      task_id: 'echo',
      command: '/bin/true',
      retry_policy: {
        restart_delay: '20ms',
        error_window: '1m',
        error_threshold: 3,
        always_restart_exit_codes: [75, -1, 75],
        reset_after: '1500ms',
        jitter: 0.25,
        max_restart_delay: '90s',
        backoff_multiplier: 1.5,
        no_restart_exit_codes: [0],
      },
    });
    // A policy with only neutral extension values reads back exactly like the original.
    await start(c1, {
      task_id: 'plain',
      command: '/bin/true',
      retry_policy: { restart_delay: '1m', backoff_multiplier: 1, jitter: 0, max_restart_delay: '0s' },
    });
    await c1.waitFor(is('exited', { task_id: 'echo' }));
    await c1.waitFor(is('restarting', { task_id: 'plain' }));
    const expectedRaw =
      '"retry_policy":{"restart_delay":"20ms","error_window":"1m0s","error_threshold":3,' +
      '"backoff_multiplier":1.5,"max_restart_delay":"1m30s","jitter":0.25,"reset_after":"1.5s",' +
      '"no_restart_exit_codes":[0],"always_restart_exit_codes":[75,-1]}';
    const check = async (c: WsClient): Promise<void> => {
      const reply = await list(c);
      const raw = c.frames.find((f) => f.msg === reply)?.raw ?? '';
      expect(raw).toContain(expectedRaw);
      expectKeys(taskIn(reply, 'echo'), TASK_INFO_KEYS);
      expectRetryPolicy(taskIn(reply, 'plain').retry_policy, { restart_delay: '1m0s' });
    };
    await check(c1);

    await r.closeServer(s1);
    const s2 = await r.server({ dbPath });
    await check(await r.client(s2));
  });
});
