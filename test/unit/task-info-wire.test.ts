// The overseer's TaskInfo is built by hand as JSON text (src/server/overseer/encode.ts); clients read it
// through the type in src/protocol/overseer/task-info.ts. This holds the two together: every key the
// encoder writes is a key of the type, in the type's documented order, with the types it declares.
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { WireRetryPolicy } from '../../src/protocol/overseer/retry-policy.js';
import type { TaskInfo, TaskInfoState, TaskInfoWorkerState } from '../../src/protocol/overseer/task-info.js';
import { encodeTaskInfo } from '../../src/server/overseer/encode.js';
import type { TaskSnapshot } from '../../src/supervisor/supervisor.js';

/** Every key of TaskInfo (a missing or extra one fails to compile), at its place in the wire order. */
const ORDER: Record<keyof TaskInfo, number> = {
  task_id: 0,
  command: 1,
  args: 2,
  state: 3,
  retry_policy: 4,
  current_pid: 5,
  worker_state: 6,
  restart_count: 7,
  created_at: 8,
  last_started_at: 9,
  last_exited_at: 10,
  last_exit_code: 11,
  error_message: 12,
};

/** Every key of a TaskInfo retry policy, in the wire order. */
const RETRY_POLICY_KEYS: Record<keyof WireRetryPolicy, true> = {
  restart_delay: true,
  error_window: true,
  error_threshold: true,
  backoff_multiplier: true,
  max_restart_delay: true,
  jitter: true,
  reset_after: true,
  no_restart_exit_codes: true,
  always_restart_exit_codes: true,
};

const ts = Date.UTC(2026, 1, 19, 12, 0, 0, 120);
const minimal: TaskSnapshot = {
  taskId: 't',
  command: '/bin/x',
  args: [],
  state: 'stopped',
  retryPolicy: null,
  currentPid: null,
  workerState: null,
  restartCount: 0,
  exitCount: 0,
  createdAt: ts,
  lastStartedAt: null,
  lastExitedAt: null,
  lastExitCode: null,
  errorMessage: null,
};
const full: TaskSnapshot = {
  ...minimal,
  args: ['a'],
  state: 'errored',
  retryPolicy: {
    restartDelayNs: 1_000_000_000n,
    errorWindowNs: 60_000_000_000n,
    errorThreshold: 2,
    backoffMultiplier: 2,
    maxRestartDelayNs: 30_000_000_000n,
    jitter: 0.1,
    resetAfterNs: 300_000_000_000n,
    noRestartExitCodes: [0],
    alwaysRestartExitCodes: [1, 2],
  },
  currentPid: 9,
  workerState: 'exited',
  restartCount: 1,
  lastStartedAt: ts,
  lastExitedAt: ts,
  lastExitCode: 1,
  errorMessage: 'exit threshold reached',
};

describe('the TaskInfo wire type', () => {
  it('names every key the encoder writes, in the order it writes them', () => {
    for (const snapshot of [minimal, full]) {
      const keys = Object.keys(JSON.parse(encodeTaskInfo(snapshot)) as object);
      for (const key of keys) expect(Object.keys(ORDER)).toContain(key);
      const places = keys.map((key) => ORDER[key as keyof TaskInfo]);
      expect(places).toEqual([...places].sort((a, b) => a - b));
    }
    expect(Object.keys(JSON.parse(encodeTaskInfo(full)) as object)).toEqual(Object.keys(ORDER));
  });

  it('declares the types the encoder writes', () => {
    const info = JSON.parse(encodeTaskInfo(full)) as TaskInfo;
    expect(info).toEqual({
      task_id: 't',
      command: '/bin/x',
      args: ['a'],
      state: 'errored',
      retry_policy: {
        restart_delay: '1s',
        error_window: '1m0s',
        error_threshold: 2,
        backoff_multiplier: 2,
        max_restart_delay: '30s',
        jitter: 0.1,
        reset_after: '5m0s',
        no_restart_exit_codes: [0],
        always_restart_exit_codes: [1, 2],
      },
      current_pid: 9,
      worker_state: 'exited',
      restart_count: 1,
      created_at: '2026-02-19T12:00:00.12Z',
      last_started_at: '2026-02-19T12:00:00.12Z',
      last_exited_at: '2026-02-19T12:00:00.12Z',
      last_exit_code: 1,
      error_message: 'exit threshold reached',
    } satisfies TaskInfo);
    expect(Object.keys(info.retry_policy ?? {})).toEqual(Object.keys(RETRY_POLICY_KEYS));
  });

  it('covers the engine’s states', () => {
    expectTypeOf<TaskSnapshot['state']>().toEqualTypeOf<TaskInfoState>();
    expectTypeOf<NonNullable<TaskSnapshot['workerState']>>().toEqualTypeOf<TaskInfoWorkerState>();
  });
});
