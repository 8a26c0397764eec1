// The database's files on disk: owner-only modes (also for files that existed with looser ones) and
// incremental auto-vacuum (also for a database created without it).
import { chmodSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('database files', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir('db-files-');
  });
  afterEach(() => temp.remove());

  it('creates the database, WAL and SHM files 0600', () => {
    const path = join(temp.path, 'new.db');
    const db = openDatabase(path);
    db.exec('CREATE TABLE t (x)');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      expect(existsSync(file), file).toBe(true);
      expect(modeOf(file), file).toBe(0o600);
    }
    // The directory is not ours to change (for sticky-overseer's -db it may be the user's cwd).
    expect(modeOf(temp.path)).toBe(0o700);
    db.close();
  });

  it('tightens files that existed with looser modes', () => {
    const path = join(temp.path, 'old.db');
    // A database left by an earlier version, open elsewhere so that its WAL and SHM files exist.
    const other = new BetterSqlite3(path);
    other.pragma('journal_mode = WAL');
    other.exec('CREATE TABLE t (x)');
    for (const file of [path, `${path}-wal`, `${path}-shm`]) chmodSync(file, 0o644);

    const db = openDatabase(path);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(file), file).toBe(0o600);
    db.close();
    other.close();
  });

  it('turns on incremental auto-vacuum, for a new database and for one created without it', () => {
    const fresh = openDatabase(join(temp.path, 'fresh.db'));
    expect(fresh.pragma('auto_vacuum', { simple: true })).toBe(2);
    fresh.close();

    const path = join(temp.path, 'legacy.db');
    const legacy = new BetterSqlite3(path);
    legacy.pragma('journal_mode = WAL');
    legacy.exec('CREATE TABLE t (x)');
    legacy.prepare('INSERT INTO t VALUES (?)').run('kept');
    expect(legacy.pragma('auto_vacuum', { simple: true })).toBe(0);
    legacy.close();

    const db = openDatabase(path);
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    expect(db.prepare('SELECT x FROM t').all()).toEqual([{ x: 'kept' }]);
    db.close();
  });
});
