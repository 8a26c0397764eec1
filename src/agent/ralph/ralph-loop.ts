import type { RalphEvent } from '../../protocol/events.js';
import type { RalphStatus } from '../../protocol/rest/ralph.js';
import type { QueueTask } from '../../protocol/rest/tasks.js';
import { type Failure, failure, type Result } from '../../protocol/result.js';
import type { RalphStateRecord, RalphStateRepository } from '../../store/ralph-state.js';
import { type StorageErrorCode, tryWrite } from '../../store/storage-errors.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import type { TaskQueue } from '../tasks/task-queue.js';
import { Assignment, type AssignmentOutcome } from './assignment.js';
import { FollowUps } from './follow-up.js';
import { PassGate } from './pass-gate.js';
import { RalphProgress } from './ralph-progress.js';
import {
  checkStartOptions,
  DEFAULT_RALPH_TIMING,
  INTERRUPT_KEY,
  MAX_TASK_ATTEMPTS,
  MAX_WORKER_START_FAILURES,
  type RalphStartOptions,
  RalphStopReason,
  type RalphTiming,
} from './ralph-settings.js';
import { requeueInterrupted, resumableTasks, resumedTimeoutMs } from './resumed-tasks.js';
import { WorkerPool } from './worker-pool.js';
import type { WorkerSession, WorkerSessions } from './worker-session.js';

export interface RalphLoopOptions {
  readonly queue: TaskQueue;
  readonly sessions: WorkerSessions;
  readonly repository: RalphStateRepository;
  readonly clock: Clock;
  readonly publish: (event: RalphEvent) => void;
  readonly warn: (message: string, detail?: Record<string, unknown>) => void;
  readonly timing?: Partial<RalphTiming>;
}

/**
 * The Ralph loop: hands the queue's ready tasks, highest priority first, to idle interactive sessions
 * and watches each for its completion marker, until the work is done.
 *
 * - **Workers**: the sessions it was given, and sessions it starts itself (a stopped one of its pool
 *   brought back, else a new one in the task's directory) while fewer than `maxWorkers` of its pool
 *   run. A task with a working directory runs only in a session there. Idle workers take turns.
 * - **A task**: `/clear` (unless the CLI is new), the prompt with the marker instruction, then the
 *   marker ends it (completed), the timeout ends it (failed; the agent is interrupted), or the
 *   session's exit ends the attempt (the task is pending again; after MAX_TASK_ATTEMPTS it fails).
 * - **The end**: when nothing runs and nothing is ready. Before the minimum duration has passed the
 *   loop gives itself a follow-up task instead (follow-up.ts). The budget stops it as soon as the
 *   cost its sessions report reaches `maxCostUsd`.
 * - **Stop**: running tasks go back to pending, agents are interrupted, the processes the loop
 *   started are stopped (their sessions stay, with their output).
 * - **Restart**: the state is stored on every change; a loop that was running resumes, its clock
 *   (the minimum duration) still counting from the original start. The queue has put the tasks that
 *   were running back to pending; the loop brings its pool's sessions back as it needs workers.
 */
export class RalphLoop {
  private readonly timing: RalphTiming;
  private readonly pool: WorkerPool;
  private readonly passes: PassGate;
  private running = false;
  private progress = new RalphProgress();
  private followUps = new FollowUps();
  private readonly assignments = new Map<string, Assignment>();
  private tickTimer: TimerHandle | null = null;
  private unsubscribeQueue: (() => void) | null = null;

  constructor(private readonly options: RalphLoopOptions) {
    this.timing = { ...DEFAULT_RALPH_TIMING, ...options.timing };
    this.passes = new PassGate({
      pass: () => this.pass(),
      active: () => this.running,
      failed: (error) => {
        // A bug: passes run from session signals and timers, where a throw would take the server down.
        // The loop stops and says why instead.
        this.options.warn('Ralph loop failed', { error: (error as Error).stack ?? String(error) });
        this.halt(`internal error: ${(error as Error).message}`);
      },
    });
    this.pool = new WorkerPool({
      sessions: options.sessions,
      clock: options.clock,
      startTimeoutMs: this.timing.workerStartTimeoutMs,
      onChange: () => this.passes.request(),
      onStartFailed: (sessionId, reason, inARow) => this.workerStartFailed(sessionId, reason, inARow),
      warn: options.warn,
    });
  }

