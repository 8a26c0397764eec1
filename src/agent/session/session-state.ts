import type { SessionEvent } from '../../protocol/events.js';
import type {
  PermissionMode,
  SessionAgentState,
  SessionAttention,
  SessionInfo,
  SessionMode,
  SessionRateLimits,
  SessionStatus,
  TerminalHost,
} from '../../protocol/rest/session.js';
import type { TranscriptDraft, TranscriptEntry } from '../../protocol/rest/transcript.js';
import type { Result } from '../../protocol/result.js';
import type { SessionObserved, SessionRecord } from '../../store/sessions.js';
import type { Clock } from '../../supervisor/clock.js';
import { assistantText, type ClassifiedMessage } from '../claude/claude-messages.js';
import { type ParsedLine, parseStructuredLine } from '../claude/transcript/transcript-entries.js';
import { BoundedTextBuffer } from '../terminal/bounded-text-buffer.js';
import { NO_COST, SessionCostMeter } from './session-cost.js';
import type { SessionErrorCode } from './session-errors.js';
import { SessionLimits } from './session-settings.js';
import type { ActivitySource, SessionSignal, SessionSignalListener } from './session-signals.js';
import { SessionTranscript } from './session-transcript.js';

/** What a session reports to, and asks of, its manager. */
export interface SessionHooks {
  readonly clock: Clock;
  publish(event: SessionEvent): void;
  /** The session's metadata changed in a way worth persisting (written now, or as soon as possible). */
  changed(session: SessionState): void;
  /**
   * Writes what the session is about to do (`intent`: its record as it will be), before it does it:
   * a store that cannot take it is the caller's failure (STORAGE_FULL, STORAGE_UNAVAILABLE).
   */
  persistIntent(intent: SessionRecord): Result<object, SessionErrorCode>;
  /** Terminal/text buffers or the transcript changed (persisted lazily). */
  buffersChanged(session: SessionState): void;
}

/** The seed's status for each typed state (while a process runs). */
const STATUS_OF_STATE: Readonly<Record<SessionAgentState, SessionStatus | null>> = {
  starting: 'busy',
  working: 'busy',
  waiting: 'idle',
  needs_permission: 'idle',
  needs_input: 'idle',
  limited: 'idle',
  errored: 'idle',
  exited: null,
};

/**
 * What a session is and what it has seen: its record, the bounded buffers kept for reconnecting
 * clients, and the events and signals through which every change is reported. The runs
 * (session-runs.ts) and the Session itself (input, hooks) change it only through these.
 */
export abstract class SessionState {
  readonly id: string;
  readonly workingDir: string;
  readonly createdAt: number;
  mode: SessionMode;
  status: SessionStatus;
  pid: number | null = null;
  claudeSessionId: string | null;
  messageCount: number;
  lastActivityAt: number;
  lastPromptTime: number | null;
  permissionMode: PermissionMode;
  lastError: string | null;
  exitCode: number | null;
  currentTaskId: string | null;
  attention: SessionAttention | null = null;
  terminalHost: TerminalHost | null;
  readonly hookSecret: string;
  // A trimmed terminal buffer starts at a line, so a replay does not begin inside an escape sequence.
  readonly terminal = new BoundedTextBuffer(SessionLimits.terminalBytes, { startAtLine: true });
  readonly text = new BoundedTextBuffer(SessionLimits.textBytes);
  readonly errors = new BoundedTextBuffer(SessionLimits.errorBytes);
  messages: unknown[] = [];
  private transcriptStore = new SessionTranscript(SessionLimits.transcriptEntries);
  protected readonly meter: SessionCostMeter;
  state: SessionAgentState;
  stateSince: number;
  stateReason: string | null;
  limitedUntil: number | null;
  maxCostUsd: number | null;
  /** The plan's usage limits as the CLI's status line last reported them (subscriptions only). */
  rateLimits: SessionRateLimits | null;
  private readonly signalListeners = new Set<SessionSignalListener>();
  private terminalSeq = 0;

  constructor(
    record: SessionRecord,
    protected readonly hooks: SessionHooks,
  ) {
    this.id = record.id;
    this.workingDir = record.workingDir;
    this.createdAt = record.createdAt;
    this.mode = record.mode;
    this.status = record.status;
    this.claudeSessionId = record.claudeSessionId;
    this.messageCount = record.messageCount;
    this.lastActivityAt = record.lastActivityAt;
    this.lastPromptTime = record.lastPromptTime;
    this.permissionMode = record.permissionMode;
    this.lastError = record.lastError;
    this.exitCode = record.exitCode;
    this.currentTaskId = record.currentTaskId;
    this.hookSecret = record.hookSecret;
    this.terminalHost = record.terminalHost;
    const observed = record.observed;
    this.meter = new SessionCostMeter(
      observed?.cost ?? { ...NO_COST, totalUsd: record.totalCost },
      observed?.model ?? null,
      { contextUsedPct: observed?.contextUsedPct ?? null, cliCost: observed?.cliCost ?? null },
    );
    this.state = observed?.state ?? 'exited';
    this.stateSince = observed?.stateSince ?? record.lastActivityAt;
    this.stateReason = observed?.stateReason ?? null;
    this.limitedUntil = observed?.limitedUntil ?? null;
    this.maxCostUsd = observed?.maxCostUsd ?? null;
    this.rateLimits = observed?.rateLimits ?? null;
  }

