import type { RetryPolicy } from '../../protocol/overseer/retry-policy.js';
import type { TaskRecord } from '../../store/overseer-tasks.js';
import { nanosToMillis } from '../../util/go-duration.js';
import type { Clock } from '../clock.js';
import type { SupervisedTaskEvent, SupervisedTaskExitedEvent } from '../events.js';
import type { SupervisedTask } from '../task.js';
import type { Worker } from '../worker.js';
import { classifyExit, decideAfterExit, planRestart, type RandomSource } from './retry-policy.js';

const THRESHOLD_MESSAGE = 'exit threshold reached';

/** What the scheduler needs of the supervisor it works for. */
export interface RestartHost {
  readonly clock: Clock;
  readonly random: RandomSource;
  /** True once a shutdown began: nothing is restarted any more. */
  isShuttingDown(): boolean;
  publish(event: SupervisedTaskEvent): void;
  /** Writes the record now or as soon as the store takes writes again (see Supervisor). */
  persistEventually(record: TaskRecord): void;
  /** Spawns the task's next worker; the failure's message when that is impossible. */
  spawnRestart(
    task: SupervisedTask,
    previousPid: number,
  ): { readonly ok: true } | { readonly message: string; readonly ok: false };
}

/**
 * What a task's retry policy makes of an exit: nothing (intentional, no policy, a "done" code), a
 * restart after the policy's delay (broadcast as `restarting`), or — once the exits in the window
 * reach the threshold, or the command can no longer be spawned — the `errored` state.
 */
export class RestartScheduler {
  constructor(private readonly host: RestartHost) {}

  /** Called once per exit, after `exited` was published; persists the task's state either way. */
  afterExit(task: SupervisedTask, worker: Worker, event: SupervisedTaskExitedEvent): void {
    const { record } = task;
    const policy = record.retryPolicy;
    if (event.intentional || record.state !== 'active' || policy === null || this.host.isShuttingDown()) {
      this.host.persistEventually(record);
      return;
    }
    const exitClass = classifyExit(policy, event.exitCode);
    if (exitClass === 'finished') {
      // A declared "done" code: the task ends as one without a policy would (see classifyExit).
      this.host.persistEventually(record);
      return;
    }
    if (exitClass === 'counted' && this.countExitAndMaybeError(task, worker, policy, event)) return;
    this.host.persistEventually(record);
    this.schedule(task, worker, policy, event);
  }

  cancel(task: SupervisedTask): void {
    if (task.restartTimer === null) return;
    this.host.clock.clearTimeout(task.restartTimer);
    task.restartTimer = null;
  }

  /** Adds the exit to the window; when that reaches the threshold the task errors (returns true). */
  private countExitAndMaybeError(
    task: SupervisedTask,
    worker: Worker,
    policy: RetryPolicy,
    event: SupervisedTaskExitedEvent,
  ): boolean {
    const { record } = task;
    const exitCount = task.exitWindow.record(event.ts);
    record.exitCount = exitCount;
    record.exitTimestamps = [...task.exitWindow.timestamps()];
    if (decideAfterExit(policy, exitCount).action !== 'give-up') return false;
    record.state = 'errored';
    record.errorMessage = THRESHOLD_MESSAGE;
    this.host.persistEventually(record);
    this.host.publish({
      kind: 'process:errored',
      taskId: record.taskId,
      pid: worker.pid,
      exitCount,
      ts: event.ts,
    });
    return true;
  }

  /** Broadcasts `restarting` with the actual (grown, capped, jittered) delay and arms its timer. */
  private schedule(
    task: SupervisedTask,
    worker: Worker,
    policy: RetryPolicy,
    event: SupervisedTaskExitedEvent,
  ): void {
    const { clock, random } = this.host;
    const plan = planRestart(policy, task.consecutiveRestarts, event.ts - worker.startedAt, random);
    task.consecutiveRestarts = plan.consecutiveRestarts;
    this.host.publish({
      kind: 'process:restarting',
      taskId: task.record.taskId,
      pid: worker.pid,
      restartDelayNs: plan.delayNs,
      attempt: task.record.restartCount + 1,
      ts: clock.now(),
    });
    task.restartTimer = clock.setTimeout(() => {
      task.restartTimer = null;
      this.restart(task, worker.pid);
    }, nanosToMillis(plan.delayNs));
  }

  private restart(task: SupervisedTask, previousPid: number): void {
    if (this.host.isShuttingDown() || task.record.state !== 'active' || task.running) return;
    const outcome = this.host.spawnRestart(task, previousPid);
    if (outcome.ok) return;
    // The command vanished or became unrunnable: retrying blindly would spin, so the task errors.
    task.record.state = 'errored';
    task.record.errorMessage = outcome.message;
    this.host.persistEventually(task.record);
    this.host.publish({
      kind: 'process:errored',
      taskId: task.record.taskId,
      pid: previousPid,
      exitCount: task.record.exitCount,
      ts: this.host.clock.now(),
    });
  }
}
