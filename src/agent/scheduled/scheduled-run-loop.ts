import type { ScheduledEvent } from '../../protocol/events.js';
import type { ScheduledRun } from '../../protocol/rest/scheduled.js';
import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import { LimitWait } from '../session/limit-pause.js';
import { failureBackoffMs } from './backoff.js';
import { formatRemaining, iterationPrompt } from './iteration-prompt.js';
import type { IterationOutcome, IterationSessions } from './iteration-sessions.js';
import { ScheduledTiming } from './limits.js';
import { appendLog } from './run-log.js';

export interface RunLoopDeps {
  readonly sessions: IterationSessions;
  readonly clock: Clock;
  readonly publish: (event: ScheduledEvent) => void;
  /** Writes the run's state; called on every change, before the loop acts on it. */
  readonly save: (run: ScheduledRun) => void;
  /** Deadline of one CLI run, for a CLI that hangs (the server's one-shot timeout, ms). */
  readonly iterationTimeoutMs: number;
  /** Waited past a usage limit's reset before the next iteration (ms). */
  readonly limitResumeMarginMs: number;
  /** Told once, when the run reached its final status (completed, stopped or error). */
  readonly ended: (run: ScheduledRun) => void;
}

/** Why the session layer reports a working directory it cannot use: no later iteration can succeed. */
const INVALID_PATH = 'INVALID_PATH';

/**
 * One scheduled run: one-shot runs of its prompt, each in a fresh session that is deleted after it,
 * until `endAt` or the cost budget is reached. No new iteration starts at or after `endAt`; one still
 * running then may finish within ScheduledTiming.overrunGraceMs. A failed iteration is logged and the
 * next one waits a backoff; one that hit a usage limit waits for the reset and a margin (or ends the
 * run, by its `autoResume` and `maxWaitMinutes`). The state is saved on every change; on a server shutdown the run is
 * suspended with status `running`, so the next server resumes it.
 */
export class ScheduledRunLoop {
  private run: ScheduledRun;
  /** False once the run ended, is being stopped or suspended: nothing may start after that. */
  private active = false;
  private iteration: { readonly sessionId: string; readonly settled: Promise<void> } | null = null;
  /** Session deletions under way; stop and suspend wait for them so no session outlives the run. */
  private readonly removals = new Set<Promise<unknown>>();
  private consecutiveFailures = 0;
  private retryTimer: TimerHandle | null = null;
  private tickTimer: TimerHandle | null = null;
  private readonly limitWait: LimitWait;

  constructor(
    run: ScheduledRun,
    private readonly deps: RunLoopDeps,
  ) {
    this.run = run;
    this.limitWait = new LimitWait(deps.clock, deps.limitResumeMarginMs, () => this.limitLifted());
  }

  get id(): string {
    return this.run.id;
  }

  get isRunning(): boolean {
    return this.run.status === 'running';
  }

  snapshot(): ScheduledRun {
    return { ...this.run, logs: [...this.run.logs] };
  }

  /** Starts a new run: its first iteration begins now. */
  start(): void {
    this.active = true;
    const budget = this.run.maxCostUsd === null ? '' : `, budget ${usd(this.run.maxCostUsd)}`;
    this.log(`started: ${formatRemaining(this.run.endAt - this.run.startedAt)} of one-shot runs${budget}`);
    this.armTick();
    this.next();
  }

  /**
   * Continues a run that was running when the previous server stopped. An iteration that was under
   * way then died with that server (kill -9, or a crash): its session is removed first.
   */
  resume(): void {
    this.active = true;
    this.log(`resumed after a server restart with ${formatRemaining(this.remaining())} left`);
    this.armTick();
    const interrupted = this.run.sessionId;
    if (interrupted === null) {
      this.continueAfterRestart();
      return;
    }
    this.log(`the iteration in session ${interrupted} was interrupted by the restart`);
    this.update({ sessionId: null });
    void this.removeSession(interrupted).then(() => this.continueAfterRestart());
  }

  /** A run restarted during a usage-limit pause waits on; otherwise its next iteration starts now. */
  private continueAfterRestart(): void {
    const until = this.run.pausedUntil;
    if (until !== null && until > this.now()) {
      this.log(`still paused for a usage limit until ${new Date(until).toISOString()}`);
      this.limitWait.restore(until);
      return;
    }
    if (until !== null) this.update({ pausedUntil: null });
    this.next();
  }

