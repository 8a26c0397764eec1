import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events/bus.js';

const tick = () => new Promise<void>((resolve) => queueMicrotask(resolve));

describe('EventBus', () => {
  it('delivers everything published in one tick as one batch, per subscriber, in order', async () => {
    const bus = new EventBus<number>();
    const a: number[][] = [];
    const b: number[][] = [];
    bus.subscribe({ maxQueued: 100, deliver: (batch) => a.push([...batch]), onOverflow: () => {} });
    bus.subscribe({
      maxQueued: 100,
      filter: (n) => n % 2 === 0,
      deliver: (batch) => b.push([...batch]),
      onOverflow: () => {},
    });
    for (let i = 1; i <= 4; i++) bus.publish(i);
    expect(a).toEqual([]);
    await tick();
    expect(a).toEqual([[1, 2, 3, 4]]);
    expect(b).toEqual([[2, 4]]);
    bus.publish(5);
    await tick();
    expect(a).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('queues while paused and drops a subscriber past its limit without touching the others', async () => {
    const bus = new EventBus<number>();
    const slow: number[] = [];
    const fast: number[] = [];
    const overflows: number[] = [];
    const slowSub = bus.subscribe({
      maxQueued: 3,
      deliver: (batch) => slow.push(...batch),
      onOverflow: (queued) => overflows.push(queued),
    });
    bus.subscribe({ maxQueued: 3, deliver: (batch) => fast.push(...batch), onOverflow: () => {} });
    slowSub.pause();
    bus.publish(1);
    bus.publish(2);
    await tick();
    expect(slow).toEqual([]);
    expect(slowSub.queued).toBe(2);
    slowSub.resume();
    await tick();
    expect(slow).toEqual([1, 2]);
    slowSub.pause();
    for (let i = 3; i <= 7; i++) {
      bus.publish(i);
      await tick();
    }
    expect(overflows).toEqual([4]);
    expect(slowSub.closed).toBe(true);
    expect(fast).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(bus.subscriberCount).toBe(1);
  });

  it('stops delivering after close', async () => {
    const bus = new EventBus<string>();
    const got: string[] = [];
    const sub = bus.subscribe({
      maxQueued: 10,
      deliver: (batch) => got.push(...batch),
      onOverflow: () => {},
    });
    bus.publish('a');
    sub.close();
    await tick();
    expect(got).toEqual([]);
    expect(bus.subscriberCount).toBe(0);
  });
});
