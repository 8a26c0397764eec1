/**
 * Most exits remembered by a task with a threshold. Past the threshold a task errors, so its history
 * grows further only by explicit starts of the errored task (each adds one, as in the original,
 * where `exit_count` keeps counting); this bound only caps memory against a script doing that forever.
 */
export const MAX_REMEMBERED_EXITS = 10_000;

/**
 * The sliding window of recent unintentional exits that decides when a task has failed too often.
 * Pure bookkeeping: the caller passes the time, so tests need no clock at all.
 *
 * A task without a threshold remembers no exits: nothing reads them, and a task that restarts forever
 * must not grow its history, and with it every write of its record, without end.
 */
export class ExitWindow {
  private exits: number[];

  /**
   * @param windowMs how far back an exit still counts; 0 keeps every exit (the original's rule).
   * @param capacity most exits remembered (the error threshold); 0 or less remembers none.
   */
  constructor(
    private readonly windowMs: number,
    private readonly capacity: number,
    restored: readonly number[] = [],
  ) {
    this.exits = this.capacity > 0 ? restored.slice(-this.capacity) : [];
  }

  /** Records an exit at `atMs` after dropping the ones that fell out of the window; returns the count. */
  record(atMs: number): number {
    if (this.capacity <= 0) return 0;
    this.prune(atMs);
    this.exits.push(atMs);
    if (this.exits.length > this.capacity) this.exits.shift();
    return this.exits.length;
  }

  clear(): void {
    this.exits = [];
  }

  get count(): number {
    return this.exits.length;
  }

  /** Exit times, oldest first, for persistence. */
  timestamps(): readonly number[] {
    return this.exits;
  }

  private prune(nowMs: number): void {
    if (this.windowMs <= 0) return;
    const oldest = nowMs - this.windowMs;
    let keepFrom = 0;
    while (keepFrom < this.exits.length && (this.exits[keepFrom] ?? 0) < oldest) keepFrom++;
    if (keepFrom > 0) this.exits = this.exits.slice(keepFrom);
  }
}
