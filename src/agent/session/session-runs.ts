import { failure, type Result } from '../../protocol/result.js';
import type { SessionRecord } from '../../store/sessions.js';
import type { PtySize } from '../../supervisor/spawn/pty-process.js';
import { resolveClaudeBinary } from '../claude/claude-binary.js';
import { childEnvironment, interactiveArgs, oneShotArgs } from '../claude/claude-command.js';
import { TranscriptFileTail } from '../claude/transcript/transcript-file.js';
import { stripAnsi } from '../terminal/ansi.js';
import { type InteractiveListener, InteractiveTerminal } from '../terminal/interactive-terminal.js';
import type { PaneSnapshot, SnapshotBounds } from '../terminal/tmux/pane-snapshot.js';
import type { TmuxServer } from '../terminal/tmux/tmux-server.js';
import { TmuxTerminalProcess } from '../terminal/tmux/tmux-terminal-process.js';
import { type OneShotOutcome, OneShotRun } from './oneshot-run.js';
import type { SessionErrorCode } from './session-errors.js';
import { DEFAULT_TERMINAL_SIZE, type RunOptions, type SessionSettings } from './session-settings.js';
import { type SessionHooks, SessionState } from './session-state.js';
import { usageLimitOf } from './usage-limit.js';

/**
 * How often the transcript of a running CLI is looked at (ms), besides every hook: a turn that ends
 * in an API error fires no Stop hook, and its error must show within seconds.
 */
const TRANSCRIPT_POLL_MS = 1_000;

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return null;
  }
}

/**
 * The life of what a session runs: at a time either a headless one-shot run or an interactive
 * terminal (a PTY, or a tmux session that outlives the server), from its start (or adoption after a
 * restart) to its exit, a stop, or a detach at shutdown. Each start is written to the store first.
 */
export abstract class SessionRuns extends SessionState {
  private run: OneShotRun | null = null;
  /** Set by stop(): the exit that follows was asked for, whatever code the CLI exits with. */
  private stopRequested = false;
  private interactive: InteractiveTerminal | null = null;
  private size: PtySize = DEFAULT_TERMINAL_SIZE;
  private transcriptFile: TranscriptFileTail | null = null;

  constructor(
    record: SessionRecord,
    private readonly settings: SessionSettings,
    hooks: SessionHooks,
  ) {
    super(record, hooks);
  }

  get hasProcess(): boolean {
    return this.run !== null || this.interactive !== null;
  }

  get isInteractive(): boolean {
    return this.interactive?.isRunning === true;
  }

  /** The interactive terminal while its CLI runs (what input is written to), else null. */
  protected get runningTerminal(): InteractiveTerminal | null {
    const terminal = this.interactive;
    return terminal?.isRunning ? terminal : null;
  }

  /** The `--settings` file of this session's hooks, written now; undefined when there are no hooks yet. */
  private hookSettings(): Result<{ path: string | undefined }, SessionErrorCode> {
    try {
      return { ok: true, path: this.settings.hookFiles?.prepare(this) ?? undefined };
    } catch (error) {
      return failure('SPAWN_FAILED', `the hook settings could not be written: ${(error as Error).message}`);
    }
  }

