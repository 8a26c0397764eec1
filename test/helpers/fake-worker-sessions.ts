import type { WorkerSession, WorkerSessions } from '../../src/agent/ralph/worker-session.js';
import type { SessionErrorCode } from '../../src/agent/session/session-errors.js';
import type { SessionSignal, SessionSignalListener } from '../../src/agent/session/session-signals.js';
import type { SessionStatus } from '../../src/protocol/rest/session.js';
import type { Result } from '../../src/protocol/result.js';

/**
 * A session as the Ralph loop sees it, driven by the test: it records what is typed and written, and
 * the test says when it is idle, what it prints and when it exits. Signals are delivered synchronously,
 * as a real session delivers them.
 */
export class FakeWorkerSession implements WorkerSession {
  status: SessionStatus = 'idle';
  isInteractive = false;
  hasProcess = false;
  totalCost = 0;
  messages: unknown[] = [];
  messageCount = 0;
  /** A fake with hooks: set it, and `turns` holds the replies of each turn (index = turn - 1). */
  reportsTurns = false;
  turns: string[][] = [];
  currentTaskId: string | null = null;
  /** Every line submitted (text typed, then Enter). */
  readonly lines: string[] = [];
  /** Raw writes (e.g. the Esc that interrupts a turn). */
  readonly writes: string[] = [];
  starts = 0;
  stops: Array<string | undefined> = [];
  /** When set, startInteractive fails with this code. */
  failStartWith: SessionErrorCode | null = null;
  private readonly listeners = new Set<SessionSignalListener>();

  constructor(
    readonly id: string,
    readonly workingDir: string,
  ) {}

  get turn(): number {
    return this.turns.length;
  }

  assistantTextAfter(turn: number): string[] {
    return this.turns.slice(turn).flat();
  }

  /** A session running the CLI interactively, at its prompt. */
  static interactive(id: string, workingDir = '/work/project'): FakeWorkerSession {
    const session = new FakeWorkerSession(id, workingDir);
    session.isInteractive = true;
    session.hasProcess = true;
    session.status = 'idle';
    return session;
  }

  get lastLine(): string {
    return this.lines.at(-1) ?? '';
  }

  onSignal(listener: SessionSignalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  submitLine(text: string): Result<object, SessionErrorCode> {
    if (!this.isInteractive) return { ok: false, code: 'NOT_INTERACTIVE', message: 'not interactive' };
    this.lines.push(text);
    // As the real terminal: a submitted line makes the session working at once.
    if (this.status === 'idle') {
      this.status = 'busy';
      this.emit({ kind: 'working', source: 'heuristic', reason: 'prompt submitted' });
    }
    return { ok: true };
  }

  write(input: string): Result<object, SessionErrorCode> {
    if (!this.isInteractive) return { ok: false, code: 'NOT_INTERACTIVE', message: 'not interactive' };
    this.writes.push(input);
    return { ok: true };
  }

  startInteractive(): Result<object, SessionErrorCode> {
    if (this.hasProcess) return { ok: false, code: 'SESSION_BUSY', message: 'already running' };
    if (this.failStartWith !== null) return { ok: false, code: this.failStartWith, message: 'cannot start' };
    this.starts++;
    this.isInteractive = true;
    this.hasProcess = true;
    this.status = 'busy';
    return { ok: true };
  }

  async stop(reason?: string): Promise<void> {
    this.stops.push(reason);
    if (this.hasProcess) this.exit();
  }

  // ── driven by the test ──

  /** The prompt is back and the output quiet. */
  idle(): void {
    this.status = 'idle';
    this.emit({ kind: 'idle', source: 'heuristic', reason: 'test' });
  }

  /** Terminal output (raw). */
  print(chunk: string): void {
    this.emit({ kind: 'output', chunk });
  }

  /** The CLI echoes the last submitted line, as a terminal shows typed text. */
  echoLastLine(): void {
    this.print(`\x1b[2m❯ ${this.lastLine.replaceAll('\n', '\r\n  ')}\x1b[0m\r\n`);
  }

  /** A structured assistant message (as one-shot runs and hooks provide). */
  assistantSays(text: string): void {
    this.messages.push({ type: 'assistant', message: { content: [{ type: 'text', text }] } });
    this.messageCount++;
  }

  /** The turn ended in an API error (a usage limit when `limitedUntil` is given). */
  fails(error: string, limitedUntil: number | null = null): void {
    this.status = 'idle';
    this.emit({ kind: 'failed', error, limitedUntil });
  }

  exit(): void {
    this.isInteractive = false;
    this.hasProcess = false;
    this.status = 'stopped';
    this.emit({ kind: 'exit', code: 143, signal: null });
  }

  private emit(signal: SessionSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}

/** The loop's view of the SessionManager: sessions by id, and new ones it creates (w1, w2, …). */
export class FakeWorkerSessions implements WorkerSessions {
  readonly byId = new Map<string, FakeWorkerSession>();
  readonly created: FakeWorkerSession[] = [];
  defaultDir = '/work/default';
  /** When set, create() fails with this code. */
  failCreateWith: SessionErrorCode | null = null;

  add(...sessions: FakeWorkerSession[]): this {
    for (const session of sessions) this.byId.set(session.id, session);
    return this;
  }

  get(id: string): FakeWorkerSession | undefined {
    return this.byId.get(id);
  }

  /** A session that must exist. */
  at(id: string): FakeWorkerSession {
    const session = this.byId.get(id);
    if (session === undefined) throw new Error(`no fake session ${id}`);
    return session;
  }

  create(request: { workingDir?: string }): Result<{ session: FakeWorkerSession }, SessionErrorCode> {
    if (this.failCreateWith !== null)
      return { ok: false, code: this.failCreateWith, message: 'cannot create' };
    const session = new FakeWorkerSession(
      `w${this.created.length + 1}`,
      request.workingDir ?? this.defaultDir,
    );
    this.created.push(session);
    this.byId.set(session.id, session);
    return { ok: true, session };
  }

  delete(id: string): void {
    this.byId.get(id)?.exit();
    this.byId.delete(id);
  }
}
