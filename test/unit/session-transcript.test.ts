import { describe, expect, it } from 'vitest';
import { SessionTranscript } from '../../src/agent/session/session-transcript.js';
import type { TranscriptDraft, TranscriptEntry } from '../../src/protocol/rest/transcript.js';

const user = (text: string): TranscriptDraft => ({ ts: 1, kind: 'user', text });
const reply = (text: string): TranscriptDraft => ({ ts: 2, kind: 'assistant', text });
const tool = (name: string): TranscriptDraft => ({ ts: 3, kind: 'tool_use', tool: name, input: {} });
const note = (text: string): TranscriptDraft => ({ ts: 0, kind: 'system', text });

describe('SessionTranscript numbering', () => {
  it('numbers entries from 1 and returns them as kept', () => {
    const transcript = new SessionTranscript(100);
    expect(transcript.lastSeq).toBe(0);
    expect(transcript.turn).toBe(0);
    const added = transcript.add([user('a'), reply('b')]);
    expect(added).toEqual([
      { ts: 1, kind: 'user', text: 'a', seq: 1, turn: 1 },
      { ts: 2, kind: 'assistant', text: 'b', seq: 2, turn: 1 },
    ]);
    expect(transcript.add([tool('Bash')]).map((entry) => entry.seq)).toEqual([3]);
    expect(transcript.lastSeq).toBe(3);
    expect(transcript.size).toBe(3);
  });

  it('entries before the first prompt are turn 0; each user entry starts the next turn', () => {
    const transcript = new SessionTranscript(100);
    const added = transcript.add([
      note('session started'),
      user('one'),
      reply('r1'),
      tool('Bash'),
      user('two'),
      reply('r2'),
      user('three'),
    ]);
    expect(added.map((entry) => [entry.kind, entry.turn])).toEqual([
      ['system', 0],
      ['user', 1],
      ['assistant', 1],
      ['tool_use', 1],
      ['user', 2],
      ['assistant', 2],
      ['user', 3],
    ]);
    expect(transcript.turn).toBe(3);
  });

  it('does not change the drafts it is given', () => {
    const draft = user('x');
    new SessionTranscript(10).add([draft]);
    expect(draft).toEqual({ ts: 1, kind: 'user', text: 'x' });
  });
});

describe('SessionTranscript bound', () => {
  it('keeps the most recent `limit` entries, oldest dropped', () => {
    const transcript = new SessionTranscript(3);
    transcript.add([user('1'), reply('2'), reply('3'), reply('4'), reply('5')]);
    expect(transcript.size).toBe(3);
    expect(transcript.lastSeq).toBe(5);
    const page = transcript.page(0, 10);
    expect(page.entries.map((entry) => entry.text)).toEqual(['3', '4', '5']);
    expect(page.firstSeq).toBe(3);
    transcript.add([reply('6')]);
    expect(transcript.page(0, 10).firstSeq).toBe(4);
  });

  it('firstSeq is 0 when empty', () => {
    expect(new SessionTranscript(5).page(0, 10)).toEqual({
      entries: [],
      nextAfter: 0,
      hasMore: false,
      firstSeq: 0,
    });
  });
});

describe('SessionTranscript.page', () => {
  const filled = (): SessionTranscript => {
    const transcript = new SessionTranscript(100);
    transcript.add([user('1'), reply('2'), reply('3'), reply('4'), reply('5')]);
    return transcript;
  };

  it('pages by seq with nextAfter and hasMore', () => {
    const transcript = filled();
    const first = transcript.page(0, 2);
    expect(first.entries.map((entry) => entry.seq)).toEqual([1, 2]);
    expect(first.nextAfter).toBe(2);
    expect(first.hasMore).toBe(true);
    const second = transcript.page(first.nextAfter, 2);
    expect(second.entries.map((entry) => entry.seq)).toEqual([3, 4]);
    expect(second.hasMore).toBe(true);
    const third = transcript.page(second.nextAfter, 2);
    expect(third.entries.map((entry) => entry.seq)).toEqual([5]);
    expect(third.nextAfter).toBe(5);
    expect(third.hasMore).toBe(false);
  });

  it('an exact last page has no more', () => {
    const page = filled().page(3, 2);
    expect(page.entries.map((entry) => entry.seq)).toEqual([4, 5]);
    expect(page.hasMore).toBe(false);
  });

  it('after the end: no entries, nextAfter is `after`', () => {
    expect(filled().page(5, 10)).toEqual({ entries: [], nextAfter: 5, hasMore: false, firstSeq: 1 });
    expect(filled().page(9, 10)).toMatchObject({ entries: [], nextAfter: 9, hasMore: false });
  });

  it('after a trimmed seq starts at the oldest kept', () => {
    const transcript = new SessionTranscript(2);
    transcript.add([user('1'), reply('2'), reply('3'), reply('4')]);
    const page = transcript.page(1, 10);
    expect(page.entries.map((entry) => entry.seq)).toEqual([3, 4]);
    expect(page.firstSeq).toBe(3);
  });
});

