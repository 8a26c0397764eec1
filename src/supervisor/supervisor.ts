import { randomUUID } from 'node:crypto';
import type { RetryPolicy } from '../protocol/overseer/retry-policy.js';
import type { Result } from '../protocol/result.js';
import type { TaskRecord, TaskRepository, TaskState } from '../store/overseer-tasks.js';
import { type Clock, systemClock } from './clock.js';
import { Failures, type SupervisorErrorCode } from './errors.js';
import type { SupervisedTaskEvent, SupervisedTaskExitedEvent, SupervisedTaskOutputEvent } from './events.js';
import { RestartScheduler } from './retry/restart-scheduler.js';
import type { RandomSource } from './retry/retry-policy.js';
import { SupervisedTask } from './task.js';
import { type SupervisorLog, TaskWrites } from './task-writes.js';
import { GracefulShutdown, SHUTDOWN_TIMEOUT_MS, STOP_GRACE_MS } from './terminate/shutdown.js';
import { type ReplayableEvent, Worker, type WorkerState } from './worker.js';

/**
 * Where spawned processes are written down until their exit has been handled (the store's process
 * ledger), so that the next server can end what a killed one left running. It never throws: a failed
 * write is its own to report (see supervisor/recovery/boot-orphan-sweep.ts), never a failed spawn.
 */
export interface ProcessLedgerWriter {
  record(kind: 'overseer', ownerId: string, pid: number): void;
  release(kind: 'overseer', ownerId: string, pid: number): void;
}

export interface SupervisorOptions {
  readonly repository: TaskRepository;
  readonly publish: (event: SupervisedTaskEvent) => void;
  readonly clock?: Clock;
  /** When set, the only command `start` may run; an omitted command means this one. */
  readonly pinnedCommand?: string | null;
  readonly stopGraceMs?: number;
  readonly newTaskId?: () => string;
  readonly log?: SupervisorLog;
  /** Records each worker right after its spawn and releases it once its exit has been handled. */
  readonly processLedger?: ProcessLedgerWriter;
  /** Source of restart-delay jitter (uniform in [0, 1)); default Math.random. */
  readonly random?: RandomSource;
}

/** What to start; a field left out (undefined) is absent, whatever a face's wire calls absent. */
export interface StartRequest {
  /** Absent: a new task with a new id. */
  readonly taskId?: string;
  /** Absent: the pinned command, if any. */
  readonly command?: string;
  readonly args?: readonly string[];
  /** Absent: none for a new task; an existing task keeps its own. */
  readonly retryPolicy?: RetryPolicy;
}

/** How supervisor operations answer: a value, or a refusal with one of the supervisor's codes. */
type SupervisorResult<T> = Result<T, SupervisorErrorCode>;

export interface Started {
  readonly taskId: string;
  readonly pid: number;
  readonly ts: number;
}

/** A task as `list` shows it: the record plus what its current worker is doing. */
export interface TaskSnapshot {
  readonly taskId: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly state: TaskState;
  readonly retryPolicy: RetryPolicy | null;
  readonly currentPid: number | null;
  readonly workerState: WorkerState | null;
  readonly restartCount: number;
  readonly exitCount: number;
  readonly createdAt: number;
  readonly lastStartedAt: number | null;
  readonly lastExitedAt: number | null;
  readonly lastExitCode: number | null;
  readonly errorMessage: string | null;
}

/**
 * The engine: supervised tasks, their workers, the retry policy and the task state machine
 * (active → stopped | errored). It knows nothing of sockets; faces call it and subscribe to its events.
 */
export class Supervisor {
  private readonly tasks = new Map<string, SupervisedTask>();
  private readonly clock: Clock;
  private readonly stopGraceMs: number;
  private readonly newTaskId: () => string;
  private shuttingDown = false;
  private outputPaused = false;
  private readonly restarts: RestartScheduler;
  private readonly shutdownWait: GracefulShutdown;
  private readonly writes: TaskWrites;

  constructor(private readonly options: SupervisorOptions) {
    const clock = options.clock ?? systemClock;
    this.clock = clock;
    this.stopGraceMs = options.stopGraceMs ?? STOP_GRACE_MS;
    this.newTaskId = options.newTaskId ?? randomUUID;
    this.shutdownWait = new GracefulShutdown(clock);
    this.writes = new TaskWrites(options.repository, options.log);
    const random = options.random ?? Math.random;
    this.restarts = new RestartScheduler({
      clock,
      random,
      isShuttingDown: () => this.shuttingDown,
      publish: (event) => options.publish(event),
      persistEventually: (record) => this.writes.persistEventually(record),
      spawnRestart: (task, previousPid) => this.spawnWorker(task, 'restart', previousPid),
    });
  }

