import type { RalphEvent } from '../../protocol/events.js';
import type { RalphStatus } from '../../protocol/rest/ralph.js';
import type { QueueTask } from '../../protocol/rest/tasks.js';
import { type Failure, failure, type Result } from '../../protocol/result.js';
import type { RalphStateRecord, RalphStateRepository } from '../../store/ralph-state.js';
import { type StorageErrorCode, tryWrite } from '../../store/storage-errors.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import type { TaskQueue } from '../tasks/task-queue.js';
import { Assignment, type AssignmentOutcome } from './assignment.js';
import { followUpTask } from './follow-up.js';
import {
  checkStartOptions,
  DEFAULT_MAX_WORKERS,
  DEFAULT_RALPH_TIMING,
  INTERRUPT_KEY,
  MAX_TASK_ATTEMPTS,
  MAX_WORKER_START_FAILURES,
  type RalphSettings,
  type RalphStartOptions,
  RalphStopReason,
  type RalphTiming,
} from './ralph-settings.js';
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
 * Least time a task resumed after a restart gets before it times out (ms): enough for the re-attached
 * terminal to redraw the agent's screen, where a marker printed during the downtime would stand.
 */
export const RESUME_GRACE_MS = 60_000;

const NO_SETTINGS: RalphSettings = {
  minDurationMinutes: null,
  maxCostUsd: null,
  maxWorkers: DEFAULT_MAX_WORKERS,
  sessionIds: [],
};

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
  private running = false;
  private settings: RalphSettings = NO_SETTINGS;
  private startedAt: number | null = null;
  private completedCount = 0;
  private failedCount = 0;
  private totalCost = 0;
  private stopReason: string | null = null;
  private followUps = 0;
  private lastWorkingDir: string | null = null;
  private readonly assignments = new Map<string, Assignment>();
  private tickTimer: TimerHandle | null = null;
  private unsubscribeQueue: (() => void) | null = null;
  /** Set while the loop changes state: a pass asked for meanwhile runs once the change is complete. */
  private busy = false;
  private passWanted = false;

  constructor(private readonly options: RalphLoopOptions) {
    this.timing = { ...DEFAULT_RALPH_TIMING, ...options.timing };
    this.pool = new WorkerPool({
      sessions: options.sessions,
      clock: options.clock,
      startTimeoutMs: this.timing.workerStartTimeoutMs,
      onChange: () => this.requestPass(),
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
    const written = this.write({
      running: true,
      startedAt,
      minDurationMinutes: checked.settings.minDurationMinutes,
      maxCostUsd: checked.settings.maxCostUsd,
      maxWorkers: checked.settings.maxWorkers,
      sessionIds: checked.settings.sessionIds,
      completedCount: 0,
      failedCount: 0,
      totalCost: 0,
      stopReason: null,
    });
    if (written !== null) return written;
    this.settings = checked.settings;
    this.startedAt = startedAt;
    this.completedCount = 0;
    this.failedCount = 0;
    this.totalCost = 0;
    this.stopReason = null;
    this.followUps = 0;
    this.lastWorkingDir = null;
    this.activate(checked.settings.sessionIds);
    this.options.publish({
      kind: 'ralph:started',
      data: { status: this.status() },
      ts: this.options.clock.now(),
    });
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
      this.requeueInterrupted(() => false);
      return false;
    }
    this.settings = {
      minDurationMinutes: stored.minDurationMinutes,
      maxCostUsd: stored.maxCostUsd,
      maxWorkers: stored.maxWorkers,
      sessionIds: stored.sessionIds,
    };
    this.startedAt = stored.startedAt;
    this.completedCount = stored.completedCount;
    this.failedCount = stored.failedCount;
    this.totalCost = stored.totalCost;
    this.stopReason = stored.stopReason;
    if (!stored.running) {
      this.requeueInterrupted(() => false);
      return false;
    }
    this.activate(stored.sessionIds);
    this.resumeAssignments();
    this.options.publish({
      kind: 'ralph:started',
      data: { status: this.status() },
      ts: this.options.clock.now(),
    });
    return true;
  }

  /**
   * Tasks the queue kept running because their agent survived the restart are watched on where they
   * are; any other running task (its agent is gone, or not one of ours) is pending again.
   */
  private resumeAssignments(): void {
    const ours = new Set(this.pool.ids);
    const resumable = (task: QueueTask): boolean => {
      const id = task.assignedSessionId;
      return id !== null && ours.has(id) && this.options.sessions.get(id)?.isInteractive === true;
    };
    for (const task of this.requeueInterrupted(resumable)) {
      const session = this.options.sessions.get(task.assignedSessionId ?? '');
      if (session === undefined) continue;
      session.currentTaskId = task.id;
      const timeoutMs = task.timeoutMs ?? this.timing.taskTimeoutMs;
      const elapsed = this.options.clock.now() - (task.startedAt ?? this.options.clock.now());
      const assignment: Assignment = new Assignment(
        {
          taskId: task.id,
          prompt: task.prompt,
          completionPhrase: task.completionPhrase,
          // What is left of its time, and never less than a grace for the screen to be redrawn.
          timeoutMs: Math.max(timeoutMs - elapsed, RESUME_GRACE_MS),
          clearFirst: false,
        },
        session,
        this.options.clock,
        (outcome) => this.finish(assignment, outcome),
      );
      this.assignments.set(session.id, assignment);
      assignment.resume();
    }
  }

  /** Requeues the running tasks that `keep` rejects; returns the ones it keeps. */
  private requeueInterrupted(keep: (task: QueueTask) => boolean): QueueTask[] {
    const kept: QueueTask[] = [];
    for (const task of this.options.queue.list()) {
      if (task.status !== 'running') continue;
      if (keep(task)) kept.push(task);
      else this.options.queue.requeue(task.id);
    }
    return kept;
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
    this.unsubscribeQueue = this.options.queue.onChange(() => this.requestPass());
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
      this.requestPass();
      if (this.running) this.armTick(this.timing.tickMs);
    }, delayMs);
  }

  /** Stops the loop: tasks in flight go back to pending, agents are interrupted, own processes stop. */
  private halt(reason: string): void {
    if (!this.running) return;
    this.exclusively(() => {
      this.stopReason = reason;
      // The status of a stopped loop still names the sessions it used, those it started included.
      this.settings = { ...this.settings, sessionIds: [...this.pool.ids] };
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
      this.options.publish({
        kind: 'ralph:stopped',
        data: { reason, status: this.status() },
        ts: this.options.clock.now(),
      });
    });
  }

  /**
   * Runs `change` with passes held back (a pass in the middle would see half a change and publish
   * its events between the change's own), then the pass they asked for.
   */
  private exclusively(change: () => void): void {
    if (this.busy) {
      change();
      return;
    }
    this.busy = true;
    try {
      change();
    } finally {
      this.busy = false;
    }
    if (this.passWanted) this.requestPass();
  }

  private requestPass(): void {
    if (!this.running) return;
    if (this.busy) {
      this.passWanted = true;
      return;
    }
    this.busy = true;
    try {
      do {
        this.passWanted = false;
        this.pass();
      } while (this.passWanted && this.running);
    } catch (error) {
      // A bug: passes run from session signals and timers, where a throw would take the server down.
      // The loop stops and says why instead.
      this.options.warn('Ralph loop failed', { error: (error as Error).stack ?? String(error) });
      this.halt(`internal error: ${(error as Error).message}`);
    } finally {
      this.busy = false;
      this.passWanted = false;
    }
  }

  /** One look at everything: cost, pool, ready tasks, the end. */
  private pass(): void {
    const spent = this.pool.collectCost();
    const pruned = this.pool.prune();
    if (spent > 0 || pruned) {
      this.totalCost += spent;
      this.persist();
    }
    const limit = this.settings.maxCostUsd;
    if (limit !== null && this.totalCost >= limit) {
      this.halt(RalphStopReason.budget(this.totalCost, limit));
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
    if (this.minDurationReached()) this.halt(RalphStopReason.done);
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
    if (this.pool.liveCount() >= this.settings.maxWorkers) {
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
    this.exclusively(() => {
      const clearFirst = this.pool.assigned(session.id);
      this.options.queue.markRunning(task.id, session.id);
      session.currentTaskId = task.id;
      this.lastWorkingDir = session.workingDir;
      this.options.publish({
        kind: 'ralph:assigned',
        data: { sessionId: session.id, taskId: task.id },
        ts: this.options.clock.now(),
      });
      const assignment: Assignment = new Assignment(
        {
          taskId: task.id,
          prompt: task.prompt,
          completionPhrase: task.completionPhrase,
          timeoutMs: task.timeoutMs ?? this.timing.taskTimeoutMs,
          clearFirst,
        },
        session,
        this.options.clock,
        (outcome) => this.finish(assignment, outcome),
      );
      this.assignments.set(session.id, assignment);
      assignment.start();
    });
  }

  private finish(assignment: Assignment, outcome: AssignmentOutcome): void {
    const { session, taskId } = assignment;
    if (this.assignments.get(session.id) !== assignment) return;
    this.exclusively(() => {
      this.assignments.delete(session.id);
      session.currentTaskId = null;
      switch (outcome.kind) {
        case 'completed':
          this.options.queue.markCompleted(taskId);
          this.completedCount++;
          this.persist();
          this.publishCompleted(session.id, taskId, true);
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
      }
      this.passWanted = true;
    });
  }

  private failTask(taskId: string, error: string, sessionId: string | null): void {
    this.options.queue.markFailed(taskId, error);
    this.failedCount++;
    this.persist();
    if (sessionId !== null) this.publishCompleted(sessionId, taskId, false);
  }

  private publishCompleted(sessionId: string, taskId: string, success: boolean): void {
    this.options.publish({
      kind: 'ralph:completed',
      data: { sessionId, taskId, success },
      ts: this.options.clock.now(),
    });
  }

  private addFollowUp(): void {
    const index = this.followUps++;
    let added = this.options.queue.add(followUpTask(index, this.lastWorkingDir));
    // The directory may have gone since; the follow-up can run anywhere.
    if (!added.ok && added.code === 'INVALID_PATH') added = this.options.queue.add(followUpTask(index, null));
    if (!added.ok) this.halt(`cannot add a follow-up task: ${added.message}`);
  }

  private minDurationReached(): boolean {
    const minutes = this.settings.minDurationMinutes;
    if (minutes === null || this.startedAt === null) return true;
    return this.options.clock.now() - this.startedAt >= minutes * 60 * 1000;
  }

  private workerStartFailed(sessionId: string, reason: string, inARow: number): void {
    this.options.warn('Ralph worker failed to start', { sessionId, reason, inARow });
    if (inARow >= MAX_WORKER_START_FAILURES) {
      this.halt(`workers failed to start ${inARow} times in a row (last: ${reason})`);
    }
  }

  private record(): RalphStateRecord {
    return {
      running: this.running,
      startedAt: this.startedAt,
      minDurationMinutes: this.settings.minDurationMinutes,
      maxCostUsd: this.settings.maxCostUsd,
      maxWorkers: this.settings.maxWorkers,
      sessionIds: this.running ? [...this.pool.ids] : this.settings.sessionIds,
      completedCount: this.completedCount,
      failedCount: this.failedCount,
      totalCost: this.totalCost,
      stopReason: this.stopReason,
    };
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
}
