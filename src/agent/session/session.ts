import type { SessionEvent } from '../../protocol/events.js';
import type {
  PermissionMode,
  SessionAttention,
  SessionInfo,
  SessionMode,
  SessionStatus,
  TerminalHost,
} from '../../protocol/rest/session.js';
import type { Clock } from '../../supervisor/clock.js';
import type { PtySize } from '../../supervisor/spawn/pty-process.js';
import { resolveClaudeBinary } from '../claude/claude-binary.js';
import { childEnvironment, interactiveArgs, oneShotArgs } from '../claude/claude-command.js';
import { assistantText, type ClassifiedMessage, classifyMessage } from '../claude/claude-messages.js';
import { type HookVerdict, interpretHook } from '../claude/hooks/hook-event.js';
import type { SessionHookFiles } from '../claude/hooks/session-hook-files.js';
import { stripAnsi } from '../terminal/ansi.js';
import { BoundedTextBuffer } from '../terminal/bounded-text-buffer.js';
import { type InteractiveListener, InteractiveTerminal } from '../terminal/interactive-terminal.js';
import type { TmuxServer } from '../terminal/tmux/tmux-server.js';
import { TmuxTerminalProcess } from '../terminal/tmux/tmux-terminal-process.js';
import { type OneShotOutcome, OneShotRun } from './oneshot-run.js';

/** Limits of what a session keeps in memory for reconnecting clients. */
export const SessionLimits = {
  /** Raw terminal output (with ANSI) kept for replay: 2 MiB is many screens of scrollback. */
  terminalBytes: 2 * 1024 * 1024,
  /** ANSI-stripped text output: 1 MiB. */
  textBytes: 1024 * 1024,
  /** Parsed CLI messages kept: the most recent 500. */
  messages: 500,
  /** The CLI's stderr, for error reports: 64 KiB. */
  errorBytes: 64 * 1024,
} as const;

export const DEFAULT_TERMINAL_SIZE: PtySize = { cols: 120, rows: 40 };

export interface SessionSettings {
  readonly claudeBin: string | null;
  readonly env: NodeJS.ProcessEnv;
  readonly permissionMode: PermissionMode;
  /** Deadline of a one-shot run (ms). */
  readonly oneShotTimeoutMs: number;
  /** The sessions' hook settings files (usable once the server listens); null runs without hooks. */
  readonly hookFiles: SessionHookFiles | null;
  /** Hosts interactive sessions so they survive the server; null or absent: plain PTYs. */
  readonly tmux?: TmuxServer | null;
  /** Records the processes the server starts, so a later instance can end them after a crash. */
  readonly processes?: ProcessTracker;
}

/** The process ledger, as sessions use it (see store/process-ledger.ts). */
export interface ProcessTracker {
  record(kind: 'session', ownerId: string, pid: number): void;
  release(kind: 'session', ownerId: string, pid: number): void;
}

export interface SessionHooks {
  readonly clock: Clock;
  publish(event: SessionEvent): void;
  /** The session's metadata changed in a way worth persisting (written now, or as soon as possible). */
  changed(session: Session): void;
  /**
   * Writes what the session is about to do (`intent`: its record as it will be), before it does it:
   * a store that cannot take it is the caller's failure (STORAGE_FULL, STORAGE_UNAVAILABLE).
   */
  persistIntent(intent: SessionRecord): SessionResult;
  /** Terminal/text buffers changed (persisted lazily). */
  buffersChanged(session: Session): void;
}

export interface SessionRecord {
  readonly id: string;
  readonly workingDir: string;
  readonly createdAt: number;
  readonly mode: SessionMode;
  readonly status: SessionStatus;
  readonly pid: number | null;
  readonly claudeSessionId: string | null;
  readonly totalCost: number;
  readonly messageCount: number;
  readonly lastActivityAt: number;
  readonly lastPromptTime: number | null;
  readonly permissionMode: PermissionMode;
  readonly lastError: string | null;
  readonly exitCode: number | null;
  readonly currentTaskId: string | null;
  /** Authenticates this session's hook callbacks (never shown in the API). */
  readonly hookSecret: string;
  readonly terminalHost: TerminalHost | null;
}

export type SessionResult<T = object> =
  | ({ readonly ok: true } & T)
  | { readonly ok: false; readonly code: string; readonly message: string };

function fail(code: string, message: string): { ok: false; code: string; message: string } {
  return { ok: false, code, message };
}

/** Where an idle/working verdict came from: a Claude Code hook, or the terminal heuristic. */
export type ActivitySource = 'hook' | 'heuristic';

export type SessionSignal =
  | { readonly kind: 'idle' | 'working'; readonly source: ActivitySource; readonly reason: string }
  | { readonly kind: 'output'; readonly chunk: string }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null };

