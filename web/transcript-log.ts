import type { TranscriptEntry, TranscriptPage } from '../src/protocol/rest/transcript.js';

/** How many entries the page keeps per session (the server keeps the whole transcript). */
export const MAX_TRANSCRIPT_ENTRIES = 2000;

/** The page size asked of `GET /api/sessions/:id/transcript` (the server's maximum). */
const PAGE_LIMIT = 1000;

/**
 * One session's transcript as the page knows it: the newest entries in seq order, filled by paging
 * the REST API and then by `session:transcript` events. An event that leaves a gap (the stream
 * dropped something) is not applied; the log asks to be paged again from its last seq instead.
 * Plain data, no DOM.
 */
export class TranscriptLog {
  readonly entries: TranscriptEntry[] = [];
  /** The last seq applied (0: none yet). */
  lastSeq = 0;
  /** True until paged, and again after a gap: the next `sync` fetches what is missing. */
  needsSync = true;
  private syncing = false;
  /** Events came while a sync ran: page once more when it ends, so none is lost between pages. */
  private dirty = false;

  /** Applies live entries; returns whether anything changed (entries or `needsSync`). */
  receive(entries: readonly TranscriptEntry[]): boolean {
    if (this.syncing) {
      this.dirty = true;
      return false;
    }
    if (this.needsSync) return false;
    let changed = false;
    for (const entry of entries) {
      if (entry.seq <= this.lastSeq) continue;
      if (entry.seq !== this.lastSeq + 1) {
        this.needsSync = true;
        return true;
      }
      this.push(entry);
      changed = true;
    }
    return changed;
  }

  /** Pages from the last seq until the server has no more; safe to call while one runs (no-op). */
  async sync(fetchPage: (after: number, limit: number) => Promise<TranscriptPage>): Promise<void> {
    if (this.syncing) return;
    this.syncing = true;
    try {
      do {
        this.dirty = false;
        this.needsSync = false;
        for (;;) {
          const page = await fetchPage(this.lastSeq, PAGE_LIMIT);
          for (const entry of page.entries) if (entry.seq > this.lastSeq) this.push(entry);
          if (!page.hasMore || page.entries.length === 0) break;
        }
      } while (this.dirty);
    } catch (error) {
      this.needsSync = true;
      throw error;
    } finally {
      this.syncing = false;
    }
  }

  private push(entry: TranscriptEntry): void {
    this.entries.push(entry);
    this.lastSeq = entry.seq;
    if (this.entries.length > MAX_TRANSCRIPT_ENTRIES)
      this.entries.splice(0, this.entries.length - MAX_TRANSCRIPT_ENTRIES);
  }
}
