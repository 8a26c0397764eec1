/**
 * The last input sequence number applied for each terminal client of one session, so that input a
 * client resends after a reconnect (it had no `inputAck` for it) is applied at most once. Bounded in
 * clients (the least recently typing is forgotten first) and in time: a client forgotten and then
 * resending could have a frame applied twice, which takes more clients typing into one session, or a
 * longer absence, than a person produces.
 */
export class InputLedger {
  /** By client id, least recently typed first (an entry is moved to the end when it is updated). */
  private readonly last = new Map<string, { readonly seq: number; readonly at: number }>();

  constructor(
    private readonly maxClients: number,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.last.size;
  }

  /** Whether the frame `seq` of `clientId` was applied already. */
  applied(clientId: string, seq: number): boolean {
    this.expire();
    const entry = this.last.get(clientId);
    return entry !== undefined && seq <= entry.seq;
  }

  record(clientId: string, seq: number): void {
    const previous = this.last.get(clientId)?.seq ?? -1;
    this.last.delete(clientId);
    this.last.set(clientId, { seq: Math.max(previous, seq), at: this.now() });
    for (const oldest of this.last.keys()) {
      if (this.last.size <= this.maxClients) break;
      this.last.delete(oldest);
    }
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [clientId, entry] of this.last) {
      // Oldest first: the first one still fresh ends the sweep.
      if (entry.at > cutoff) break;
      this.last.delete(clientId);
    }
  }
}