describe('SessionTranscript.assistantTextAfter', () => {
  it('returns the assistant text of the turns after `turn`', () => {
    const transcript = new SessionTranscript(100);
    transcript.add([
      note('start'),
      user('one'),
      reply('answer one'),
      user('two'),
      tool('Bash'),
      reply('answer two a'),
      { ts: 5, kind: 'error', text: 'not assistant' },
      reply('answer two b'),
    ]);
    expect(transcript.assistantTextAfter(0)).toEqual(['answer one', 'answer two a', 'answer two b']);
    expect(transcript.assistantTextAfter(1)).toEqual(['answer two a', 'answer two b']);
    expect(transcript.assistantTextAfter(2)).toEqual([]);
  });

  it('skips assistant entries without text', () => {
    const transcript = new SessionTranscript(10);
    transcript.add([user('u'), { ts: 1, kind: 'assistant' }, reply('said')]);
    expect(transcript.assistantTextAfter(0)).toEqual(['said']);
  });
});

describe('SessionTranscript unsaved / markSaved', () => {
  it('reports the entries not yet saved', () => {
    const transcript = new SessionTranscript(100);
    transcript.add([user('1'), reply('2')]);
    expect(transcript.unsaved().map((entry) => entry.seq)).toEqual([1, 2]);
    transcript.markSaved(2);
    expect(transcript.unsaved()).toEqual([]);
    transcript.add([reply('3'), reply('4')]);
    expect(transcript.unsaved().map((entry) => entry.seq)).toEqual([3, 4]);
    transcript.markSaved(3);
    expect(transcript.unsaved().map((entry) => entry.seq)).toEqual([4]);
  });

  it('markSaved never goes back', () => {
    const transcript = new SessionTranscript(100);
    transcript.add([user('1'), reply('2'), reply('3')]);
    transcript.markSaved(3);
    transcript.markSaved(1);
    expect(transcript.unsaved()).toEqual([]);
  });

  it('after a trim only the kept entries are unsaved', () => {
    const transcript = new SessionTranscript(2);
    transcript.add([user('1'), reply('2'), reply('3')]);
    expect(transcript.unsaved().map((entry) => entry.seq)).toEqual([2, 3]);
  });
});

describe('SessionTranscript from stored entries', () => {
  const stored: TranscriptEntry[] = [
    { seq: 7, turn: 2, ts: 1, kind: 'user', text: 'earlier' },
    { seq: 8, turn: 2, ts: 2, kind: 'assistant', text: 'reply' },
  ];

  it('continues seq and turn, with nothing unsaved', () => {
    const transcript = new SessionTranscript(100, stored);
    expect(transcript.lastSeq).toBe(8);
    expect(transcript.turn).toBe(2);
    expect(transcript.size).toBe(2);
    expect(transcript.unsaved()).toEqual([]);
    const added = transcript.add([reply('more'), user('next')]);
    expect(added.map((entry) => [entry.seq, entry.turn])).toEqual([
      [9, 2],
      [10, 3],
    ]);
    expect(transcript.unsaved().map((entry) => entry.seq)).toEqual([9, 10]);
    expect(transcript.page(0, 10).firstSeq).toBe(7);
  });

  it('keeps only the newest `limit` stored entries', () => {
    const transcript = new SessionTranscript(1, stored);
    expect(transcript.size).toBe(1);
    expect(transcript.page(0, 10).entries).toEqual([stored[1]]);
    expect(transcript.lastSeq).toBe(8);
  });
});
