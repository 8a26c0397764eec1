import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Limits } from '../../src/server/limits.js';
import { type FlowClient, OutputFlowControl } from '../../src/server/overseer/output-flow.js';

class Client implements FlowClient {
  open = true;
  constructor(public backlog: number) {}
}

const behind = Limits.clientHighWaterBytes + 1;

describe('OutputFlowControl', () => {
  let paused: boolean[];
  let dropped: Client[];
  let flow: OutputFlowControl<Client>;

  beforeEach(() => {
    vi.useFakeTimers();
    paused = [];
    dropped = [];
    flow = new OutputFlowControl<Client>(
      (p) => paused.push(p),
      (c) => dropped.push(c),
    );
  });
  afterEach(() => {
    flow.dispose();
    expect(vi.getTimerCount()).toBe(0);
    vi.useRealTimers();
  });

  it('holds output only while every client is behind', () => {
    const fast = new Client(0);
    const slow = new Client(behind);
    flow.update(new Set([fast, slow]));
    expect(paused).toEqual([]);
    fast.backlog = behind;
    flow.update(new Set([fast, slow]));
    expect(paused).toEqual([true]);
    flow.drained();
    expect(paused).toEqual([true, false]);
    expect(flow.isPaused).toBe(false);
  });

  it('never holds output for nobody, nor for clients being disconnected', () => {
    flow.update(new Set());
    const leaving = new Client(behind);
    leaving.open = false;
    flow.update(new Set([leaving]));
    expect(paused).toEqual([]);
    const behindToo = new Client(behind);
    flow.update(new Set([leaving, behindToo]));
    expect(paused).toEqual([true]);
    flow.update(new Set([leaving, behindToo, new Client(0)]));
    expect(paused).toEqual([true, false]);
  });

  it('resumes when the client that was behind leaves', () => {
    const only = new Client(behind);
    flow.update(new Set([only]));
    flow.update(new Set());
    expect(paused).toEqual([true, false]);
  });

  it('drops the clients that took nothing during the stall period, then resumes', () => {
    const stalled = new Client(behind);
    const progressing = new Client(behind + 500);
    const clients = new Set([stalled, progressing]);
    flow.update(clients);
    progressing.backlog = behind + 100;
    vi.advanceTimersByTime(Limits.stalledClientMs - 1);
    expect(dropped).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(dropped).toEqual([stalled]);
    expect(paused).toEqual([true, false]);
  });
});
