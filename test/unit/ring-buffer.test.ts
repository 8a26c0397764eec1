import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../../src/supervisor/output/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the last `capacity` items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (let i = 1; i <= 2; i++) ring.push(i);
    expect(ring.toArray()).toEqual([1, 2]);
    for (let i = 3; i <= 7; i++) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.size).toBe(3);
  });

  it('holds exactly 100 of 150 pushes at the protocol size', () => {
    const ring = new RingBuffer<number>(100);
    for (let i = 0; i < 150; i++) ring.push(i);
    const items = ring.toArray();
    expect(items).toHaveLength(100);
    expect(items[0]).toBe(50);
    expect(items.at(-1)).toBe(149);
  });

  it('rejects a capacity below one', () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
