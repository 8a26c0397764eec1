import { describe, expect, it } from 'vitest';
import { OutputBatcher } from '../../src/supervisor/output/output-batcher.js';
import { FakeClock } from '../helpers/fake-clock.js';

describe('OutputBatcher', () => {
  it('sends the first chunk at once and coalesces the rest of a burst per window', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const batcher = new OutputBatcher(clock, 4, (data) => sent.push(data));
    batcher.push('a');
    expect(sent).toEqual(['a']);
    batcher.push('b');
    batcher.push('c');
    expect(sent).toEqual(['a']);
    clock.advance(4);
    expect(sent).toEqual(['a', 'bc']);
    batcher.push('d');
    clock.advance(4);
    expect(sent).toEqual(['a', 'bc', 'd']);
    // A quiet window closes it: the next chunk goes out at once again.
    clock.advance(4);
    expect(clock.pendingTimers).toBe(0);
    batcher.push('e');
    expect(sent).toEqual(['a', 'bc', 'd', 'e']);
    batcher.dispose();
    expect(clock.pendingTimers).toBe(0);
  });

  it('flushes what is pending on dispose and ignores empty chunks', () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const batcher = new OutputBatcher(clock, 4, (data) => sent.push(data));
    batcher.push('');
    expect(sent).toEqual([]);
    batcher.push('x');
    batcher.push('y');
    batcher.dispose();
    expect(sent).toEqual(['x', 'y']);
    expect(clock.pendingTimers).toBe(0);
  });
});