  /** Ends the run for good (DELETE): stops the iteration, removes its session, status `stopped`. */
  async stop(reason: string): Promise<void> {
    if (!this.active) return;
    this.deactivate();
    await this.drain();
    this.update({ status: 'stopped', stopReason: reason, sessionId: null, pausedUntil: null });
    this.log(`stopped: ${reason}; ${this.summary()}`);
    this.publishUpdated();
    this.deps.publish({ kind: 'scheduled:stopped', data: { id: this.id, reason }, ts: this.now() });
    this.deps.ended(this.snapshot());
  }

  /** Server shutdown: stops the iteration and removes its session, but stays `running` to resume later. */
  async suspend(): Promise<void> {
    if (!this.active) return;
    this.deactivate();
    await this.drain();
    this.update({ sessionId: null });
    this.log('suspended: the server is shutting down; the run resumes when it starts again');
  }

  private next(): void {
    this.clearRetry();
    if (!this.active) return;
    const remaining = this.remaining();
    const overBudget = this.budgetReached();
    if (remaining <= 0 || overBudget !== null) {
      this.end('completed', overBudget ?? 'the scheduled time is up');
      return;
    }

    const created = this.deps.sessions.create({ workingDir: this.run.workingDir });
    if (!created.ok) {
      if (created.code === INVALID_PATH) {
        this.end('error', `the working directory cannot be used: ${created.message}`);
        return;
      }
      this.log(`no session for the next iteration: ${created.message}`);
      this.retryLater();
      return;
    }
    const { session } = created;
    const started = session.runPrompt(iterationPrompt(this.run.prompt, remaining), {
      timeoutMs: Math.min(this.deps.iterationTimeoutMs, remaining + ScheduledTiming.overrunGraceMs),
    });
    if (!started.ok) {
      void this.removeSession(session.id);
      this.log(`the iteration did not start: ${started.message}`);
      this.retryLater();
      return;
    }
    this.update({ sessionId: session.id });
    this.log(`iteration started in session ${session.id} with ${formatRemaining(remaining)} left`);
    this.publishUpdated();
    const settled = started.done.then(
      (outcome) => this.iterationEnded(session.id, outcome),
      (error: unknown) =>
        this.iterationEnded(session.id, { result: null, cost: 0, error: `the run failed: ${String(error)}` }),
    );
    this.iteration = { sessionId: session.id, settled };
  }

  private async iterationEnded(sessionId: string, outcome: IterationOutcome): Promise<void> {
    // A run that failed may still have been billed (an error result carries its cost).
    const cost = Number.isFinite(outcome.cost) && outcome.cost > 0 ? outcome.cost : 0;
    const succeeded = outcome.error === null;
    this.update({
      totalCost: this.run.totalCost + cost,
      completedTasks: this.run.completedTasks + (succeeded ? 1 : 0),
    });
    const costText = `cost ${usd(cost)}, ${usd(this.run.totalCost)} in all`;
    if (succeeded) this.log(`iteration finished in session ${sessionId}: ${costText}`);
    else if (this.active) this.log(`iteration failed in session ${sessionId}: ${outcome.error}; ${costText}`);
    else this.log(`iteration in session ${sessionId} stopped (${outcome.error}); ${costText}`);

    await this.removeSession(sessionId);
    this.iteration = null;
    // stop() and suspend() wait for this and tell the rest of the story.
    if (!this.active) return;
    this.update({ sessionId: null });
    this.publishUpdated();
    const overBudget = this.budgetReached();
    if (overBudget !== null) this.end('completed', overBudget);
    else if (succeeded) {
      this.consecutiveFailures = 0;
      this.next();
    } else if (typeof outcome.limitedUntil === 'number') this.pauseAtLimit(outcome.limitedUntil);
    else this.retryLater();
  }

  /**
   * The iteration hit a usage limit: the next one starts a margin after its reset (no backoff: the
   * wait is known), unless the run may not wait that long or ends before.
   */
  private pauseAtLimit(limitedUntil: number): void {
    const at = new Date(limitedUntil).toISOString();
    const resumeAt = this.limitWait.hit(limitedUntil, this.run);
    if (resumeAt === null) {
      const why = this.run.autoResume
        ? `it lifts later than maxWaitMinutes (${this.run.maxWaitMinutes}) allows`
        : 'autoResume is off';
      this.end('error', `usage limit until ${at}: ${why}`);
      return;
    }
    if (resumeAt >= this.run.endAt) {
      this.limitWait.cancel();
      this.end('completed', `usage limit until ${at}, past the run's end`);
      return;
    }
    this.update({ pausedUntil: resumeAt });
    this.log(`usage limit until ${at}: the next iteration starts at ${new Date(resumeAt).toISOString()}`);
    this.publishUpdated();
  }