  /**
   * Loads persisted tasks. Nothing is restarted: active tasks become stopped (their processes died
   * with the previous server, or were ended as its orphans), errored and stopped keep their state,
   * exit windows are restored. `notes` (by task id) become the `error_message` of a task that is now
   * stopped, e.g. what happened to its orphaned worker. Every change is persisted before this returns,
   * so before any new worker can start (on a full disk: as soon as the store takes writes again).
   */
  restore(notes: ReadonlyMap<string, string> = new Map()): number {
    for (const record of this.writes.loadAll()) {
      const note = record.state === 'errored' ? undefined : notes.get(record.taskId);
      if (record.state === 'active' || note !== undefined) {
        record.state = 'stopped';
        if (note !== undefined) record.errorMessage = note;
        this.writes.persistEventually(record);
      }
      this.tasks.set(record.taskId, new SupervisedTask(record));
    }
    return this.tasks.size;
  }

  get pinnedCommand(): string | null {
    return this.options.pinnedCommand ?? null;
  }

  get taskCount(): number {
    return this.tasks.size;
  }

  get runningCount(): number {
    let running = 0;
    for (const task of this.tasks.values()) if (task.running) running++;
    return running;
  }

  start(request: StartRequest): SupervisorResult<Started> {
    if (this.shuttingDown) return Failures.shuttingDown();
    const pin = this.pinnedCommand;
    let command = request.command;
    if (pin !== null) {
      if (command === undefined) command = pin;
      else if (command !== pin) return Failures.commandNotPinned(pin);
    }
    if (command === undefined) return Failures.commandRequired();
    const args = [...(request.args ?? [])];
    const taskId = request.taskId ?? this.newTaskId();

    let task = this.tasks.get(taskId);
    if (task === undefined) {
      const record: TaskRecord = {
        taskId,
        command,
        args,
        retryPolicy: request.retryPolicy ?? null,
        state: 'active',
        restartCount: 0,
        exitCount: 0,
        createdAt: this.clock.now(),
        lastStartedAt: null,
        lastExitedAt: null,
        errorMessage: null,
        exitTimestamps: [],
      };
      const inserted = this.writes.insert(record);
      if (!inserted.ok) return inserted;
      task = new SupervisedTask(record);
      this.tasks.set(taskId, task);
    } else {
      if (task.running) return Failures.alreadyRunning();
      // Starting an existing task again runs what was asked this time; its history is kept. The
      // intent is on disk before anything changes in memory or runs (a refused write changes nothing).
      const retryPolicy = request.retryPolicy ?? task.record.retryPolicy;
      const written = this.writes.write({
        ...task.record,
        command,
        args,
        retryPolicy,
        state: 'active',
        errorMessage: null,
      });
      if (!written.ok) return written;
      task.record.command = command;
      task.record.args = args;
      if (request.retryPolicy !== undefined) task.setRetryPolicy(request.retryPolicy);
    }
    this.restarts.cancel(task);
    // A manual start begins a new series: the backoff starts again from restart_delay.
    task.consecutiveRestarts = 0;
    task.record.state = 'active';
    task.record.errorMessage = null;
    return this.spawnWorker(task, 'request');
  }

  /** Stops a task: state stopped, pending restart cancelled, the worker (if running) terminated. */
  stop(taskId: string | undefined): SupervisorResult<{ readonly wasRunning: boolean }> {
    const found = this.find(taskId);
    if (!found.ok) return found;
    const task = found.task;
    // Written first: a stop the store refuses leaves the task as it was (and says so).
    const written = this.writes.write({ ...task.record, state: 'stopped' });
    if (!written.ok) return written;
    task.record.state = 'stopped';
    this.restarts.cancel(task);
    const wasRunning = task.running;
    task.worker?.stop(this.stopGraceMs);
    return { ok: true, wasRunning };
  }

  /** Restarts an errored task with a clean exit history. */
  reset(taskId: string | undefined): SupervisorResult<Started> {
    if (this.shuttingDown) return Failures.shuttingDown();
    const found = this.find(taskId);
    if (!found.ok) return found;
    const task = found.task;
    if (task.record.state !== 'errored') return Failures.notErrored();
    const written = this.writes.write({
      ...task.record,
      state: 'active',
      errorMessage: null,
      exitCount: 0,
      exitTimestamps: [],
    });
    if (!written.ok) return written;
    task.clearExits();
    task.consecutiveRestarts = 0;
    task.record.state = 'active';
    task.record.errorMessage = null;
    return this.spawnWorker(task, 'request');
  }

  /**
   * Backpressure from the faces: while paused, no worker's output is read, so children block on
   * their full pipes instead of the server buffering without bound. New workers start paused too.
   */
  setOutputPaused(paused: boolean): void {
    if (paused === this.outputPaused) return;
    this.outputPaused = paused;
    for (const task of this.tasks.values()) task.worker?.setOutputPaused(paused);
  }

