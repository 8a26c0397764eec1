/**
 * A fixed-capacity FIFO that evicts the oldest item when full. Slots are allocated as items arrive:
 * most workers print little, and a thousand idle tasks should not cost a thousand full buffers.
 */
export class RingBuffer<T> {
  private readonly slots: T[] = [];
  private start = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`capacity must be >= 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    if (this.count < this.capacity) {
      this.slots.push(item);
      this.count++;
      return;
    }
    this.slots[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Items oldest first. */
  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) {
      out.push(this.slots[(this.start + i) % this.capacity] as T);
    }
    return out;
  }
}
