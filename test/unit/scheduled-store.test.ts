// The scheduled_runs table: exact round trips in creation order, updates, deletes, a damaged log column.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduledRun } from '../../src/protocol/rest/scheduled.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteScheduledRunRepository } from '../../src/store/scheduled-runs.js';

const RUN: ScheduledRun = {
  id: 'run-b',
  prompt: 'improve "the" code\nplease',
  workingDir: '/tmp/work',
  durationMinutes: 0.1,
  startedAt: 1_767_225_600_000.5,
  endAt: 1_767_225_606_000.5,
  status: 'running',
  sessionId: 'session-1',
  completedTasks: 2,
  totalCost: 0.000235,
  maxCostUsd: 1.5,
  logs: [
    { ts: 1_767_225_600_001, message: 'started' },
    { ts: 1_767_225_600_002, message: 'iteration "one" ✓' },
  ],
  stopReason: null,
  autoResume: false,
  maxWaitMinutes: 42.5,
  pausedUntil: 1_767_225_700_000,
};

describe('SqliteScheduledRunRepository', () => {
  let db: Database;
  let repo: SqliteScheduledRunRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    repo = new SqliteScheduledRunRepository(db);
  });
  afterEach(() => db.close());

  it('round-trips runs exactly, in creation order, and updates in place', () => {
    const other: ScheduledRun = { ...RUN, id: 'run-a', maxCostUsd: null, sessionId: null, logs: [] };
    repo.save(RUN);
    repo.save(other);
    expect(repo.loadAll()).toEqual([RUN, other]);

    const ended: ScheduledRun = {
      ...RUN,
      status: 'completed',
      sessionId: null,
      completedTasks: 3,
      totalCost: 0.5,
      logs: [...RUN.logs, { ts: 1_767_225_606_001, message: 'completed' }],
      stopReason: 'the scheduled time is up',
    };
    repo.save(ended);
    expect(repo.loadAll()).toEqual([ended, other]);

    repo.delete('run-b');
    expect(repo.loadAll()).toEqual([other]);
  });

  it('loads a run whose log column is damaged, without its log', () => {
    repo.save(RUN);
    db.prepare("UPDATE scheduled_runs SET logs = '{not json' WHERE id = ?").run(RUN.id);
    expect(repo.loadAll()).toEqual([{ ...RUN, logs: [] }]);
    db.prepare(
      `UPDATE scheduled_runs SET logs = '[{"ts":1,"message":"ok"},{"ts":"x"},null]' WHERE id = ?`,
    ).run(RUN.id);
    expect(repo.loadAll()[0]?.logs).toEqual([{ ts: 1, message: 'ok' }]);
  });
});
