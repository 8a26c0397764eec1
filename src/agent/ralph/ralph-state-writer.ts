import type { Failure } from '../../protocol/result.js';
import type { RalphStateRecord, RalphStateRepository } from '../../store/ralph-state.js';
import { type StorageErrorCode, tryWrite } from '../../store/storage-errors.js';

/** How the Ralph loop writes its state: what a client asked for first, its own progress eventually. */
export class RalphStateWriter {
  constructor(
    private readonly repository: RalphStateRepository,
    private readonly warn: (message: string, detail?: Record<string, unknown>) => void,
  ) {}

  /** A change a client asked for (start, stop), written first: null, or the failure to answer. */
  write(record: RalphStateRecord): Failure<StorageErrorCode> | null {
    return tryWrite(() => this.repository.save(record));
  }

  /**
   * The loop's own progress: now, or as soon as the store can (a full disk); never thrown into the
   * session that caused the change.
   */
  persist(record: RalphStateRecord): void {
    try {
      this.repository.saveEventually(record);
    } catch (error) {
      this.warn('Ralph loop state not persisted', { error: (error as Error).message });
    }
  }
}