  get isRunning(): boolean {
    return this.running;
  }

  status(): RalphStatus {
    const record = this.record();
    return {
      ...record,
      sessionIds: [...record.sessionIds],
      assignments: [...this.assignments.values()].map((assignment) => ({
        sessionId: assignment.session.id,
        taskId: assignment.taskId,
        since: assignment.since,
      })),
    };
  }

  start(options: RalphStartOptions = {}): Result<{ status: RalphStatus }> {
    if (this.running) return failure('RALPH_RUNNING', 'the Ralph loop is already running; stop it first');
    const checked = checkStartOptions(options, (id) => this.options.sessions.get(id) !== undefined);
    if (!checked.ok) return checked;
    const startedAt = this.options.clock.now();
    // The start is written before the loop acts on it: a store that cannot take it refuses the start.
    const progress = new RalphProgress(checked.settings, startedAt);
    const written = this.write(progress.record(true, checked.settings.sessionIds));
    if (written !== null) return written;
    this.progress = progress;
    this.followUps = new FollowUps();
    this.activate(checked.settings.sessionIds);
    this.emit('ralph:started', { status: this.status() });
    return { ok: true, status: this.status() };
  }

  stop(reason: string = RalphStopReason.requested): Result<{ status: RalphStatus }> {
    if (!this.running) return failure('RALPH_NOT_RUNNING', 'the Ralph loop is not running');
    const written = this.write({
      ...this.record(),
      running: false,
      sessionIds: [...this.pool.ids],
      stopReason: reason,
    });
    if (written !== null) return written;
    this.halt(reason);
    return { ok: true, status: this.status() };
  }

  /** Loads the stored state; a loop that was running resumes. Returns whether it did. */
  restore(): boolean {
    const stored = this.options.repository.load();
    if (stored === null) {
      requeueInterrupted(this.options.queue, () => false);
      return false;
    }
    this.progress = RalphProgress.restored(stored);
    if (!stored.running) {
      requeueInterrupted(this.options.queue, () => false);
      return false;
    }
    this.activate(stored.sessionIds);
    this.resumeAssignments();
    this.emit('ralph:started', { status: this.status() });
    return true;
  }

  /** After a restart: the tasks whose agent survived are watched on where they are. */
  private resumeAssignments(): void {
    for (const { task, session } of resumableTasks(
      this.options.queue,
      this.options.sessions,
      this.pool.ids,
    )) {
      session.currentTaskId = task.id;
      const timeoutMs = resumedTimeoutMs(task, this.timing.taskTimeoutMs, this.options.clock.now());
      this.watch(task, session, timeoutMs, false).resume();
    }
  }

  /**
   * The server is shutting down: let go of timers, listeners and sessions without changing the
   * stored state, so that the next start resumes where this one was.
   */
  shutdown(): void {
    for (const assignment of this.assignments.values()) assignment.dispose();
    this.assignments.clear();
    this.deactivate();
    this.pool.dispose();
  }

  private activate(sessionIds: readonly string[]): void {
    this.running = true;
    this.pool.load(sessionIds);
    this.persist();
    this.unsubscribeQueue = this.options.queue.onChange(() => this.passes.request());
    // The first pass runs on the next turn, after the caller has seen the loop start.
    this.armTick(0);
  }

  private deactivate(): void {
    this.running = false;
    if (this.tickTimer !== null) this.options.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
    this.unsubscribeQueue?.();
    this.unsubscribeQueue = null;
  }