  /** Starts a headless run of `prompt`; the outcome arrives as events and through `done`. */
  runPrompt(
    prompt: string,
    options: RunOptions = {},
  ): Result<{ done: Promise<OneShotOutcome & { limitedUntil: number | null }> }, SessionErrorCode> {
    if (this.hasProcess) return failure('SESSION_BUSY', 'session already has a running process');
    const claude = resolveClaudeBinary(this.settings.claudeBin, this.settings.env.PATH);
    if (!claude.ok) return failure('CLAUDE_NOT_FOUND', claude.error);
    const resume = options.resume === true ? this.claudeSessionId : null;
    if (options.resume === true && resume === null) {
      return failure('NOTHING_TO_RESUME', 'the session has no conversation to continue yet');
    }
    const permissionMode = options.permissionMode ?? this.permissionMode;
    const now = this.hooks.clock.now();
    /** The CLI's class of the run's API error (`rate_limit`, …), from its stream. */
    let apiErrorKind: string | null = null;
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
        args: oneShotArgs({ permissionMode, ...(resume === null ? {} : { resume }) }),
        cwd: this.workingDir,
        env: childEnvironment(this.settings.env, permissionMode),
        prompt,
        timeoutMs: options.timeoutMs ?? this.settings.oneShotTimeoutMs,
      },
      {
        onRawOutput: (text) => this.appendTerminal(text),
        onMessage: (message, rawLine) => {
          this.addMessage(message);
          apiErrorKind = this.takeStructured([parseLine(rawLine)])?.kind ?? apiErrorKind;
        },
        onText: (line) => this.addText(line, line),
        onStderr: (text) => this.errors.append(text),
      },
      this.hooks.clock,
    );
    if (!started.ok) {
      // The stored intent is taken back: nothing runs.
      this.hooks.changed(this);
      return failure('SPAWN_FAILED', started.error);
    }
    const { run } = started;
    this.settings.processes?.record('session', this.id, run.pid);
    this.run = run;
    this.mode = 'oneshot';
    this.pid = run.pid;
    this.lastPromptTime = now;
    this.lastError = null;
    this.exitCode = null;
    this.hooksHeard = false;
    this.setStatus('busy');
    this.setAgentState('working', 'headless run started');
    // stream-json does not repeat the prompt: the transcript gets it from here, as the turn's start.
    this.takeStructured([{ type: 'user', message: { role: 'user', content: prompt } }]);
    this.emit('session:running', { prompt });
    const done = run.outcome.then((outcome) => {
      this.settings.processes?.release('session', this.id, run.pid);
      this.run = null;
      this.pid = null;
      this.exitCode = outcome.exit.code;
      if (outcome.claudeSessionId !== null) this.claudeSessionId = outcome.claudeSessionId;
      this.meter.reportRunTotal(outcome.cost);
      this.meter.endRun();
      this.lastError = outcome.error;
      this.emit('session:completion', {
        cost: outcome.cost,
        result: outcome.result ?? '',
        isError: outcome.isError,
        error: outcome.error,
      });
      this.emit('session:exit', { code: outcome.exit.code, signal: outcome.exit.signal });
      // A usage limit is told as such, so that whoever runs the next prompt can wait for its reset.
      const limit =
        outcome.error === null || this.stopRequested
          ? null
          : usageLimitOf(outcome.error, apiErrorKind, this.hooks.clock.now());
      if (limit === null) this.setAgentState('exited', outcome.error ?? 'the run finished');
      else {
        this.setAgentState('limited', outcome.error, limit.until);
        this.emit('session:limited', { limitedUntil: limit.until, reason: outcome.error ?? '' });
      }
      // A run stopped on request is stopped, not failed.
      this.setStatus(outcome.error === null ? 'idle' : this.stopRequested ? 'stopped' : 'error');
      this.costChanged();
      this.stopRequested = false;
      this.hooks.buffersChanged(this);
      return { ...outcome, limitedUntil: limit?.until ?? null };
    });
    return { ok: true, done };
  }

  startInteractive(size: PtySize = this.size, options: RunOptions = {}): Result<object, SessionErrorCode> {
    if (this.hasProcess) return failure('SESSION_BUSY', 'session already has a running process');
    const claude = resolveClaudeBinary(this.settings.claudeBin, this.settings.env.PATH);
    if (!claude.ok) return failure('CLAUDE_NOT_FOUND', claude.error);
    if (options.resume === true && this.claudeSessionId === null) {
      return failure('NOTHING_TO_RESUME', 'the session has no conversation to resume yet');
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
      return failure('SPAWN_FAILED', started.error);
    }
    this.terminalHost = tmux === null ? 'pty' : 'tmux';
    if (tmux === null) this.settings.processes?.record('session', this.id, started.terminal.pid);
    this.lastError = null;
    this.exitCode = null;
    this.attachTerminal(started.terminal);
    this.setStatus('busy');
    this.setAgentState('starting', 'interactive CLI started');
    this.emit('session:interactive', {});
    return { ok: true };
  }

  /**
   * Takes over an agent that a previous server left running in tmux: its scrollback (`history`, from
   * tmux) replaces the stored tail, and a new tmux client shows the live screen below it.
   */
  adoptTmux(tmux: TmuxServer, panePid: number, history: string): Result<object, SessionErrorCode> {
    if (this.hasProcess) return failure('SESSION_BUSY', 'session already has a running process');
    const adopted = InteractiveTerminal.open(
      (onData) => TmuxTerminalProcess.adopt(tmux, this.id, panePid, this.size, onData, this.hooks.clock),
      this.terminalListener(),
      this.hooks.clock,
    );
    if (!adopted.ok) return failure('SPAWN_FAILED', adopted.error);
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
      onBatch: (data) => this.publishTerminal(data),
      onActivity: (state, reason) => this.activity(state, 'heuristic', reason),
    };
  }

  private attachTerminal(terminal: InteractiveTerminal): void {
    this.hooksHeard = false;
    this.transcriptFile = null;
    this.interactive = terminal;
    const poll = setInterval(() => this.readTranscript(), TRANSCRIPT_POLL_MS);
    poll.unref();
    this.mode = 'interactive';
    this.pid = terminal.pid;
    terminal.settled.then((exit) => {
      clearInterval(poll);
      this.readTranscript();
      this.meter.endRun();
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
      this.setAgentState('exited', this.lastError ?? 'the CLI exited');
      this.hooks.buffersChanged(this);
      this.signal({ kind: 'exit', code: exit.code, signal: exit.signal });
    });
  }

  /** Follows the transcript the running CLI writes (its hooks name it). */
  protected followTranscript(path: string): void {
    if (this.transcriptFile?.path !== path) this.transcriptFile = new TranscriptFileTail(path);
    this.readTranscript();
  }

  /** What the CLI added to its transcript since the last look; an API error ends the turn. */
  protected readTranscript(): void {
    const lines = this.transcriptFile?.read() ?? [];
    if (lines.length === 0) return;
    const apiError = this.takeStructured(lines);
    if (apiError !== null) this.turnFailed(apiError.error, apiError.kind);
  }

  protected budgetReached(reason: string): void {
    if (this.hasProcess) void this.stop(reason);
  }

  /** A turn ended in an error (StopFailure hook, or the transcript's API error line). */
  protected abstract turnFailed(error: string, kind: string | null): void;

  resize(size: PtySize): Result<object, SessionErrorCode> {
    this.size = size;
    this.interactive?.resize(size);
    return { ok: true };
  }

  /** The size the agent's terminal has (or starts with). */
  get terminalSize(): PtySize {
    return this.size;
  }

  /** For an agent in tmux, its scrollback and screen as tmux holds them; null otherwise. */
  terminalSnapshot(bounds: SnapshotBounds): PaneSnapshot | null {
    return this.runningTerminal?.snapshot(bounds) ?? null;
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
}