  /** USD over all runs: the meter's, never a copy that could drift from it. */
  get totalCost(): number {
    return this.meter.cost.totalUsd;
  }

  /** The share of the context window in use (0–100): the status line's, else the transcript's. */
  get contextUsedPct(): number | null {
    return this.meter.contextUsedPct;
  }

  get transcript(): SessionTranscript {
    return this.transcriptStore;
  }

  /** The stored transcript, at a restart (before anything new arrives). */
  restoreTranscript(entries: readonly TranscriptEntry[]): void {
    this.transcriptStore = new SessionTranscript(SessionLimits.transcriptEntries, entries);
  }

  get isWorking(): boolean {
    return this.status === 'busy';
  }

  get terminalSequence(): number {
    return this.terminalSeq;
  }

  info(): SessionInfo {
    return {
      id: this.id,
      pid: this.pid,
      status: this.status,
      mode: this.mode,
      workingDir: this.workingDir,
      currentTaskId: this.currentTaskId,
      createdAt: this.createdAt,
      lastActivityAt: this.lastActivityAt,
      claudeSessionId: this.claudeSessionId,
      totalCost: this.totalCost,
      messageCount: this.messageCount,
      isWorking: this.isWorking,
      lastPromptTime: this.lastPromptTime,
      permissionMode: this.permissionMode,
      lastError: this.lastError,
      exitCode: this.exitCode,
      attention: this.attention,
      terminalHost: this.terminalHost,
      bufferStats: {
        terminalBytes: this.terminal.byteLength,
        terminalLimit: SessionLimits.terminalBytes,
        textBytes: this.text.byteLength,
        textLimit: SessionLimits.textBytes,
        messages: this.messages.length,
        messagesLimit: SessionLimits.messages,
      },
      ...this.observed(),
    };
  }

  private observed(): SessionObserved {
    return {
      cost: this.meter.cost,
      model: this.meter.model,
      contextUsedPct: this.contextUsedPct,
      state: this.state,
      stateSince: this.stateSince,
      stateReason: this.stateReason,
      limitedUntil: this.limitedUntil,
      maxCostUsd: this.maxCostUsd,
      ...(this.rateLimits === null ? {} : { rateLimits: this.rateLimits }),
    };
  }

  record(): SessionRecord {
    const {
      bufferStats: _stats,
      isWorking: _working,
      attention: _attention,
      state: _state,
      stateSince: _since,
      stateReason: _reason,
      limitedUntil: _until,
      cost: _cost,
      contextUsedPct: _context,
      model: _model,
      maxCostUsd: _max,
      rateLimits: _limits,
      ...record
    } = this.info();
    const cliCost = this.meter.cliCost;
    return {
      ...record,
      hookSecret: this.hookSecret,
      terminalHost: this.terminalHost,
      // The CLI's raw cost counter is stored, never shown: it is the meter's to interpret.
      observed: { ...this.observed(), ...(cliCost === null ? {} : { cliCost }) },
    };
  }

  /**
   * Listens to what the session's agent is doing (idle/working with the signal's source, output,
   * exit): what the respawn controller and the Ralph loop act on. Returns the unsubscribe function.
   */
  onSignal(listener: SessionSignalListener): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /**
   * Idle or working, from the terminal heuristic or from a Claude Code hook (the definitive signal).
   * A hook's idle is taken at once; the heuristic's only agrees with what the screen shows.
   */
  protected activity(state: 'idle' | 'working', source: ActivitySource, reason: string): void {
    const status = state === 'idle' ? 'idle' : 'busy';
    // Hook and heuristic both report each turn's end (and start): clients get one event per change.
    // The controllers still get every verdict, with its source, as a signal.
    // Once the CLI's hooks speak, the screen no longer decides anything: a viewer's resize or a
    // redraw must not change what the session is. Its verdicts still reach the controllers. Only
    // the first prompt's appearance is the screen's to tell: no hook says "ready for input".
    const decides = source === 'hook' || !this.hooksHeard || this.state === 'starting';
    if (decides && this.status !== status) {
      if (state === 'idle') this.emit('session:idle', { reason, source });
      else this.emit('session:working', { reason, source });
      this.setStatus(status);
    }
    if (decides && (state === 'working' || (this.state !== 'errored' && this.state !== 'limited')))
      this.setAgentState(state === 'idle' ? 'waiting' : 'working', reason);
    this.signal({ kind: state, source, reason });
  }

  /** Whether the running CLI has reported through a hook (then the screen heuristic only advises). */
  protected hooksHeard = false;