  private armTick(delayMs: number): void {
    this.tickTimer = this.options.clock.setTimeout(() => {
      this.tickTimer = null;
      this.passes.request();
      if (this.running) this.armTick(this.timing.tickMs);
    }, delayMs);
  }

  /** Stops the loop: tasks in flight go back to pending, agents are interrupted, own processes stop. */
  private halt(reason: string): void {
    if (!this.running) return;
    this.passes.exclusively(() => {
      this.progress.stopReason = reason;
      // The status of a stopped loop still names the sessions it used, those it started included.
      this.progress.settings = { ...this.progress.settings, sessionIds: [...this.pool.ids] };
      this.deactivate();
      this.persist();
      for (const assignment of this.assignments.values()) {
        assignment.dispose();
        assignment.session.currentTaskId = null;
        this.options.queue.requeue(assignment.taskId);
        assignment.session.write(INTERRUPT_KEY);
      }
      this.assignments.clear();
      this.pool.stopStarted(`the Ralph loop stopped: ${reason}`);
      this.emit('ralph:stopped', { reason, status: this.status() });
    });
  }

  /** One look at everything: cost, pool, ready tasks, the end. */
  private pass(): void {
    const spent = this.pool.collectCost();
    const pruned = this.pool.prune();
    if (spent > 0 || pruned) {
      this.progress.totalCost += spent;
      this.persist();
    }
    const overBudget = this.progress.budgetReached();
    if (overBudget !== null) {
      this.halt(overBudget);
      return;
    }
    const unplaced = this.placeReadyTasks();
    for (const task of unplaced) {
      if (!this.running) return;
      this.startWorkerFor(task);
    }
    if (!this.running) return;
    const queue = this.options.queue;
    const dry = this.assignments.size === 0 && queue.counts().running === 0 && queue.next() === null;
    if (!dry) return;
    if (this.progress.minDurationReached(this.options.clock.now())) this.halt(RalphStopReason.done);
    else this.addFollowUp();
  }

  /**
   * Gives each ready task an idle worker, or a starting one to wait for. Returns the tasks that have
   * neither, in priority order.
   */
  private placeReadyTasks(): QueueTask[] {
    const claimed = new Set<string>();
    const unplaced: QueueTask[] = [];
    const busy = (id: string): boolean => this.assignments.has(id);
    for (const task of this.options.queue.ready()) {
      if (!this.running) break;
      // An earlier step of this pass may have failed it (a dependency gave up).
      if (this.options.queue.get(task.id)?.status !== 'pending') continue;
      if (task.attempts >= MAX_TASK_ATTEMPTS) {
        this.failTask(task.id, `gave up after ${task.attempts} attempts without an outcome`, null);
        continue;
      }
      const worker = this.pool.idleWorker(task.workingDir, busy);
      if (worker !== null) {
        this.assign(task, worker);
        continue;
      }
      const starting = this.pool.startingWorker(task.workingDir, claimed);
      if (starting !== null) claimed.add(starting);
      else unplaced.push(task);
    }
    return unplaced;
  }

  /** Starts a worker for a task that found none, within the limit, freeing a slot if needed. */
  private startWorkerFor(task: QueueTask): void {
    if (this.pool.liveCount() >= this.progress.settings.maxWorkers) {
      // Every slot is taken; an idle worker of ours in another directory makes way (its exit brings
      // the next pass, which starts one here).
      this.pool.retireIdle(task.workingDir, (id) => this.assignments.has(id));
      return;
    }
    const started = this.pool.startWorker(task.workingDir);
    if (started.ok) {
      this.persist();
      return;
    }
    // The task's directory is gone: the task cannot run anywhere. Anything else is the CLI or the
    // machine, and would fail for every task alike.
    if (started.code === 'INVALID_PATH') this.failTask(task.id, started.message, null);
    else this.halt(`cannot start a worker: ${started.message}`);
  }

