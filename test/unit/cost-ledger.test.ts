// The cost ledger: growth of sessions' totals booked per day and case, kept beyond the sessions and
// over a restart (a real SQLite file), never counted twice.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CostLedger, caseOf, localDay } from '../../src/agent/session/cost-ledger.js';
import { SqliteCostLedgerRepository } from '../../src/store/cost-ledger.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const ROOT = '/cases';
const DAY_MS = 24 * 60 * 60 * 1000;

describe('CostLedger', () => {
  const temp = makeTempDir('claudeman-ledger-');
  const dbs: Database[] = [];
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
  });
  const open = (clock: FakeClock, file: string): CostLedger => {
    const db = openDatabase(join(temp.path, file));
    dbs.push(db);
    return new CostLedger({
      repository: new SqliteCostLedgerRepository(db),
      clock,
      casesRoot: ROOT,
      warn: () => {},
    });
  };

  it('names the case of a directory: the first directory under the cases root, else none', () => {
    expect(caseOf('/cases/alpha', ROOT)).toBe('alpha');
    expect(caseOf('/cases/alpha/src/deep', ROOT)).toBe('alpha');
    expect(caseOf('/cases', ROOT)).toBe('');
    expect(caseOf('/elsewhere/alpha', ROOT)).toBe('');
    expect(caseOf('/cases-other/x', ROOT)).toBe('');
    expect(localDay(new Date(2026, 11, 7, 23, 59).getTime())).toBe('2026-12-07');
  });

  it('books only the growth of each total, per day and case, also for sessions deleted since', () => {
    const clock = new FakeClock();
    const ledger = open(clock, 'growth.db');
    ledger.track('a', '/cases/alpha');
    ledger.track('b', '/tmp/work');
    ledger.observe('a', 0.25);
    ledger.observe('a', 0.25); // the same total again: nothing new
    ledger.observe('a', 0.75);
    ledger.observe('b', 0.1);
    ledger.forget('b');
    clock.advance(DAY_MS);
    ledger.observe('a', 1.0);
    ledger.observe('a', 0.5); // a total that went back (a new CLI process) books nothing
    const summary = ledger.summary();
    expect(summary.totalUsd).toBeCloseTo(1.1, 10);
    expect(summary.todayUsd).toBeCloseTo(0.25, 10);
    expect(summary.days.map((d) => d.day)).toEqual([localDay(clock.now()), localDay(clock.now() - DAY_MS)]);
    expect(summary.days[1]?.usd).toBeCloseTo(0.85, 10);
    expect(summary.cases).toEqual([
      { case: 'alpha', usd: 1.0 },
      { case: '', usd: expect.closeTo(0.1, 10) },
    ]);
  });

  it('keeps its sums over a restart, and a restored session’s earlier spending is not booked again', () => {
    const clock = new FakeClock();
    const before = open(clock, 'restart.db');
    before.track('a', '/cases/alpha');
    before.observe('a', 2);
    const after = open(clock, 'restart.db');
    after.baseline('a', '/cases/alpha', 2);
    after.observe('a', 2);
    expect(after.summary().totalUsd).toBe(2);
    after.observe('a', 2.5);
    expect(after.summary()).toMatchObject({
      totalUsd: 2.5,
      todayUsd: 2.5,
      cases: [{ case: 'alpha', usd: 2.5 }],
    });
  });
});
