import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventLog, repairPartialLine } from '../../src/server/overseer/event-log.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The JSONL event log after a crash: a partial last line is cut off when the log is opened. */
describe('event log repair', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let path: string;
  let warnings: string[];

  beforeEach(() => {
    temp = makeTempDir('event-log-');
    path = `${temp.path}/events.jsonl`;
    warnings = [];
  });
  afterEach(() => temp.remove());

  const open = () => EventLog.open(path, (message) => warnings.push(message));

  it('cuts a partial last line back to the last newline, warns with the bytes dropped, appends after it', async () => {
    const whole = '{"type":"started","task_id":"a","pid":1,"ts":"2026-02-19T12:00:00Z"}\n';
    const partial = '{"type":"output","task_id":"a","pid":1,"str';
    writeFileSync(path, whole + partial);

    const log = await open();
    expect(readFileSync(path, 'utf8')).toBe(whole);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(`${Buffer.byteLength(partial)} bytes`);

    log.append(['{"type":"exited","task_id":"a"}', '{"type":"started","task_id":"b"}']);
    await log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    for (const line of lines.slice(0, -1)) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines).toHaveLength(4);
  });

  it('leaves a log that ends with a newline alone, and says nothing', async () => {
    writeFileSync(path, '{"a":1}\n{"b":2}\n');
    const log = await open();
    await log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"a":1}\n{"b":2}\n');
    expect(warnings).toEqual([]);
  });

  it('empties a log that holds only a partial line', async () => {
    writeFileSync(path, '{"type":"out');
    expect(await repairPartialLine(path)).toBe(12);
    expect(readFileSync(path, 'utf8')).toBe('');
  });

  it('finds the last newline before a partial line longer than one read (multi-byte text too)', async () => {
    const head = '{"x":"first"}\n{"x":"second"}\n';
    const partial = `{"data":"${'é'.repeat(100_000)}`;
    writeFileSync(path, head + partial);
    expect(await repairPartialLine(path)).toBe(Buffer.byteLength(partial));
    expect(readFileSync(path, 'utf8')).toBe(head);
  });

  it('creates a missing log, and an empty one needs nothing', async () => {
    expect(await repairPartialLine(path)).toBe(0);
    const log = await open();
    await log.close();
    expect(existsSync(path)).toBe(true);
    expect(await repairPartialLine(path)).toBe(0);
    expect(warnings).toEqual([]);
  });
});
