import { appendFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isTranscriptPath, TranscriptFileTail } from '../../src/agent/claude/transcript/transcript-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: ReturnType<typeof makeTempDir>;
let file: string;

beforeEach(() => {
  dir = makeTempDir('transcript-file-');
  file = join(dir.path, 'session.jsonl');
});

afterEach(() => {
  dir.remove();
});

const line = (value: unknown): string => `${JSON.stringify(value)}\n`;

describe('TranscriptFileTail', () => {
  it('returns [] for a missing file, then reads it once written', () => {
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([]);
    writeFileSync(file, line({ type: 'user', n: 1 }));
    expect(tail.read()).toEqual([{ type: 'user', n: 1 }]);
  });

  it('reads the complete lines, and only the new ones on the next read', () => {
    writeFileSync(file, line({ n: 1 }) + line({ n: 2 }));
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(tail.read()).toEqual([]);
    appendFileSync(file, line({ n: 3 }));
    expect(tail.read()).toEqual([{ n: 3 }]);
  });

  it('keeps a partial line until its newline arrives', () => {
    const whole = JSON.stringify({ type: 'assistant', text: 'héllo wörld' });
    writeFileSync(file, `${line({ n: 1 })}${whole.slice(0, 10)}`);
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([{ n: 1 }]);
    expect(tail.read()).toEqual([]);
    appendFileSync(file, whole.slice(10, 20));
    expect(tail.read()).toEqual([]);
    appendFileSync(file, `${whole.slice(20)}\n`);
    expect(tail.read()).toEqual([{ type: 'assistant', text: 'héllo wörld' }]);
  });

  it('joins a multi-byte character split between reads', () => {
    const bytes = Buffer.from(`${JSON.stringify({ text: '€uro' })}\n`);
    const split = bytes.indexOf(Buffer.from('€')) + 1; // inside the 3-byte sequence
    writeFileSync(file, bytes.subarray(0, split));
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([]);
    appendFileSync(file, bytes.subarray(split));
    expect(tail.read()).toEqual([{ text: '€uro' }]);
  });

  it('skips a line that is not JSON (and blank lines)', () => {
    writeFileSync(file, `${line({ n: 1 })}{"torn": tru\n\n${line({ n: 2 })}`);
    expect(new TranscriptFileTail(file).read()).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('starts again from 0 when the file shrinks (replaced)', () => {
    writeFileSync(file, line({ n: 1, pad: 'x'.repeat(50) }) + line({ n: 2, pad: 'x'.repeat(50) }));
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toHaveLength(2);
    writeFileSync(file, line({ fresh: true }));
    expect(tail.read()).toEqual([{ fresh: true }]);
    appendFileSync(file, line({ fresh: 2 }));
    expect(tail.read()).toEqual([{ fresh: 2 }]);
  });

  it('reads another file put in its place from its start, though it is no shorter', () => {
    writeFileSync(file, line({ n: 1 }));
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([{ n: 1 }]);
    const other = `${file}.new`;
    writeFileSync(other, line({ n: 'A' }) + line({ n: 'B' }));
    renameSync(other, file);
    expect(tail.read()).toEqual([{ n: 'A' }, { n: 'B' }]);
  });

  it('drops a held partial line when the file is replaced', () => {
    writeFileSync(file, `${line({ n: 1 })}{"partial":"${'p'.repeat(100)}`);
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([{ n: 1 }]);
    writeFileSync(file, line({ n: 'new' }));
    expect(tail.read()).toEqual([{ n: 'new' }]);
  });

  it('returns [] once the file is deleted', () => {
    writeFileSync(file, line({ n: 1 }));
    const tail = new TranscriptFileTail(file);
    expect(tail.read()).toEqual([{ n: 1 }]);
    rmSync(file);
    expect(tail.read()).toEqual([]);
  });
});

describe('isTranscriptPath', () => {
  it('accepts an absolute .jsonl path', () => {
    expect(isTranscriptPath('/home/u/.claude/projects/-work/0b9c.jsonl')).toBe(true);
    expect(isTranscriptPath(file)).toBe(true);
  });

  it.each([
    'relative/session.jsonl',
    './session.jsonl',
    'session.jsonl',
    '/abs/session.json',
    '/abs/session.txt',
    '/abs/session.jsonl.bak',
    '/abs/ses\0sion.jsonl',
    '',
  ])('refuses %j', (path) => {
    expect(isTranscriptPath(path)).toBe(false);
  });

  it.each([undefined, null, 42, {}, ['/a.jsonl']])('refuses the non-string %o', (value) => {
    expect(isTranscriptPath(value)).toBe(false);
  });
});