  get isOutputPaused(): boolean {
    return this.outputPaused;
  }

  /** Every task in creation order; with `sinceMs`, those started or exited at or after it. */
  list(sinceMs?: number): TaskSnapshot[] {
    const out: TaskSnapshot[] = [];
    for (const task of this.tasks.values()) {
      if (sinceMs !== undefined) {
        const activity = task.lastActivityAt;
        if (activity === null || activity < sinceMs) continue;
      }
      out.push(snapshot(task));
    }
    return out;
  }

  get(taskId: string): TaskSnapshot | null {
    const task = this.tasks.get(taskId);
    return task === undefined ? null : snapshot(task);
  }

  /** The current worker's buffered events; fails in the protocol's order (id, task, worker). */
  replayFor(
    taskId: string | undefined,
  ): SupervisorResult<{ readonly events: (sinceMs?: number) => ReplayableEvent[] }> {
    const found = this.find(taskId);
    if (!found.ok) return found;
    const worker = found.task.worker;
    if (worker === null) return Failures.noWorker();
    return { ok: true, events: (sinceMs) => worker.replayable(sinceMs) };
  }

  /**
   * Graceful shutdown: no new starts, pending restarts cancelled, every worker stopped, and a wait
   * (bounded) until none runs; what is still alive after `timeoutMs` is killed.
   */
  async shutdown(timeoutMs = SHUTDOWN_TIMEOUT_MS): Promise<void> {
    this.shuttingDown = true;
    await this.shutdownWait.run(
      {
        stopAll: () => {
          for (const task of this.tasks.values()) {
            this.restarts.cancel(task);
            task.worker?.stop(this.stopGraceMs);
          }
        },
        killAll: () => {
          for (const task of this.tasks.values()) task.worker?.kill();
        },
        runningCount: () => this.runningCount,
      },
      timeoutMs,
    );
  }

  private find(taskId: string | undefined): SupervisorResult<{ readonly task: SupervisedTask }> {
    if (taskId === undefined) return Failures.taskIdRequired();
    const task = this.tasks.get(taskId);
    if (task === undefined) return Failures.taskNotFound();
    return { ok: true, task };
  }

  private spawnWorker(
    task: SupervisedTask,
    cause: 'request' | 'restart',
    restartOf?: number,
  ): SupervisorResult<Started> {
    const { record } = task;
    const outcome = Worker.start(record.taskId, { command: record.command, args: record.args }, this.clock, {
      nextSeq: () => ++task.outputSeq,
      onOutput: (event: SupervisedTaskOutputEvent) => this.options.publish(event),
      onExit: (worker, event) => {
        try {
          this.handleExit(task, worker, event);
        } finally {
          this.options.processLedger?.release('overseer', record.taskId, worker.pid);
        }
      },
    });
    if (!outcome.ok) {
      this.writes.persistEventually(record);
      return Failures.spawnFailed(outcome.error);
    }
    const { worker } = outcome;
    // Written down before anything else happens, so a kill -9 from here on leaves a known orphan.
    this.options.processLedger?.record('overseer', record.taskId, worker.pid);
    task.worker = worker;
    if (this.outputPaused) worker.setOutputPaused(true);
    record.lastStartedAt = worker.startedAt;
    if (cause === 'restart') record.restartCount++;
    this.writes.persistEventually(record);
    this.options.publish({
      kind: 'process:started',
      taskId: record.taskId,
      pid: worker.pid,
      ts: worker.startedAt,
      cause,
      ...(restartOf === undefined ? {} : { restartOf }),
    });
    return { ok: true, taskId: record.taskId, pid: worker.pid, ts: worker.startedAt };
  }

  private handleExit(task: SupervisedTask, worker: Worker, event: SupervisedTaskExitedEvent): void {
    task.record.lastExitedAt = event.ts;
    this.options.publish(event);
    this.shutdownWait.exited();
    this.restarts.afterExit(task, worker, event);
  }
}

function snapshot(task: SupervisedTask): TaskSnapshot {
  const { record, worker } = task;
  return {
    taskId: record.taskId,
    command: record.command,
    args: record.args,
    state: record.state,
    retryPolicy: record.retryPolicy,
    currentPid: worker?.pid ?? null,
    workerState: worker?.state ?? null,
    restartCount: record.restartCount,
    exitCount: record.exitCount,
    createdAt: record.createdAt,
    lastStartedAt: record.lastStartedAt,
    lastExitedAt: record.lastExitedAt,
    lastExitCode: worker !== null && worker.state === 'exited' ? worker.exitCode : null,
    errorMessage: record.errorMessage,
  };
}
