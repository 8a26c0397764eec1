import type { Clock } from './clock.js';
import type { OutputStream, SupervisedTaskExitedEvent, SupervisedTaskOutputEvent } from './events.js';
import { LineSplitter } from './output/line-splitter.js';
import { RingBuffer } from './output/ring-buffer.js';
import type { ExitStatus, SpawnSpec } from './spawn/child-process.js';
import { type PipeChild, spawnPiped } from './spawn/pipe-process.js';

/** Events a worker keeps for replay; output and exit share the slots (the protocol's rule). */
export const WORKER_REPLAY_EVENTS = 100;

/**
 * Longest output event in bytes. Longer lines are split into several events, so reading never stops
 * (the original stopped reading at 64 KiB, which could block the child).
 */
export const MAX_LINE_BYTES = 64 * 1024;

export type WorkerState = 'running' | 'exited';
export type ReplayableEvent = SupervisedTaskOutputEvent | SupervisedTaskExitedEvent;

export interface WorkerHooks {
  /** Allocates the next per-task output sequence number. */
  nextSeq(): number;
  onOutput(event: SupervisedTaskOutputEvent): void;
  /** Called once, after the last output line was delivered. */
  onExit(worker: Worker, event: SupervisedTaskExitedEvent): void;
}

/** One run of a task's command: its process, line framing, replay buffer and exit. */
export class Worker {
  state: WorkerState = 'running';
  exitCode: number | null = null;
  readonly startedAt: number;
  private intentional = false;
  private readonly replay = new RingBuffer<ReplayableEvent>(WORKER_REPLAY_EVENTS);

  private constructor(
    readonly taskId: string,
    private readonly child: PipeChild,
    startedAt: number,
  ) {
    this.startedAt = startedAt;
  }

  static start(
    taskId: string,
    spec: SpawnSpec,
    clock: Clock,
    hooks: WorkerHooks,
  ): { ok: true; worker: Worker } | { ok: false; error: string } {
    // Assigned synchronously right after the spawn, before any pipe callback can run.
    let worker: Worker | null = null;
    let chunkTs = 0;
    const emitter = (stream: OutputStream) => (line: string) => {
      if (worker === null) return;
      const event: SupervisedTaskOutputEvent = {
        kind: 'process:output',
        taskId,
        pid: worker.pid,
        stream,
        data: line,
        ts: chunkTs,
        seq: hooks.nextSeq(),
      };
      worker.replay.push(event);
      hooks.onOutput(event);
    };
    const stdout = new LineSplitter(MAX_LINE_BYTES, emitter('stdout'));
    const stderr = new LineSplitter(MAX_LINE_BYTES, emitter('stderr'));
    const outcome = spawnPiped(
      spec,
      {
        // All lines of one chunk were read at the same moment and share one timestamp.
        stdout: (chunk) => {
          chunkTs = clock.now();
          stdout.push(chunk);
        },
        stderr: (chunk) => {
          chunkTs = clock.now();
          stderr.push(chunk);
        },
      },
      clock,
    );
    if (!outcome.ok) return outcome;
    const started = new Worker(taskId, outcome.child, clock.now());
    worker = started;
    outcome.child.settled.then((status) => {
      chunkTs = clock.now();
      stdout.end();
      stderr.end();
      started.finish(status, clock, hooks);
    });
    return { ok: true, worker: started };
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Stop requested: the exit that follows is intentional. */
  stop(graceMs: number): void {
    if (this.state !== 'running') return;
    this.intentional = true;
    this.child.terminate(graceMs);
  }

  setOutputPaused(paused: boolean): void {
    if (this.state !== 'running') return;
    if (paused) this.child.pauseOutput();
    else this.child.resumeOutput();
  }

  kill(): void {
    if (this.state !== 'running') return;
    this.intentional = true;
    this.child.kill();
  }

  /** Buffered events with `ts >= sinceMs` (all when undefined), oldest first. */
  replayable(sinceMs?: number): ReplayableEvent[] {
    const events = this.replay.toArray();
    return sinceMs === undefined ? events : events.filter((event) => event.ts >= sinceMs);
  }

  private finish(status: ExitStatus, clock: Clock, hooks: WorkerHooks): void {
    this.state = 'exited';
    this.exitCode = status.code ?? -1;
    const event: SupervisedTaskExitedEvent = {
      kind: 'process:exited',
      taskId: this.taskId,
      pid: this.pid,
      exitCode: this.exitCode,
      signal: status.signal,
      intentional: this.intentional,
      ts: clock.now(),
    };
    this.replay.push(event);
    hooks.onExit(this, event);
  }
}
