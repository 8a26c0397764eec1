import { constants } from 'node:os';

/**
 * What the engine needs of a running child, whatever its I/O (pipes now, a PTY for agent sessions):
 * its pid, a way to stop it, and one settled result that comes only after its last output was read.
 */

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, number]) => [number, name as NodeJS.Signals]),
);

/** The name of signal `number` on this platform (e.g. 15 → SIGTERM); null when it names none. */
export function signalName(number: number): NodeJS.Signals | null {
  return SIGNAL_NAMES.get(number) ?? null;
}

export interface ExitStatus {
  /** The exit status, or null when a signal ended the process. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface SupervisedChild {
  readonly pid: number;
  /** Resolves once the process exited and its output was drained (or the flush timeout passed). */
  readonly settled: Promise<ExitStatus>;
  /** SIGTERM to the process group; SIGKILL after `graceMs` if any member is still alive. */
  terminate(graceMs: number): void;
  /** SIGKILL to the process group at once. */
  kill(): void;
  /** Whether a SIGKILL escalation was needed to end it. */
  readonly forced: boolean;
  /**
   * Stop reading its output (backpressure: the child blocks once the pipe is full) and start again.
   * After the process exits its remaining output is read regardless, so nothing is lost.
   */
  pauseOutput(): void;
  resumeOutput(): void;
}

export interface SpawnSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export type SpawnOutcome<C extends SupervisedChild> =
  | { readonly ok: true; readonly child: C }
  | { readonly ok: false; readonly error: string };
