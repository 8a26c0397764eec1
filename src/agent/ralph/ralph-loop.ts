import type { RalphEvent } from '../../protocol/events.js';
import type { RalphStatus } from '../../protocol/rest/ralph.js';
import type { QueueTask } from '../../protocol/rest/tasks.js';
import { failure, type Result } from '../../protocol/result.js';
import type { RalphStateRecord, RalphStateRepository } from '../../store/ralph-state.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import { LimitPause } from '../session/limit-pause.js';
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
import { RalphStateWriter } from './ralph-state-writer.js';
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
 * - **Workers**: the sessions it was given, and ones it starts (a stopped one of its pool, else a new
 *   one in the task's directory) while fewer than `maxWorkers` run; idle workers take turns.
 * - **A task**: `/clear` (unless the CLI is new), the prompt, then: the marker (completed), the
 *   timeout (failed), an API error (failed at once), a usage limit (pending, the loop paused: see
 *   session/limit-pause.ts), or the session's exit (pending again; after MAX_TASK_ATTEMPTS it fails).
 * - **The end**: nothing runs and nothing is ready; before the minimum duration a follow-up task
 *   instead (follow-up.ts). The budget stops it once its sessions' cost reaches `maxCostUsd`.
 * - **Stop**: running tasks go back to pending, agents are interrupted, its own processes stop.
 * - **Restart**: the state is stored on every change; a running loop resumes, its minimum duration
 *   counted from the original start, and brings its pool's sessions back as it needs workers.
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
  private readonly pause: LimitPause;
  private readonly writer: RalphStateWriter;
  private unsubscribeQueue: (() => void) | null = null;

  constructor(private readonly options: RalphLoopOptions) {
    this.timing = { ...DEFAULT_RALPH_TIMING, ...options.timing };
    this.pause = new LimitPause(this.timing.limitResumeMarginMs);
    this.writer = new RalphStateWriter(options.repository, options.warn);
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
      assignments: [...this.assignments.values()].map(({ session, taskId, since }) => ({
        sessionId: session.id,
        ...{ taskId, since },
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
    const written = this.writer.write(progress.record(true, checked.settings.sessionIds));
    if (written !== null) return written;
    this.progress = progress;
    this.followUps = new FollowUps();
    this.activate(checked.settings.sessionIds);
    this.emit('ralph:started', { status: this.status() });
    return { ok: true, status: this.status() };
  }

  stop(reason: string = RalphStopReason.requested): Result<{ status: RalphStatus }> {
    if (!this.running) return failure('RALPH_NOT_RUNNING', 'the Ralph loop is not running');
    const written = this.writer.write({
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
    this.pause.restore(stored.pausedUntil);
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
    const { queue, sessions, clock } = this.options;
    for (const { task, session } of resumableTasks(queue, sessions, this.pool.ids)) {
      session.currentTaskId = task.id;
      const timeoutMs = resumedTimeoutMs(task, this.timing.taskTimeoutMs, clock.now());
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
    this.pause.clear();
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
    const paused = this.pause.check(this.options.clock.now());
    if (paused === 'waiting') return;
    if (paused === 'resumed') this.persist();
    if (paused === 'resumed') this.emit('ralph:resumed', { status: this.status() });
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
          this.failTask(taskId, `timed out after ${outcome.afterMs} ms without the marker`, session.id);
          break;
        case 'lost': {
          const detail = { taskId, sessionId: session.id, reason: outcome.reason };
          this.options.warn('Ralph task lost its session; it is pending again', detail);
          this.options.queue.requeue(taskId);
          break;
        }
        case 'failed':
          // An API error fails the task now, not after its timeout; at a usage limit the task did
          // nothing wrong: it waits, with the loop, for the reset.
          if (outcome.limitedUntil === null)
            this.failTask(taskId, `turn failed: ${outcome.error}`, session.id);
          else this.pauseFor(taskId, outcome.limitedUntil, outcome.error);
          break;
      }
      this.passes.want();
    });
  }

  /** A usage limit holds until `until` (see session/limit-pause.ts); the pause is stored. */
  private pauseFor(taskId: string, until: number, why: string): void {
    this.options.queue.requeue(taskId);
    const decision = this.pause.hit(until, this.options.clock.now(), this.progress.settings);
    if (decision.kind === 'stop') this.halt(RalphStopReason.limit(until, why));
    if (decision.kind !== 'pause') return;
    this.persist();
    this.emit('ralph:paused', { until: decision.resumeAt, reason: why, status: this.status() });
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
    if (inARow >= MAX_WORKER_START_FAILURES)
      this.halt(`workers failed to start ${inARow} times in a row (last: ${reason})`);
  }

  private record(): RalphStateRecord {
    return this.progress.record(this.running, this.pool.ids, this.pause.pausedUntil);
  }

  private persist(): void {
    this.writer.persist(this.record());
  }

  private emit<K extends RalphEvent['kind']>(kind: K, data: Extract<RalphEvent, { kind: K }>['data']): void {
    this.options.publish({ kind, data, ts: this.options.clock.now() } as RalphEvent);
  }
}
