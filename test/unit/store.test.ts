import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from '../../src/store/database.js';
import { applyMigrations, MIGRATIONS, schemaVersion } from '../../src/store/migrations.js';
import { SqliteTaskRepository, type TaskRecord } from '../../src/store/overseer-tasks.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('SQLite store', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let db: Database;

  beforeEach(() => {
    temp = makeTempDir();
    db = openDatabase(`${temp.path}/nested/dir/state.db`);
  });
  afterEach(() => {
    db.close();
    temp.remove();
  });

  it('opens in WAL mode with a busy timeout and the latest schema', () => {
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
    // Applying again is a no-op.
    applyMigrations(db);
    expect(schemaVersion(db)).toBe(MIGRATIONS.at(-1)?.version);
  });

  it('refuses a database from a newer program', () => {
    db.pragma('user_version = 999');
    expect(() => applyMigrations(db)).toThrow(/newer than this program supports/);
  });

  it('round-trips task records exactly, in creation order', () => {
    const repo = new SqliteTaskRepository(db);
    const first: TaskRecord = {
      taskId: 'b-first',
      command: '/bin/x',
      args: ['a b', '"q"', ''],
      retryPolicy: { restartDelayNs: 1_500_000_000n, errorWindowNs: 60_000_000_000n, errorThreshold: 3 },
      state: 'active',
      restartCount: 2,
      exitCount: 1,
      createdAt: 1_700_000_000_123.5,
      lastStartedAt: 1_700_000_001_000,
      lastExitedAt: null,
      errorMessage: null,
      exitTimestamps: [1_700_000_000_500],
    };
    const second: TaskRecord = {
      ...first,
      taskId: 'a-second',
      retryPolicy: null,
      args: [],
      exitTimestamps: [],
    };
    repo.insert(first);
    repo.insert(second);
    first.state = 'errored';
    first.errorMessage = 'exit threshold reached';
    repo.update(first);
    expect(repo.loadAll()).toEqual([first, second]);
    expect(() => repo.insert(first)).toThrow(/UNIQUE/);
  });
});
