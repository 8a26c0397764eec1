import type { SessionEvent } from '../../protocol/events.js';
import type {
  PermissionMode,
  SessionAttention,
  SessionInfo,
  SessionMode,
  SessionStatus,
  TerminalHost,
} from '../../protocol/rest/session.js';
import type { Result } from '../../protocol/result.js';
import type { SessionRecord } from '../../store/sessions.js';
import type { Clock } from '../../supervisor/clock.js';
import { assistantText, type ClassifiedMessage } from '../claude/claude-messages.js';
import { BoundedTextBuffer } from '../terminal/bounded-text-buffer.js';
import type { SessionErrorCode } from './session-errors.js';
import { SessionLimits } from './session-settings.js';
import type { ActivitySource, SessionSignal, SessionSignalListener } from './session-signals.js';

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
  /** Terminal/text buffers changed (persisted lazily). */
  buffersChanged(session: SessionState): void;
}

/**
 * What a session is and what it has seen: its record, the bounded buffers kept for reconnecting
 * clients, and the events and signals through which every change is reported. The runs
 * (session-runs.ts) and the Session itself (input, hooks) change it only through these.
 */
export class SessionState {
  readonly id: string;
  readonly workingDir: string;
  readonly createdAt: number;
  mode: SessionMode;
  status: SessionStatus;
  pid: number | null = null;
  claudeSessionId: string | null;
  totalCost: number;
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
    this.totalCost = record.totalCost;
    this.messageCount = record.messageCount;
    this.lastActivityAt = record.lastActivityAt;
    this.lastPromptTime = record.lastPromptTime;
    this.permissionMode = record.permissionMode;
    this.lastError = record.lastError;
    this.exitCode = record.exitCode;
    this.currentTaskId = record.currentTaskId;
    this.hookSecret = record.hookSecret;
    this.terminalHost = record.terminalHost;
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
    };
  }

  record(): SessionRecord {
    const { bufferStats: _stats, isWorking: _working, attention: _attention, ...record } = this.info();
    return { ...record, hookSecret: this.hookSecret, terminalHost: this.terminalHost };
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
    if (this.status !== status) {
      if (state === 'idle') this.emit('session:idle', { reason, source });
      else this.emit('session:working', { reason, source });
      this.setStatus(status);
    }
    this.signal({ kind: state, source, reason });
  }

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
