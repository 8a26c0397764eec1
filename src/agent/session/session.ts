import type { Result } from '../../protocol/result.js';
import { classifyMessage } from '../claude/claude-messages.js';
import { type HookVerdict, hookEventName, interpretHook } from '../claude/hooks/hook-event.js';
import { isTranscriptPath } from '../claude/transcript/transcript-file.js';
import { notInteractive, type SessionErrorCode } from './session-errors.js';
import { SessionRuns } from './session-runs.js';
import { usageLimitOf } from './usage-limit.js';

/**
 * A Claude Code session: one working directory and, at a time, either a headless run or an
 * interactive terminal (session-runs.ts). Keeps bounded buffers for reconnecting clients and reports
 * every change as an event (session-state.ts). What reaches its agent from outside is here: input
 * typed into its terminal, and what the CLI's hooks report.
 */
export class Session extends SessionRuns {
  /** Types `text` and presses Enter as a separate keystroke (a submitted prompt). */
  submitLine(text: string): Result<object, SessionErrorCode> {
    const terminal = this.runningTerminal;
    if (terminal === null) return notInteractive();
    terminal.submitLine(text);
    this.lastPromptTime = this.hooks.clock.now();
    this.setAttention(null);
    return { ok: true };
  }

  /** Raw input to the interactive terminal: a person answered, so nothing waits for one any more. */
  write(input: string): Result<object, SessionErrorCode> {
    const terminal = this.runningTerminal;
    if (terminal === null) return notInteractive();
    terminal.write(input);
    this.setAttention(null);
    return { ok: true };
  }

  /**
   * Input as a person types it: text ending in Enter is written as the text, then Enter on its own,
   * so the CLI submits it instead of taking it as a pasted newline.
   */
  input(input: string): Result<object, SessionErrorCode> {
    const terminal = this.runningTerminal;
    if (terminal === null) return notInteractive();
    const enter = /\r\n?$|\n$/.exec(input);
    if (enter !== null) return this.submitLine(input.slice(0, enter.index));
    terminal.write(input);
    this.setAttention(null);
    return { ok: true };
  }

  /** A Claude Code hook reported (already authenticated by the caller). */
  receiveHook(payload: Record<string, unknown>): HookVerdict {
    // A hook can still be on its way from a CLI that has just ended (its relay outlives a kill by a
    // moment): what it says is about a turn that is over, and must not bring a stopped session back.
    if (this.runningTerminal === null) return { kind: 'ignored', event: hookEventName(payload) };
    this.hooksHeard = true;
    if (isTranscriptPath(payload.transcript_path)) this.followTranscript(payload.transcript_path);
    const verdict = interpretHook(payload);
    switch (verdict.kind) {
      case 'idle':
        // The Stop hook carries the turn's final text: keep it as a structured message, so readers
        // of messages (the Ralph loop's completion check) need not scrape the screen.
        if (verdict.lastAssistantMessage !== null) {
          this.addMessage(
            classifyMessage({
              type: 'assistant',
              message: { role: 'assistant', content: [{ type: 'text', text: verdict.lastAssistantMessage }] },
              ...(this.claudeSessionId === null ? {} : { session_id: this.claudeSessionId }),
            }),
          );
        }
        this.activity('idle', 'hook', verdict.reason);
        break;
      case 'working':
        this.setAttention(null);
        this.activity('working', 'hook', verdict.reason);
        break;
      case 'failed':
        this.turnFailed(verdict.error, verdict.errorKind);
        break;
      case 'attention':
        this.setAttention({
          kind: verdict.attention,
          message: verdict.message,
          since: this.hooks.clock.now(),
        });
        if (verdict.attention === 'idle') this.activity('idle', 'hook', verdict.message);
        else
          this.setAgentState(
            verdict.attention === 'permission' ? 'needs_permission' : 'needs_input',
            verdict.message,
          );
        break;
      case 'session-start':
        if (verdict.claudeSessionId !== null) this.claudeSessionId = verdict.claudeSessionId;
        this.hooks.changed(this);
        break;
      case 'ignored':
        break;
    }
    return verdict;
  }

  /**
   * A turn ended in an error the CLI reported (StopFailure hook, or an API error line in its
   * transcript; both may come for one turn): the session shows it at once, as `errored` with the
   * text, or `limited` for a usage or rate limit, and whoever waits for the turn hears of it.
   */
  protected turnFailed(error: string, errorKind: string | null): void {
    const turn = this.transcript.turn;
    if (this.failedTurn === turn && (this.state === 'errored' || this.state === 'limited')) return;
    this.failedTurn = turn;
    const limit = usageLimitOf(error, errorKind, this.hooks.clock.now());
    this.lastError = error;
    this.setAttention(null);
    this.setAgentState(limit === null ? 'errored' : 'limited', error, limit?.until ?? null);
    if (limit !== null) this.emit('session:limited', { limitedUntil: limit.until, reason: error });
    this.emit('session:completion', { cost: this.totalCost, result: '', isError: true, error });
    this.signal({ kind: 'failed', error, limitedUntil: limit?.until ?? null });
  }

  private failedTurn = -1;
}
