import { describe, expect, it } from 'vitest';
import { encodeError, encodeEvent, encodeTasks, jsonString } from '../../src/server/overseer/encode.js';
import type { TaskSnapshot } from '../../src/supervisor/supervisor.js';

const ts = Date.UTC(2026, 1, 19, 12, 0, 0, 120);

describe('overseer encoding', () => {
  it('writes events in the original key order with RFC 3339 times', () => {
    expect(
      encodeEvent({
        kind: 'process:output',
        taskId: 't',
        pid: 7,
        stream: 'stderr',
        data: 'x"y',
        ts,
        seq: 1,
      }),
    ).toBe(
      '{"type":"output","task_id":"t","pid":7,"stream":"stderr","data":"x\\"y","ts":"2026-02-19T12:00:00.12Z"}',
    );
    expect(
      encodeEvent({
        kind: 'process:exited',
        taskId: 't',
        pid: 7,
        exitCode: -1,
        signal: 'SIGTERM',
        intentional: true,
        ts,
      }),
    ).toBe(
      '{"type":"exited","task_id":"t","pid":7,"exit_code":-1,"intentional":true,"ts":"2026-02-19T12:00:00.12Z"}',
    );
    expect(
      encodeEvent({
        kind: 'process:restarting',
        taskId: 't',
        pid: 7,
        restartDelayNs: 0n,
        attempt: 2,
        ts: ts - 120,
      }),
    ).toBe(
      '{"type":"restarting","task_id":"t","pid":7,"restart_delay":"0s","attempt":2,"ts":"2026-02-19T12:00:00Z"}',
    );
    expect(
      encodeEvent({ kind: 'process:started', taskId: 't', pid: 8, ts, cause: 'restart', restartOf: 7 }),
    ).toBe('{"type":"started","task_id":"t","pid":8,"restart_of":7,"ts":"2026-02-19T12:00:00.12Z"}');
    expect(encodeEvent({ kind: 'process:started', taskId: 't', pid: 8, ts, cause: 'request' }, 'r')).toBe(
      '{"type":"started","id":"r","task_id":"t","pid":8,"ts":"2026-02-19T12:00:00.12Z"}',
    );
    expect(encodeEvent({ kind: 'process:errored', taskId: 't', pid: 8, exitCount: 2, ts })).toBe(
      '{"type":"errored","task_id":"t","pid":8,"exit_count":2,"ts":"2026-02-19T12:00:00.12Z"}',
    );
  });

  it('escapes like Go (HTML-safe) and leaves out an empty id', () => {
    expect(jsonString('<a&b>\u2028')).toBe('"\\u003ca\\u0026b\\u003e\\u2028"');
    expect(encodeError('task not found', '')).toBe('{"type":"error","message":"task not found"}');
    expect(encodeError('x', 'id1')).toBe('{"type":"error","id":"id1","message":"x"}');
  });

  it('writes TaskInfo with omitted optional fields and canonical durations', () => {
    const base: TaskSnapshot = {
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
    expect(encodeTasks([], '')).toBe('{"type":"tasks","tasks":[]}');
    expect(encodeTasks([base], 'l')).toBe(
      '{"type":"tasks","id":"l","tasks":[{"task_id":"t","command":"/bin/x","args":[],"state":"stopped","restart_count":0,"created_at":"2026-02-19T12:00:00.12Z"}]}',
    );
    const full: TaskSnapshot = {
      ...base,
      args: ['a'],
      state: 'errored',
      retryPolicy: { restartDelayNs: 300_000_000_000n, errorWindowNs: 0n, errorThreshold: 2 },
      currentPid: 9,
      workerState: 'exited',
      restartCount: 1,
      lastStartedAt: ts,
      lastExitedAt: ts,
      lastExitCode: 1,
      errorMessage: 'exit threshold reached',
    };
    expect(JSON.parse(encodeTasks([full], '')).tasks[0]).toEqual({
      task_id: 't',
      command: '/bin/x',
      args: ['a'],
      state: 'errored',
      retry_policy: { restart_delay: '5m0s', error_threshold: 2 },
      current_pid: 9,
      worker_state: 'exited',
      restart_count: 1,
      created_at: '2026-02-19T12:00:00.12Z',
      last_started_at: '2026-02-19T12:00:00.12Z',
      last_exited_at: '2026-02-19T12:00:00.12Z',
      last_exit_code: 1,
      error_message: 'exit threshold reached',
    });
    expect(Object.keys(JSON.parse(encodeTasks([full], '')).tasks[0])).toEqual([
      'task_id',
      'command',
      'args',
      'state',
      'retry_policy',
      'current_pid',
      'worker_state',
      'restart_count',
      'created_at',
      'last_started_at',
      'last_exited_at',
      'last_exit_code',
      'error_message',
    ]);
  });
});
