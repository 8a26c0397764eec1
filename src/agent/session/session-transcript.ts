import type { TranscriptDraft, TranscriptEntry, TranscriptPage } from '../../protocol/rest/transcript.js';

/**
 * A session's transcript in memory: numbered entries (seq), each with the turn it belongs to (user
 * prompts counted from 1), the most recent `limit` kept. The store holds the same bounded tail
 * (what has not been written yet is `unsaved()`), so it survives the process and the server.
 */
export class SessionTranscript {
  private entries: TranscriptEntry[];
  private seq: number;
  private turnCount: number;
  private savedSeq: number;

  constructor(
    private readonly limit: number,
    stored: readonly TranscriptEntry[] = [],
  ) {
    this.entries = stored.slice(-limit);
    const last = this.entries.at(-1);
    this.seq = last?.seq ?? 0;
    this.turnCount = last?.turn ?? 0;
    this.savedSeq = this.seq;
  }

  get turn(): number {
    return this.turnCount;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Numbers and keeps `drafts`; returns the entries as kept. A user prompt starts the next turn. */
  add(drafts: readonly TranscriptDraft[]): TranscriptEntry[] {
    const added: TranscriptEntry[] = [];
    for (const draft of drafts) {
      if (draft.kind === 'user') this.turnCount++;
      const entry: TranscriptEntry = { ...draft, seq: ++this.seq, turn: this.turnCount };
      this.entries.push(entry);
      added.push(entry);
    }
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
    return added;
  }

  /** Entries after `after` (a seq), at most `limit`. */
  page(after: number, limit: number): TranscriptPage {
    const start = this.entries.findIndex((entry) => entry.seq > after);
    const entries = start === -1 ? [] : this.entries.slice(start, start + limit);
    const last = entries.at(-1);
    return {
      entries,
      nextAfter: last?.seq ?? after,
      hasMore: last !== undefined && last.seq < this.seq,
      firstSeq: this.entries[0]?.seq ?? 0,
    };
  }

  /** Assistant text of the turns after `turn` (what the agent said since a prompt was sent). */
  assistantTextAfter(turn: number): string[] {
    return this.entries
      .filter((entry) => entry.turn > turn && entry.kind === 'assistant' && entry.text !== undefined)
      .map((entry) => entry.text as string);
  }

  /** Entries not yet written to the store, oldest first (after a trim: the kept ones). */
  unsaved(): TranscriptEntry[] {
    return this.entries.filter((entry) => entry.seq > this.savedSeq);
  }

  markSaved(seq: number): void {
    if (seq > this.savedSeq) this.savedSeq = seq;
  }
}
