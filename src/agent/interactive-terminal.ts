import type { ExitStatus } from '../supervisor/child-process.js';
import type { Clock } from '../supervisor/clock.js';
import { OutputBatcher } from '../supervisor/output-batcher.js';
import { type PtyChild, type PtySize, spawnPty } from '../supervisor/pty-process.js';
import { ActivityDetector } from './activity-detector.js';

/**
 * How long terminal output is coalesced after the first chunk of a burst (ms). The first chunk goes
 * out at once, so typing stays immediate; a flood becomes one event per window instead of thousands.
 */
export const TERMINAL_BATCH_MS = 4;
/** Grace between SIGTERM and SIGKILL when an interactive session is stopped (ms). */
export const TERMINAL_STOP_GRACE_MS = 3_000;
/**
 * Pause between typed text and the Enter key (ms): the CLI's UI reads text and `\r` arriving in one
 * read as a paste with a newline, not as a submitted prompt.
 */
export const ENTER_DELAY_MS = 30;

export interface InteractiveSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly size: PtySize;
}

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
    private readonly child: PtyChild,
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

  static start(
    spec: InteractiveSpec,
    listener: InteractiveListener,
    clock: Clock,
  ): { ok: true; terminal: InteractiveTerminal } | { ok: false; error: string } {
    const batcher = new OutputBatcher(clock, TERMINAL_BATCH_MS, (data) => listener.onBatch(data));
    const detector = new ActivityDetector(clock, {}, (state, reason) => listener.onActivity(state, reason));
    const spawned = spawnPty(
      spec,
      (chunk) => {
        listener.onData(chunk);
        detector.feed(chunk);
        batcher.push(chunk);
      },
      clock,
    );
    if (!spawned.ok) {
      batcher.dispose();
      detector.dispose();
      return spawned;
    }
    return { ok: true, terminal: new InteractiveTerminal(spawned.child, batcher, detector) };
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
    if (text !== '') this.child.write(text);
    // A quick turn can arrive as one chunk with the finished screen: say "working" now, so that
    // whoever waits for working-then-idle sees both.
    this.detector.markWorking('prompt submitted');
    const timer = setTimeout(() => {
      this.enterTimers.delete(timer);
      this.child.write('\r');
    }, ENTER_DELAY_MS);
    this.enterTimers.add(timer);
  }

  resize(size: PtySize): void {
    this.child.resize(size);
  }

  stop(): void {
    this.child.terminate(TERMINAL_STOP_GRACE_MS);
  }

  private dispose(): void {
    this.batcher.dispose();
    this.detector.dispose();
    for (const timer of this.enterTimers) clearTimeout(timer);
    this.enterTimers.clear();
  }
}