  private limitLifted(): void {
    if (!this.active) return;
    this.update({ pausedUntil: null });
    this.log('the usage limit has lifted: resuming');
    this.next();
  }

  /** The next iteration after a backoff, or the end of the run if that comes first. */
  private retryLater(): void {
    this.consecutiveFailures += 1;
    const delay = Math.min(failureBackoffMs(this.consecutiveFailures), this.remaining());
    if (delay > 0) this.log(`next iteration in ${formatRemaining(delay)} (after a failure)`);
    this.retryTimer = this.deps.clock.setTimeout(() => this.next(), delay);
  }

  private end(status: 'completed' | 'error', reason: string): void {
    this.deactivate();
    this.update({ status, stopReason: reason, sessionId: null, pausedUntil: null });
    this.log(`${status === 'completed' ? 'completed' : 'ended with an error'}: ${reason}; ${this.summary()}`);
    this.publishUpdated();
    // Success: the run ended as planned and at least one iteration did its work.
    const success = status === 'completed' && this.run.completedTasks > 0;
    this.deps.publish({ kind: 'scheduled:completed', data: { id: this.id, success }, ts: this.now() });
    this.deps.ended(this.snapshot());
  }

  private budgetReached(): string | null {
    const max = this.run.maxCostUsd;
    if (max === null || this.run.totalCost < max) return null;
    return `cost budget reached: ${usd(this.run.totalCost)} spent of ${usd(max)}`;
  }

  /** Stops the iteration under way (deleting its session stops its run) and waits for all removals. */
  private async drain(): Promise<void> {
    const iteration = this.iteration;
    if (iteration !== null) await Promise.all([this.removeSession(iteration.sessionId), iteration.settled]);
    await Promise.all([...this.removals]);
  }

  private removeSession(sessionId: string): Promise<unknown> {
    const removal = this.deps.sessions.delete(sessionId).then(
      (removed) => {
        // Unknown is fine (it is gone already); a store that could not take it leaves the session.
        if (!removed.ok && removed.code !== 'SESSION_NOT_FOUND') {
          this.log(`session ${sessionId} was not removed: ${removed.message}`);
        }
      },
      (error: unknown) => this.log(`session ${sessionId} was not removed: ${String(error)}`),
    );
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
    return removal;
  }

  private deactivate(): void {
    this.active = false;
    this.clearRetry();
    this.limitWait.cancel();
    if (this.tickTimer !== null) this.deps.clock.clearTimeout(this.tickTimer);
    this.tickTimer = null;
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) this.deps.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  /** Between iterations nothing else tells clients the clock moves on: a periodic `scheduled:updated`. */
  private armTick(): void {
    this.tickTimer = this.deps.clock.setTimeout(() => {
      if (!this.active) return;
      this.publishUpdated();
      this.armTick();
    }, ScheduledTiming.tickIntervalMs);
  }

  private summary(): string {
    return `${this.run.completedTasks} iteration(s) succeeded, ${usd(this.run.totalCost)} spent`;
  }

  private remaining(): number {
    return Math.max(0, this.run.endAt - this.now());
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private update(changes: Partial<ScheduledRun>): void {
    this.run = { ...this.run, ...changes };
    this.deps.save(this.run);
  }

  private log(message: string): void {
    const ts = this.now();
    const logs = appendLog(this.run.logs, ts, message);
    this.update({ logs });
    // The event carries the line as kept (cut to size), so a client's log matches the stored one.
    const kept = logs.at(-1)?.message ?? message;
    this.deps.publish({ kind: 'scheduled:log', data: { id: this.id, message: kept }, ts });
  }

  private publishUpdated(): void {
    this.deps.publish({
      kind: 'scheduled:updated',
      data: { id: this.id, status: this.run.status, remaining: this.remaining(), run: this.snapshot() },
      ts: this.now(),
    });
  }
}

/** Dollars as the CLI reports them: up to 6 decimals (fractions of a cent matter over many runs). */
function usd(amount: number): string {
  return `$${Number(amount.toFixed(6))}`;
}