export type SessionSignalListener = (signal: SessionSignal) => void;

export interface RunOptions {
  readonly permissionMode?: PermissionMode;
  readonly timeoutMs?: number;
  /** Interactive only: continue the last conversation (`--resume <claudeSessionId>`). */
  readonly resume?: boolean;
}

/**
 * A Claude Code session: one working directory and, at a time, either a headless run or an
 * interactive terminal. Keeps bounded buffers for reconnecting clients and reports every change as
 * an event.
 */
export class Session {
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
  private run: OneShotRun | null = null;
  /** Set by stop(): the exit that follows was asked for, whatever code the CLI exits with. */
  private stopRequested = false;
  private readonly signalListeners = new Set<SessionSignalListener>();
  private interactive: InteractiveTerminal | null = null;
  private terminalSeq = 0;
  private size: PtySize = DEFAULT_TERMINAL_SIZE;

  constructor(
    record: SessionRecord,
    private readonly settings: SessionSettings,
    private readonly hooks: SessionHooks,
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

  get hasProcess(): boolean {
    return this.run !== null || this.interactive !== null;
  }

  get isInteractive(): boolean {
    return this.interactive?.isRunning === true;
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

  /** The `--settings` file of this session's hooks, written now; undefined when there are no hooks yet. */
  private hookSettings(): SessionResult<{ path: string | undefined }> {
    try {
      return { ok: true, path: this.settings.hookFiles?.prepare(this) ?? undefined };
    } catch (error) {
      return fail('SPAWN_FAILED', `the hook settings could not be written: ${(error as Error).message}`);
    }
  }

  /** A Claude Code hook reported (already authenticated by the caller). */
  receiveHook(payload: Record<string, unknown>): HookVerdict {
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
      case 'attention':
        this.setAttention({
          kind: verdict.attention,
          message: verdict.message,
          since: this.hooks.clock.now(),
        });
        if (verdict.attention === 'idle') this.activity('idle', 'hook', verdict.message);
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

  private setAttention(attention: SessionAttention | null): void {
    if (attention === null && this.attention === null) return;
    this.attention = attention;
    this.emit('session:attention', { attention });
  }

  /** Starts a headless run of `prompt`; the outcome arrives as events and through `done`. */
  runPrompt(prompt: string, options: RunOptions = {}): SessionResult<{ done: Promise<OneShotOutcome> }> {
    if (this.hasProcess) return fail('SESSION_BUSY', 'session already has a running process');
    const claude = resolveClaudeBinary(this.settings.claudeBin, this.settings.env.PATH);
    if (!claude.ok) return fail('CLAUDE_NOT_FOUND', claude.error);
    const permissionMode = options.permissionMode ?? this.permissionMode;
    const now = this.hooks.clock.now();
    // The run is on disk before it exists, so a restart knows it was interrupted.
    const intent = this.hooks.persistIntent({
      ...this.record(),
      mode: 'oneshot',
      status: 'busy',
      lastPromptTime: now,
      lastError: null,
      exitCode: null,
    });
    if (!intent.ok) return intent;
    const started = OneShotRun.start(
      {
        command: claude.path,
        // No hooks for headless runs: their process ending is the definitive signal, and a
        // SessionStart hook would add its own lines to the stream.
        args: oneShotArgs({ permissionMode }),
        cwd: this.workingDir,
        env: childEnvironment(this.settings.env, permissionMode),
        prompt,
        timeoutMs: options.timeoutMs ?? this.settings.oneShotTimeoutMs,
      },
      {
        onRawOutput: (text) => this.appendTerminal(text),
        onMessage: (message) => this.addMessage(message),
        onText: (line) => this.addText(line, line),
        onStderr: (text) => this.errors.append(text),
      },
      this.hooks.clock,
    );
    if (!started.ok) {
      // The stored intent is taken back: nothing runs.
      this.hooks.changed(this);
      return fail('SPAWN_FAILED', started.error);
    }
    const { run } = started;
    this.settings.processes?.record('session', this.id, run.pid);
    this.run = run;
    this.mode = 'oneshot';
    this.pid = run.pid;
    this.lastPromptTime = now;
    this.lastError = null;
    this.exitCode = null;
    this.setStatus('busy');
    this.emit('session:running', { prompt });
    const done = run.outcome.then((outcome) => {
      this.settings.processes?.release('session', this.id, run.pid);
      this.run = null;
      this.pid = null;
      this.exitCode = outcome.exit.code;
      if (outcome.claudeSessionId !== null) this.claudeSessionId = outcome.claudeSessionId;
      this.totalCost += outcome.cost;
      this.lastError = outcome.error;
      this.emit('session:completion', {
        cost: outcome.cost,
        result: outcome.result ?? '',
        isError: outcome.isError,
      });
      this.emit('session:exit', { code: outcome.exit.code, signal: outcome.exit.signal });
      // A run stopped on request is stopped, not failed.
      this.setStatus(outcome.error === null ? 'idle' : this.stopRequested ? 'stopped' : 'error');
      this.stopRequested = false;
      this.hooks.buffersChanged(this);
      return outcome;
    });
    return { ok: true, done };
  }

  startInteractive(size: PtySize = this.size, options: RunOptions = {}): SessionResult {
    if (this.hasProcess) return fail('SESSION_BUSY', 'session already has a running process');
    const claude = resolveClaudeBinary(this.settings.claudeBin, this.settings.env.PATH);
    if (!claude.ok) return fail('CLAUDE_NOT_FOUND', claude.error);
    if (options.resume === true && this.claudeSessionId === null) {
      return fail('NOTHING_TO_RESUME', 'the session has no conversation to resume yet');
    }
    const permissionMode = options.permissionMode ?? this.permissionMode;
    const hookSettings = this.hookSettings();
    if (!hookSettings.ok) return hookSettings;
    this.size = size;
    const spec = {
      command: claude.path,
      args: interactiveArgs({
        permissionMode,
        settingsFile: hookSettings.path,
        ...(options.resume === true && this.claudeSessionId !== null ? { resume: this.claudeSessionId } : {}),
      }),
      cwd: this.workingDir,
      env: childEnvironment(this.settings.env, permissionMode),
      size,
    };
    const tmux = this.settings.tmux ?? null;
    const intent = this.hooks.persistIntent({
      ...this.record(),
      mode: 'interactive',
      status: 'busy',
      terminalHost: tmux === null ? 'pty' : 'tmux',
      lastError: null,
      exitCode: null,
    });
    if (!intent.ok) return intent;
    const started =
      tmux === null
        ? InteractiveTerminal.start(spec, this.terminalListener(), this.hooks.clock)
        : InteractiveTerminal.open(
            (onData) =>
              TmuxTerminalProcess.launch(tmux, { sessionId: this.id, ...spec }, onData, this.hooks.clock),
            this.terminalListener(),
            this.hooks.clock,
          );
    if (!started.ok) {
      this.hooks.changed(this);
      return fail('SPAWN_FAILED', started.error);
    }
    this.terminalHost = tmux === null ? 'pty' : 'tmux';
    if (tmux === null) this.settings.processes?.record('session', this.id, started.terminal.pid);
    this.lastError = null;
    this.exitCode = null;
    this.attachTerminal(started.terminal);
    this.setStatus('busy');
    this.emit('session:interactive', {});
    return { ok: true };
  }

  /**
   * Takes over an agent that a previous server left running in tmux: its scrollback (`history`, from
   * tmux) replaces the stored tail, and a new tmux client shows the live screen below it.
   */
  adoptTmux(tmux: TmuxServer, panePid: number, history: string): SessionResult {
    if (this.hasProcess) return fail('SESSION_BUSY', 'session already has a running process');
    const adopted = InteractiveTerminal.open(
      (onData) => TmuxTerminalProcess.adopt(tmux, this.id, panePid, this.size, onData, this.hooks.clock),
      this.terminalListener(),
      this.hooks.clock,
    );
    if (!adopted.ok) return fail('SPAWN_FAILED', adopted.error);
    if (history !== '') {
      this.terminal.clear();
      this.terminal.append(history);
    }
    this.terminalHost = 'tmux';
    this.attachTerminal(adopted.terminal);
    this.hooks.changed(this);
    this.emit('session:updated', { session: this.info() });
    return { ok: true };
  }

  /** The process died with a previous server: the session is stopped, with `reason` saying how. */
  markInterrupted(reason: string): void {
    this.pid = null;
    this.status = 'stopped';
    this.lastError = reason;
  }

  /**
   * Server shutdown: an agent in tmux is let go of, not stopped (the next server adopts it). Returns
   * false when the session has nothing that can outlive the server.
   */
  async detach(): Promise<boolean> {
    const terminal = this.interactive;
    if (terminal === null || !terminal.detachable) return false;
    this.interactive = null;
    await terminal.detach();
    return true;
  }

  private terminalListener(): InteractiveListener {
    return {
      onData: (chunk) => {
        this.signal({ kind: 'output', chunk });
        this.terminal.append(chunk);
        this.text.append(stripAnsi(chunk));
        this.lastActivityAt = this.hooks.clock.now();
        this.hooks.buffersChanged(this);
      },
      onBatch: (data) => this.emit('session:terminal', { data, seq: ++this.terminalSeq }),
      onActivity: (state, reason) => this.activity(state, 'heuristic', reason),
    };
  }

  private attachTerminal(terminal: InteractiveTerminal): void {
    this.interactive = terminal;
    this.mode = 'interactive';
    this.pid = terminal.pid;
    terminal.settled.then((exit) => {
      if (this.terminalHost === 'pty') this.settings.processes?.release('session', this.id, terminal.pid);
      this.interactive = null;
      this.pid = null;
      this.exitCode = exit.code;
      // The CLI exits 143 (or by the signal) on SIGTERM: an exit we asked for is clean whatever its code.
      const clean =
        this.stopRequested || exit.code === 0 || exit.signal === 'SIGTERM' || exit.signal === 'SIGHUP';
      this.stopRequested = false;
      this.lastError = clean
        ? null
        : `claude exited ${exit.signal ? `on ${exit.signal}` : `with code ${exit.code}`}`;
      this.emit('session:exit', { code: exit.code, signal: exit.signal });
      this.setStatus(clean ? 'stopped' : 'error');
      this.hooks.buffersChanged(this);
      this.signal({ kind: 'exit', code: exit.code, signal: exit.signal });
    });
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
  activity(state: 'idle' | 'working', source: ActivitySource, reason: string): void {
    if (state === 'idle') this.emit('session:idle', { reason, source });
    else this.emit('session:working', { reason, source });
    this.setStatus(state === 'idle' ? 'idle' : 'busy');
    this.signal({ kind: state, source, reason });
  }

  /** Types `text` and presses Enter as a separate keystroke (a submitted prompt). */
  submitLine(text: string): SessionResult {
    const terminal = this.interactive;
    if (terminal === null || !terminal.isRunning) {
      return fail('NOT_INTERACTIVE', 'session is not running interactively: start interactive mode first');
    }
    terminal.submitLine(text);
    this.lastPromptTime = this.hooks.clock.now();
    this.setAttention(null);
    return { ok: true };
  }

  private signal(signal: SessionSignal): void {
    for (const listener of [...this.signalListeners]) listener(signal);
  }

  /** Raw input to the interactive terminal. */
  write(input: string): SessionResult {
    const terminal = this.interactive;
    if (terminal === null || !terminal.isRunning) {
      return fail('NOT_INTERACTIVE', 'session is not running interactively: start interactive mode first');
    }
    terminal.write(input);
    return { ok: true };
  }

  /**
   * Input as a person types it: text ending in Enter is written as the text, then Enter on its own,
   * so the CLI submits it instead of taking it as a pasted newline.
   */
  input(input: string): SessionResult {
    const terminal = this.interactive;
    if (terminal === null || !terminal.isRunning) {
      return fail('NOT_INTERACTIVE', 'session is not running interactively: start interactive mode first');
    }
    const enter = /\r\n?$|\n$/.exec(input);
    if (enter !== null) return this.submitLine(input.slice(0, enter.index));
    terminal.write(input);
    return { ok: true };
  }

  resize(size: PtySize): SessionResult {
    this.size = size;
    this.interactive?.resize(size);
    return { ok: true };
  }

  /**
   * Stops whatever runs; resolves once it has exited. `reason`, when given, is kept as the session's
   * lastError (e.g. the server shutting down), so the stored state says why it stopped.
   */
  async stop(reason?: string): Promise<void> {
    const run = this.run;
    const terminal = this.interactive;
    if (run !== null || terminal !== null) this.stopRequested = true;
    if (run !== null) {
      run.abort('stopped by request');
      await run.outcome;
    }
    if (terminal !== null) {
      terminal.stop();
      await terminal.settled;
    }
    if (reason !== undefined && (run !== null || terminal !== null)) {
      this.lastError = reason;
      this.hooks.changed(this);
    }
  }

  private appendTerminal(text: string): void {
    if (text === '') return;
    this.terminal.append(text);
    this.lastActivityAt = this.hooks.clock.now();
    this.emit('session:terminal', { data: text, seq: ++this.terminalSeq });
  }

  private addMessage(message: ClassifiedMessage): void {
    this.messages.push(message);
    if (this.messages.length > SessionLimits.messages)
      this.messages.splice(0, this.messages.length - SessionLimits.messages);
    this.messageCount++;
    this.emit('session:message', { message });
    const text = assistantText(message);
    if (text !== '') this.addText(text, JSON.stringify(message));
  }

  private addText(text: string, raw: string): void {
    this.text.append(`${text}\n`);
    this.emit('session:output', { text, raw });
  }

  private setStatus(status: SessionStatus): void {
    this.status = status;
    this.lastActivityAt = this.hooks.clock.now();
    this.hooks.changed(this);
    this.emit('session:updated', { session: this.info() });
  }

  private emit<K extends SessionEvent['kind']>(
    kind: K,
    data: Extract<SessionEvent, { kind: K }>['data'],
  ): void {
    this.hooks.publish({ kind, sessionId: this.id, data, ts: this.hooks.clock.now() } as SessionEvent);
  }
}
