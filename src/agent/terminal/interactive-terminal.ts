import type { Clock } from '../../supervisor/clock.js';
import { OutputBatcher } from '../../supervisor/output/output-batcher.js';
import type { ExitStatus } from '../../supervisor/spawn/child-process.js';
import { type PtySize, spawnPty } from '../../supervisor/spawn/pty-process.js';
import { ActivityDetector } from './activity-detector.js';
import type { PaneSnapshot, SnapshotBounds } from './tmux/pane-snapshot.js';

/**
 * How long terminal output is coalesced after the first chunk of a burst (ms). The first chunk goes
 * out at once, so typing stays immediate; a flood becomes one event per window instead of thousands.
 */
const TERMINAL_BATCH_MS = 4;
/** Grace between SIGTERM and SIGKILL when an interactive session is stopped (ms). */
const TERMINAL_STOP_GRACE_MS = 3_000;
/**
 * Pause between typed text and the Enter key (ms): the CLI's UI reads text and `\r` arriving in one
 * read as a paste with a newline, not as a submitted prompt.
 */
const ENTER_DELAY_MS = 30;

export interface InteractiveSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly size: PtySize;
}

/**
 * The process behind an interactive terminal: a plain PTY child, or an agent in a tmux session seen
 * through a tmux client (see tmux/tmux-terminal-process.ts), which can also be let go of (`detach`)
 * without stopping it.
 */
export interface TerminalProcess {
  readonly pid: number;
  readonly settled: Promise<ExitStatus>;
  write(data: string): void;
  resize(size: PtySize): void;
  terminate(graceMs: number): void;
  detach?(): Promise<void>;
  /** Types `text` and then Enter as separate writes, when the process has its own way to. */
  submitLine?(text: string, enterDelayMs: number): void;
  /** Its scrollback and screen, when something other than its output holds them (tmux). */
  snapshot?(bounds: SnapshotBounds): PaneSnapshot | null;
}

export type TerminalSpawner = (
  onData: (chunk: string) => void,
) => { ok: true; process: TerminalProcess } | { ok: false; error: string };

export interface InteractiveListener {
  /** Every chunk as it arrives (for buffers and detection). */
  onData(chunk: string): void;
  /** Coalesced output for clients. */
  onBatch(data: string): void;
  onActivity(state: 'idle' | 'working', reason: string): void;
}

/** A Claude Code terminal UI in a PTY, with batched output and idle/working detection. */
export class InteractiveTerminal {
  readonly settled: Promise<ExitStatus>;
  private readonly batcher: OutputBatcher;
  private readonly detector: ActivityDetector;
  private enterTimers = new Set<ReturnType<typeof setTimeout>>();
  private running = true;

  private constructor(
    private readonly child: TerminalProcess,
    batcher: OutputBatcher,
    detector: ActivityDetector,
  ) {
    this.batcher = batcher;
    this.detector = detector;
    this.settled = child.settled.then((exit) => {
      this.running = false;
      this.dispose();
      return exit;
    });
  }

  /** A Claude Code terminal UI in a plain PTY of the server's. */
  static start(
    spec: InteractiveSpec,
    listener: InteractiveListener,
    clock: Clock,
  ): { ok: true; terminal: InteractiveTerminal } | { ok: false; error: string } {
    return InteractiveTerminal.open(
      (onData) => {
        const spawned = spawnPty(spec, onData, clock);
        return spawned.ok ? { ok: true, process: spawned.child } : spawned;
      },
      listener,
      clock,
    );
  }

  /** A terminal over whatever process `spawn` starts (or attaches to), fed through `onData`. */
  static open(
    spawn: TerminalSpawner,
    listener: InteractiveListener,
    clock: Clock,
  ): { ok: true; terminal: InteractiveTerminal } | { ok: false; error: string } {
    const batcher = new OutputBatcher(clock, TERMINAL_BATCH_MS, (data) => listener.onBatch(data));
    const detector = new ActivityDetector(clock, {}, (state, reason) => listener.onActivity(state, reason));
    const spawned = spawn((chunk) => {
      listener.onData(chunk);
      detector.feed(chunk);
      batcher.push(chunk);
    });
    if (!spawned.ok) {
      batcher.dispose();
      detector.dispose();
      return spawned;
    }
    return { ok: true, terminal: new InteractiveTerminal(spawned.process, batcher, detector) };
  }

  get pid(): number {
    return this.child.pid;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Raw input, as typed (keystrokes, pastes, escape sequences). */
  write(data: string): void {
    this.child.write(data);
  }

  /** Types `text` and then presses Enter as a separate write, as a person would. */
  submitLine(text: string): void {
    // A quick turn can arrive as one chunk with the finished screen: say "working" now, so that
    // whoever waits for working-then-idle sees both.
    this.detector.markWorking('prompt submitted');
    if (this.child.submitLine !== undefined) {
      this.child.submitLine(text, ENTER_DELAY_MS);
      return;
    }
    if (text !== '') this.child.write(text);
    const timer = setTimeout(() => {
      this.enterTimers.delete(timer);
      this.child.write('\r');
    }, ENTER_DELAY_MS);
    this.enterTimers.add(timer);
  }

  resize(size: PtySize): void {
    this.child.resize(size);
  }

  /** The scrollback and screen of an agent in tmux (from tmux itself); null for a plain PTY. */
  snapshot(bounds: SnapshotBounds): PaneSnapshot | null {
    return this.child.snapshot?.(bounds) ?? null;
  }

  stop(): void {
    this.child.terminate(TERMINAL_STOP_GRACE_MS);
  }

  /** Whether the process can outlive this server (it runs in tmux). */
  get detachable(): boolean {
    return this.child.detach !== undefined;
  }

  /**
   * Lets go of the process without stopping it (server shutdown with tmux): `settled` never resolves
   * for this object afterwards; a later server adopts the process.
   */
  async detach(): Promise<void> {
    if (this.child.detach === undefined) return;
    this.running = false;
    this.dispose();
    await this.child.detach();
  }

  private dispose(): void {
    this.batcher.dispose();
    this.detector.dispose();
    for (const timer of this.enterTimers) clearTimeout(timer);
    this.enterTimers.clear();
  }
}
