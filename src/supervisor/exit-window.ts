/**
 * The sliding window of recent unintentional exits that decides when a task has failed too often.
 * Pure bookkeeping: the caller passes the time, so tests need no clock at all.
 */
export class ExitWindow {
  private exits: number[];

  /** @param windowMs how far back an exit still counts; 0 keeps every exit (the original's rule). */
  constructor(
    private readonly windowMs: number,
    restored: readonly number[] = [],
  ) {
    this.exits = [...restored];
  }

  /** Records an exit at `atMs` after dropping the ones that fell out of the window; returns the count. */
  record(atMs: number): number {
    this.prune(atMs);
    this.exits.push(atMs);
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