  get reportsTurns(): boolean {
    return this.hooksHeard;
  }

  get turn(): number {
    return this.transcriptStore.turn;
  }

  assistantTextAfter(turn: number): string[] {
    return this.transcriptStore.assistantTextAfter(turn);
  }

  /**
   * The typed state: one source of truth per transition, one `session:state` event per change.
   * The seed's `status` follows it while a process runs.
   */
  protected setAgentState(
    state: SessionAgentState,
    reason: string | null,
    limitedUntil: number | null = null,
  ): void {
    if (this.state === state && this.limitedUntil === limitedUntil) return;
    const previous = this.state;
    this.state = state;
    this.stateSince = this.hooks.clock.now();
    this.stateReason = reason;
    this.limitedUntil = state === 'limited' ? limitedUntil : null;
    this.emit('session:state', {
      state,
      previous,
      since: this.stateSince,
      reason,
      limitedUntil: this.limitedUntil,
    });
    const status = STATUS_OF_STATE[state];
    if (status !== null && status !== this.status) this.setStatus(status);
    else this.hooks.changed(this);
  }

  /**
   * Lines of the CLI's structured output (transcript JSONL or stream-json): kept as transcript
   * entries, their API calls counted into the cost. Returns what the lines said of API errors.
   */
  protected takeStructured(lines: readonly unknown[]): { error: string; kind: string | null } | null {
    const drafts: TranscriptDraft[] = [];
    let apiError: { error: string; kind: string | null } | null = null;
    let counted = false;
    for (const line of lines) {
      const parsed: ParsedLine = parseStructuredLine(line, this.hooks.clock.now());
      if (parsed.call !== null && this.meter.addCall(parsed.call)) {
        counted = true;
        const { usage } = parsed.call;
        // The call's tokens go on its first entry only: a message split over lines is one call.
        const first = parsed.entries[0];
        if (first !== undefined) first.usage = usage;
      }
      drafts.push(...parsed.entries);
      if (parsed.apiError !== null) apiError = { error: parsed.apiError, kind: parsed.apiErrorKind ?? null };
    }
    if (drafts.length > 0) {
      const entries = this.transcript.add(drafts);
      this.emit('session:transcript', { entries });
      this.hooks.buffersChanged(this);
    }
    if (counted) this.costChanged();
    return apiError;
  }

  /** The cost moved: told to clients, kept, and the session's own budget checked. */
  protected costChanged(): void {
    this.emit('session:cost', {
      cost: this.meter.cost,
      contextUsedPct: this.contextUsedPct,
      model: this.meter.model,
      ...(this.rateLimits === null ? {} : { rateLimits: this.rateLimits }),
    });
    this.hooks.changed(this);
    this.signal({ kind: 'cost', totalUsd: this.totalCost });
    const budget = this.maxCostUsd;
    if (budget !== null && this.totalCost >= budget)
      this.budgetReached(`cost budget reached: $${this.totalCost.toFixed(4)} spent of $${budget.toFixed(4)}`);
  }

  /** The session's own budget is spent: whatever runs is stopped, saying why. */
  protected abstract budgetReached(reason: string): void;

  protected signal(signal: SessionSignal): void {
    for (const listener of [...this.signalListeners]) listener(signal);
  }

  protected setAttention(attention: SessionAttention | null): void {
    if (attention === null && this.attention === null) return;
    this.attention = attention;
    this.emit('session:attention', { attention });
  }

  /** Output of a one-shot run: kept for replay and sent as it arrives. */
  protected appendTerminal(text: string): void {
    if (text === '') return;
    this.terminal.append(text);
    this.lastActivityAt = this.hooks.clock.now();
    this.publishTerminal(text);
  }

  /** Terminal output to the event stream, numbered so a client can tell what it has missed. */
  protected publishTerminal(data: string): void {
    this.emit('session:terminal', { data, seq: ++this.terminalSeq });
  }

  protected addMessage(message: ClassifiedMessage): void {
    this.messages.push(message);
    if (this.messages.length > SessionLimits.messages)
      this.messages.splice(0, this.messages.length - SessionLimits.messages);
    this.messageCount++;
    this.emit('session:message', { message });
    const text = assistantText(message);
    if (text !== '') this.addText(text, JSON.stringify(message));
  }

  protected addText(text: string, raw: string): void {
    this.text.append(`${text}\n`);
    this.emit('session:output', { text, raw });
  }

  protected setStatus(status: SessionStatus): void {
    this.status = status;
    this.lastActivityAt = this.hooks.clock.now();
    this.hooks.changed(this);
    this.emit('session:updated', { session: this.info() });
  }

  protected emit<K extends SessionEvent['kind']>(
    kind: K,
    data: Extract<SessionEvent, { kind: K }>['data'],
  ): void {
    this.hooks.publish({ kind, sessionId: this.id, data, ts: this.hooks.clock.now() } as SessionEvent);
  }
}
