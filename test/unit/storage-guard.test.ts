// The storage guard's bookkeeping: failed writes become StorageErrors, changes no request waits for
// are kept by row and retried, and a kept change never overwrites a newer write of the same row.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageError } from '../../src/store/storage-errors.js';
import { StorageGuard } from '../../src/store/storage-guard.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** What better-sqlite3 throws when the disk is full (a SqliteError carries SQLite's code). */
function diskFull(): never {
  throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
}

describe('StorageGuard', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;
  beforeEach(() => {
    temp = makeTempDir('storage-guard-');
    path = join(temp.path, 'x.db');
    writeFileSync(path, '');
  });
  afterEach(() => temp.remove());

  it('turns SQLITE_FULL into STORAGE_FULL naming the directory, and lets other errors through', () => {
    const guard = new StorageGuard(path);
    let caught: unknown;
    try {
      guard.write(diskFull);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StorageError);
    expect((caught as StorageError).code).toBe('STORAGE_FULL');
    expect((caught as StorageError).message).toContain(`the disk holding ${temp.path} is full`);
    expect(guard.status()).toMatchObject({ failedWrites: 1, failing: { code: 'STORAGE_FULL' } });
    const bug = Object.assign(new Error('UNIQUE constraint failed'), { code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(() =>
      guard.write(() => {
        throw bug;
      }),
    ).toThrow(bug);
    guard.write(() => undefined);
    expect(guard.status().failing).toBeNull();
  });

  it('keeps the latest unwritten change per row and retries in order, stopping at the first failure', () => {
    const guard = new StorageGuard(path);
    const written: string[] = [];
    let full = true;
    const change = (label: string) => () => {
      if (full) diskFull();
      written.push(label);
    };
    expect(guard.writeEventually('a', change('a1'))).toBe(false);
    expect(guard.writeEventually('b', change('b1'))).toBe(false);
    expect(guard.writeEventually('a', change('a2'))).toBe(false);
    expect(guard.status().pendingWrites).toBe(2);
    guard.retryPending();
    expect(written).toEqual([]);
    full = false;
    guard.retryPending();
    expect(written).toEqual(['b1', 'a2']);
    expect(guard.status().pendingWrites).toBe(0);
  });

  it('never writes a kept change over a newer write of the same row, nor one of a deleted row', () => {
    const guard = new StorageGuard(path);
    const written: string[] = [];
    let full = true;
    guard.writeEventually('a', () => (full ? diskFull() : written.push('stale a')));
    guard.writeEventually('b', () => (full ? diskFull() : written.push('stale b')));
    full = false;
    guard.write(() => written.push('new a'), 'a');
    guard.forget('b');
    guard.retryPending();
    expect(written).toEqual(['new a']);
  });

  it('refuses every write, without running it, once the file is deleted', () => {
    const guard = new StorageGuard(path);
    rmSync(path);
    let ran = false;
    expect(() =>
      guard.write(() => {
        ran = true;
      }),
    ).toThrow(/was deleted while the server ran: nothing was saved/);
    expect(ran).toBe(false);
    // Also after the file is back: what was written meanwhile went to the old file, so no restart, no writes.
    writeFileSync(path, '');
    expect(() => guard.write(() => undefined)).toThrow(StorageError);
    expect(guard.status().lost).toContain('was deleted');
  });
});