  private assign(task: QueueTask, session: WorkerSession): void {
    this.passes.exclusively(() => {
      const clearFirst = this.pool.assigned(session.id);
      this.options.queue.markRunning(task.id, session.id);
      session.currentTaskId = task.id;
      this.followUps.lastWorkingDir = session.workingDir;
      this.emit('ralph:assigned', { sessionId: session.id, taskId: task.id });
      this.watch(task, session, task.timeoutMs ?? this.timing.taskTimeoutMs, clearFirst).start();
    });
  }

  /** The task's assignment to the session, watched from now on (the caller starts or resumes it). */
  private watch(task: QueueTask, session: WorkerSession, timeoutMs: number, clearFirst: boolean): Assignment {
    const spec = {
      taskId: task.id,
      prompt: task.prompt,
      completionPhrase: task.completionPhrase,
      timeoutMs,
      clearFirst,
    };
    const assignment: Assignment = new Assignment(spec, session, this.options.clock, (outcome) =>
      this.finish(assignment, outcome),
    );
    this.assignments.set(session.id, assignment);
    return assignment;
  }

  private finish(assignment: Assignment, outcome: AssignmentOutcome): void {
    const { session, taskId } = assignment;
    if (this.assignments.get(session.id) !== assignment) return;
    this.passes.exclusively(() => {
      this.assignments.delete(session.id);
      session.currentTaskId = null;
      switch (outcome.kind) {
        case 'completed':
          this.options.queue.markCompleted(taskId);
          this.progress.completedCount++;
          this.persist();
          this.emit('ralph:completed', { sessionId: session.id, taskId, success: true });
          break;
        case 'timed-out':
          session.write(INTERRUPT_KEY);
          this.failTask(
            taskId,
            `timed out after ${outcome.afterMs} ms without the completion marker`,
            session.id,
          );
          break;
        case 'lost':
          this.options.warn('Ralph task lost its session; it is pending again', {
            taskId,
            sessionId: session.id,
            reason: outcome.reason,
          });
          this.options.queue.requeue(taskId);
          break;
        case 'failed':
          // The turn is over with an error: the task fails now, not after its timeout.
          this.failTask(taskId, `the agent's turn failed: ${outcome.error}`, session.id);
          break;
      }
      this.passes.want();
    });
  }

  private failTask(taskId: string, error: string, sessionId: string | null): void {
    this.options.queue.markFailed(taskId, error);
    this.progress.failedCount++;
    this.persist();
    if (sessionId !== null) this.emit('ralph:completed', { sessionId, taskId, success: false });
  }

  private addFollowUp(): void {
    const added = this.followUps.addNext(this.options.queue);
    if (!added.ok) this.halt(`cannot add a follow-up task: ${added.message}`);
  }

  private workerStartFailed(sessionId: string, reason: string, inARow: number): void {
    this.options.warn('Ralph worker failed to start', { sessionId, reason, inARow });
    if (inARow >= MAX_WORKER_START_FAILURES) {
      this.halt(`workers failed to start ${inARow} times in a row (last: ${reason})`);
    }
  }

  private record(): RalphStateRecord {
    return this.progress.record(this.running, this.pool.ids);
  }

  /** A change a client asked for (start, stop), written first: null, or the failure to answer. */
  private write(record: RalphStateRecord): Failure<StorageErrorCode> | null {
    return tryWrite(() => this.options.repository.save(record));
  }

  /**
   * Writes the loop's own progress: now, or as soon as the store can (a full disk); never thrown into
   * the session that caused the change.
   */
  private persist(): void {
    try {
      this.options.repository.saveEventually(this.record());
    } catch (error) {
      this.options.warn('Ralph loop state not persisted', { error: (error as Error).message });
    }
  }

  private emit<K extends RalphEvent['kind']>(kind: K, data: Extract<RalphEvent, { kind: K }>['data']): void {
    this.options.publish({ kind, data, ts: this.options.clock.now() } as RalphEvent);
  }
}
