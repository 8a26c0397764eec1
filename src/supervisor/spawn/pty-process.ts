import * as pty from 'node-pty';
import type { Clock } from '../clock.js';
import { GroupTerminator } from '../terminate/process-group.js';
import {
  type ExitStatus,
  type SpawnOutcome,
  type SpawnSpec,
  type SupervisedChild,
  signalName,
} from './child-process.js';
import { lookPath } from './look-path.js';

export interface PtySize {
  readonly cols: number;
  readonly rows: number;
}

/** Terminal type announced to PTY children: what xterm.js in the browser understands. */
export const PTY_TERM_NAME = 'xterm-256color';

/**
 * node-pty 1.1 queues input in its own write stream and goes on writing the queue to the terminal's
 * file descriptor number after the terminal closed — a number the process may already have reused
 * for another file or socket (a test shows 4 MiB of input landing in the next file opened). Input for
 * a process that exited has nowhere to go: the queue is emptied at its exit (its internals are pinned
 * with the version). One write already handed to libuv's thread pool can still land; closing that
 * window needs node-pty to stop writing once its descriptor is closed.
 */
function dropUnsentInput(terminal: pty.IPty): void {
  const stream = (terminal as unknown as { _writeStream?: { _writeQueue?: unknown[] } })._writeStream;
  if (Array.isArray(stream?._writeQueue)) stream._writeQueue.length = 0;
}

/**
 * A child in a pseudo-terminal. node-pty's child calls setsid(), so it leads its own session and
 * process group and the same group stop applies as for pipe children. node-pty itself reports the
 * exit only after the terminal's output has been read (it waits for the socket to close).
 */
export class PtyChild implements SupervisedChild {
  readonly settled: Promise<ExitStatus>;
  private readonly terminator: GroupTerminator;
  private exited = false;

  constructor(
    private readonly terminal: pty.IPty,
    clock: Clock,
  ) {
    this.terminator = new GroupTerminator(terminal.pid, clock);
    this.settled = new Promise<ExitStatus>((resolve) => {
      terminal.onExit(({ exitCode, signal }) => {
        this.exited = true;
        dropUnsentInput(terminal);
        this.terminator.leaderExited();
        const name = signal ? signalName(signal) : null;
        resolve({ code: name === null ? exitCode : null, signal: name });
      });
    });
  }

  get pid(): number {
    return this.terminal.pid;
  }

  get forced(): boolean {
    return this.terminator.usedSigkill;
  }

  /** Bytes typed into the terminal, exactly as given. */
  write(data: string): void {
    if (!this.exited) this.terminal.write(data);
  }

  resize(size: PtySize): void {
    if (!this.exited) this.terminal.resize(size.cols, size.rows);
  }

  terminate(graceMs: number): void {
    this.terminator.terminate(graceMs);
  }

  kill(): void {
    this.terminator.kill();
  }

  pauseOutput(): void {
    if (!this.exited) this.terminal.pause();
  }

  resumeOutput(): void {
    if (!this.exited) this.terminal.resume();
  }
}

export function spawnPty(
  spec: SpawnSpec & { readonly size: PtySize },
  onData: (chunk: string) => void,
  clock: Clock,
): SpawnOutcome<PtyChild> {
  const env = spec.env ?? process.env;
  const resolved = lookPath(spec.command, env.PATH);
  if (!resolved.ok) return { ok: false, error: resolved.error };
  let terminal: pty.IPty;
  try {
    terminal = pty.spawn(resolved.path, [...spec.args], {
      name: PTY_TERM_NAME,
      cols: spec.size.cols,
      rows: spec.size.rows,
      cwd: spec.cwd ?? process.cwd(),
      env: { ...env, TERM: PTY_TERM_NAME },
      encoding: 'utf8',
    });
  } catch (error) {
    // node-pty throws synchronously when forking or opening the terminal fails.
    return { ok: false, error: `fork/exec ${resolved.path}: ${(error as Error).message}` };
  }
  terminal.onData(onData);
  return { ok: true, child: new PtyChild(terminal, clock) };
}
