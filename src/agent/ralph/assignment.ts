import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import type { SessionSignal } from '../session/session-signals.js';
import { CompletionDetector, type CompletionSource } from './completion-detector.js';
import { buildTaskPrompt, promptAsWritten } from './task-prompt.js';
import type { WorkerSession } from './worker-session.js';

/** Clears the agent's conversation and screen (Claude Code's own command). */
export const CLEAR_COMMAND = '/clear';

export type AssignmentOutcome =
  | { readonly kind: 'completed'; readonly source: CompletionSource }
  | { readonly kind: 'timed-out'; readonly afterMs: number }
  /** The agent went away (its process exited) or refused input: the task itself did not fail. */
  | { readonly kind: 'lost'; readonly reason: string }
  /** The agent's turn ended in an error (the API's): no marker will come; a usage limit says until when. */
  | { readonly kind: 'failed'; readonly error: string; readonly limitedUntil: number | null };

export interface AssignmentSpec {
  readonly taskId: string;
  readonly prompt: string;
  readonly completionPhrase: string;
  /** From the assignment to the marker, clearing included (ms). */
  readonly timeoutMs: number;
  /**
   * Type `/clear` and wait for the prompt before the task: set for a session that has shown anything
   * before, so an older marker cannot be repainted into this task's output (and the agent starts
   * from a fresh context, as the Ralph technique wants).
   */
  readonly clearFirst: boolean;
}

type Phase = 'clearing' | 'prompting' | 'resuming' | 'done';

/**
 * One task in one session, from the prompt to its outcome: optionally `/clear` and wait for the
 * prompt, type the task, then watch for the completion marker until the timeout. Reports exactly one
 * outcome; after that (or `dispose()`) it holds no listener and no timer.
 */
export class Assignment {
  readonly since: number;
  private phase: Phase = 'clearing';
  private detector: CompletionDetector | null = null;
  /** The session's turn when the task's prompt was sent: only later turns can complete it. */
  private turnAtStart = 0;
  private timer: TimerHandle | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    readonly spec: AssignmentSpec,
    readonly session: WorkerSession,
    private readonly clock: Clock,
    private readonly onOutcome: (outcome: AssignmentOutcome) => void,
  ) {
    this.since = clock.now();
  }

  get taskId(): string {
    return this.spec.taskId;
  }

  start(): void {
    this.watch();
    if (!this.spec.clearFirst) {
      this.submitPrompt();
      return;
    }
    const cleared = this.session.submitLine(CLEAR_COMMAND);
    if (!cleared.ok) this.finish({ kind: 'lost', reason: cleared.message });
  }

  /**
   * Watches a task that a previous server handed to an agent that survived the restart (tmux). What
   * the agent shows from now on counts — the screen the re-attached terminal redraws included, where
   * a marker printed while the server was down still stands. The stored state cannot say whether the
   * prompt was typed before the crash: an agent that comes to rest without the marker was not (or no
   * longer) working on it, and the task is handed out again (`lost`).
   */
  resume(): void {
    this.watch();
    this.phase = 'resuming';
    this.turnAtStart = this.session.turn;
    this.detector = new CompletionDetector(this.spec.completionPhrase, this.session.messageCount);
  }

  /** Listens to the agent and arms the deadline; both end with the outcome or `dispose()`. */
  private watch(): void {
    this.unsubscribe = this.session.onSignal((signal) => this.signal(signal));
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.finish({ kind: 'timed-out', afterMs: this.spec.timeoutMs });
    }, this.spec.timeoutMs);
  }

  /** Stops watching without an outcome (the loop stops or the server shuts down). */
  dispose(): void {
    this.phase = 'done';
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private signal(signal: SessionSignal): void {
    if (this.phase === 'done') return;
    switch (signal.kind) {
      case 'exit':
        this.finish({ kind: 'lost', reason: 'the session exited' });
        return;
      case 'idle':
        // Submitting marks the session working at once, so an idle signal is the prompt coming back.
        if (this.phase === 'clearing') this.submitPrompt();
        else if (this.phase === 'resuming') this.settleResumed();
        else this.checkStructured();
        return;
      case 'failed':
        if (this.phase === 'prompting' || this.phase === 'resuming')
          this.finish({ kind: 'failed', error: signal.error, limitedUntil: signal.limitedUntil });
        return;
      case 'output':
        // A CLI that reports its turns is read from its messages only: the screen is repainted
        // whenever a viewer connects or resizes, old markers included.
        if (this.session.reportsTurns) return;
        if (this.phase !== 'clearing' && this.detector?.pushTerminal(signal.chunk)) {
          // Structured output, where the session has any, is the better witness; it can only agree.
          this.finish({ kind: 'completed', source: this.structuredSeen() ? 'structured' : 'terminal' });
        }
        return;
      case 'working':
      case 'cost':
        return;
    }
  }

  private submitPrompt(): void {
    this.phase = 'prompting';
    this.turnAtStart = this.session.turn;
    const { prompt, completionPhrase } = this.spec;
    // Read from its replies, a CLI gets the prompt as written; read from the screen, one whose echo
    // cannot show the marker.
    const asWritten = this.session.reportsTurns;
    const typed = asWritten
      ? promptAsWritten(prompt, completionPhrase)
      : buildTaskPrompt(prompt, completionPhrase);
    this.detector = new CompletionDetector(
      completionPhrase,
      this.session.messageCount,
      asWritten ? typed : null,
    );
    const submitted = this.session.submitLine(typed);
    if (!submitted.ok) this.finish({ kind: 'lost', reason: submitted.message });
  }

  /** A resumed agent at rest: done if it said so, else the task goes out again. */
  private settleResumed(): void {
    if (this.structuredSeen()) this.finish({ kind: 'completed', source: 'structured' });
    else this.finish({ kind: 'lost', reason: 'after the restart its agent was at rest without the marker' });
  }

  private structuredSeen(): boolean {
    if (this.detector === null) return false;
    // With hooks, the transcript's turns say what answers this task: replies of turns begun after the
    // prompt was sent. (A Stop hook late from an earlier turn adds a message, not a turn.)
    // Without a transcript (a CLI that writes none), the Stop hook's message is the witness.
    if (this.session.reportsTurns && this.phase !== 'resuming' && this.session.turn > this.turnAtStart)
      return this.detector.checkTexts(this.session.assistantTextAfter(this.turnAtStart));
    return this.detector.checkStructured(this.session.messages, this.session.messageCount);
  }

  private checkStructured(): void {
    if (this.structuredSeen()) this.finish({ kind: 'completed', source: 'structured' });
  }

  private finish(outcome: AssignmentOutcome): void {
    if (this.phase === 'done') return;
    this.dispose();
    this.onOutcome(outcome);
  }
}
