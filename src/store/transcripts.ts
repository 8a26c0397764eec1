import type { TranscriptEntry } from '../protocol/rest/transcript.js';
import type { Database } from './database.js';
import { type StorageGuard, storageGuardOf } from './storage-guard.js';

/** Sessions' transcripts in SQLite: each session's most recent entries, one row per entry. */
export interface TranscriptRepository {
  /** Appends `entries` and drops the session's entries older than the newest `keep`; throws StorageError. */
  append(sessionId: string, entries: readonly TranscriptEntry[], keep: number): void;
  /** The session's kept entries, oldest first. */
  load(sessionId: string): TranscriptEntry[];
}

export class SqliteTranscriptRepository implements TranscriptRepository {
  private readonly insert;
  private readonly trim;
  private readonly select;
  private readonly guard: StorageGuard;
  private readonly appendAll;

  constructor(db: Database) {
    this.guard = storageGuardOf(db);
    this.insert = db.prepare(
      'INSERT OR REPLACE INTO transcript_entries (session_id, seq, entry) VALUES (?, ?, ?)',
    );
    this.trim = db.prepare('DELETE FROM transcript_entries WHERE session_id = ? AND seq <= ?');
    this.select = db.prepare<[string], { entry: string }>(
      'SELECT entry FROM transcript_entries WHERE session_id = ? ORDER BY seq',
    );
    this.appendAll = db.transaction(
      (sessionId: string, entries: readonly TranscriptEntry[], keep: number) => {
        for (const entry of entries) this.insert.run(sessionId, entry.seq, JSON.stringify(entry));
        const last = entries.at(-1);
        if (last !== undefined) this.trim.run(sessionId, last.seq - keep);
      },
    );
  }

  append(sessionId: string, entries: readonly TranscriptEntry[], keep: number): void {
    if (entries.length === 0) return;
    this.guard.write(() => this.appendAll(sessionId, entries, keep));
  }

  load(sessionId: string): TranscriptEntry[] {
    const entries: TranscriptEntry[] = [];
    for (const row of this.select.all(sessionId)) {
      try {
        entries.push(JSON.parse(row.entry) as TranscriptEntry);
      } catch {
        // A row that does not parse is skipped; the rest of the transcript stands.
      }
    }
    return entries;
  }
}
