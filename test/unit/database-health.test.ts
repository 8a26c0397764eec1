import { closeSync, openSync, writeSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkDatabase, databaseHealth, openDatabase } from '../../src/store/database.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('database integrity check on open', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir('db-health-');
  });
  afterEach(() => temp.remove());

  it('keeps an ok result for a sound database and logs nothing', () => {
    const errors: string[] = [];
    const db = openDatabase(`${temp.path}/sound.db`, { error: (message) => errors.push(message) });
    expect(databaseHealth(db)).toEqual({ ok: true, problems: [] });
    expect(checkDatabase(db)).toEqual({ ok: true, problems: [] });
    expect(errors).toEqual([]);
    db.close();
  });

  it('logs (and keeps) the problems of a damaged file instead of failing to open it', () => {
    const path = `${temp.path}/damaged.db`;
    const first = openDatabase(path);
    first.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, text TEXT)');
    const insert = first.prepare('INSERT INTO filler (text) VALUES (?)');
    for (let i = 0; i < 2_000; i++) insert.run(`row ${i} ${'x'.repeat(100)}`);
    first.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = first.pragma('page_size', { simple: true }) as number;
    const pages = first.pragma('page_count', { simple: true }) as number;
    first.close();
    // Garbage over the middle of the file: b-tree pages of the filler table.
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.alloc(pageSize * 4, 0xa5), 0, pageSize * 4, pageSize * Math.floor(pages / 2));
    closeSync(fd);

    const errors: Array<{ message: string; detail?: Record<string, unknown> }> = [];
    const db = openDatabase(path, { error: (message, detail) => errors.push({ message, detail }) });
    const health = databaseHealth(db);
    expect(health?.ok).toBe(false);
    expect(health?.problems.length).toBeGreaterThan(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe('database integrity check failed');
    expect(errors[0]?.detail).toMatchObject({ path });
    db.close();
  });
});
