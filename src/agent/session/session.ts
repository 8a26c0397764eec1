import type { Result } from '../../protocol/result.js';
import { classifyMessage } from '../claude/claude-messages.js';
import { type HookVerdict, hookEventName, interpretHook } from '../claude/hooks/hook-event.js';
import { parseStatusLine } from '../claude/hooks/status-line.js';
import { isTranscriptPath } from '../claude/transcript/transcript-file.js';
import { notInteractive, type SessionErrorCode } from './session-errors.js';
import { SessionRuns } from './session-runs.js';
import { STUCK_INPUT_MS, StuckInputWatch, screenExcerpt } from './stuck-input.js';
import { statusLineLimit, usageLimitOf } from './usage-limit.js';

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
    // Only a CLI whose hooks speak can say it took the prompt (UserPromptSubmit).
    if (this.reportsTurns) this.stuckInput.submitted(text);
    return { ok: true };
  }

  private readonly stuckInput = new StuckInputWatch(this.hooks.clock, () => this.inputStuck());

  /** A submitted prompt the CLI did not take: a person should look (the screen says why). */
  private inputStuck(): void {
    if (this.runningTerminal === null) return;
    const screen = screenExcerpt(this.terminal.toString());
    this.setAttention({
      kind: 'stuck_input',
      message: `the prompt was not taken within ${STUCK_INPUT_MS / 1000} s; the screen shows:\n${screen}`,
      since: this.hooks.clock.now(),
    });
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
    // Any turn's word (its prompt taken, a tool, its end) means the prompt was not stuck.
    if (verdict.kind !== 'ignored') this.stuckInput.taken();
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
   * The CLI's status line JSON (already authenticated by the caller): the CLI's own cost counter,
   * context share and model, and a plan's usage limits, which at 100 % mark the session limited.
   * Like a hook, a report from a CLI that has just ended changes nothing; false then.
   */
  receiveStatus(payload: Record<string, unknown>): boolean {
    if (this.runningTerminal === null) return false;
    const report = parseStatusLine(payload);
    const seen = () =>
      JSON.stringify([this.meter.cost, this.contextUsedPct, this.meter.model, this.rateLimits]);
    const before = seen();
    this.meter.reportStatus(report);
    if (report.rateLimits !== null) this.rateLimits = report.rateLimits;
    const limit = statusLineLimit(report.rateLimits, this.hooks.clock.now());
    // Every refresh repeats the figures: the session turns limited once per limit, not per refresh.
    if (limit !== null && (this.state !== 'limited' || this.limitedUntil !== limit.until)) {
      this.setAttention(null);
      this.setAgentState('limited', limit.reason, limit.until);
      this.emit('session:limited', { limitedUntil: limit.until, reason: limit.reason });
    }
    if (seen() !== before) this.costChanged();
    return true;
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
