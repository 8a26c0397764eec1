import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Clock } from '../clock.js';
import { GroupTerminator } from '../terminate/process-group.js';
import type { ExitStatus, SpawnOutcome, SpawnSpec, SupervisedChild } from './child-process.js';
import { lookPath } from './look-path.js';

/**
 * After the process exits, how long to wait for its pipes to reach end-of-file before reporting the
 * exit anyway (ms). A grandchild that inherited the pipes can keep them open forever; VS Code uses
 * the same kind of bound (DataFlushTimeout = 250 ms) for its terminals.
 */
export const OUTPUT_FLUSH_TIMEOUT_MS = 250;

export interface PipeSinks {
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
}

/** A child with stdin on /dev/null and stdout/stderr as pipes, leader of its own process group. */
export class PipeChild implements SupervisedChild {
  readonly settled: Promise<ExitStatus>;
  private readonly terminator: GroupTerminator;

  constructor(
    readonly pid: number,
    private readonly streams: readonly Readable[],
    exit: Promise<ExitStatus>,
    clock: Clock,
  ) {
    this.terminator = new GroupTerminator(pid, clock);
    this.settled = exit.then((status) => this.drain(status, clock));
  }

  get forced(): boolean {
    return this.terminator.usedSigkill;
  }

  terminate(graceMs: number): void {
    this.terminator.terminate(graceMs);
  }

  kill(): void {
    this.terminator.kill();
  }

  pauseOutput(): void {
    for (const stream of this.streams) stream.pause();
  }

  resumeOutput(): void {
    for (const stream of this.streams) stream.resume();
  }

  private async drain(status: ExitStatus, clock: Clock): Promise<ExitStatus> {
    this.terminator.leaderExited();
    const open = this.streams.filter((stream) => !stream.readableEnded && !stream.destroyed);
    // Paused by backpressure or not, the last output must be read before the exit is reported.
    for (const stream of open) stream.resume();
    if (open.length > 0) {
      const listeners: Array<{ stream: Readable; onEnd: () => void }> = [];
      await new Promise<void>((resolve) => {
        let remaining = open.length;
        const timer = clock.setTimeout(resolve, OUTPUT_FLUSH_TIMEOUT_MS);
        for (const stream of open) {
          // 'end' and 'close' may both come for one stream: count each stream once.
          let counted = false;
          const onEnd = (): void => {
            if (counted) return;
            counted = true;
            remaining--;
            if (remaining === 0) {
              clock.clearTimeout(timer);
              resolve();
            }
          };
          stream.once('end', onEnd);
          stream.once('close', onEnd);
          listeners.push({ stream, onEnd });
        }
      });
      for (const { stream, onEnd } of listeners) {
        stream.off('end', onEnd);
        stream.off('close', onEnd);
      }
      // Whatever still holds the pipes belongs to an exited task: stop reading on its behalf.
      for (const stream of this.streams) stream.destroy();
    }
    return status;
  }
}

/**
 * Spawns with stdout/stderr as pipes. `stdin` is /dev/null unless text is given, which is written to
 * the child's stdin and then closed (long prompts go there: argv is limited, see E2BIG).
 */
export function spawnPiped(
  spec: SpawnSpec,
  sinks: PipeSinks,
  clock: Clock,
  stdin?: string,
): SpawnOutcome<PipeChild> {
  const resolved = lookPath(spec.command, spec.env?.PATH ?? process.env.PATH);
  if (!resolved.ok) return { ok: false, error: resolved.error };

  let child: ReturnType<typeof spawn>;
  try {
    child = spawn(resolved.path, [...spec.args], {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      // Its own process group (setsid), so a stop reaches every descendant.
      detached: true,
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      argv0: spec.command,
    });
  } catch {
    // Node throws synchronously for what execve cannot take, e.g. a NUL byte in an argument;
    // Go's exec refused the same with EINVAL, and so do we (as a failed spawn, not a crash).
    return { ok: false, error: `fork/exec ${resolved.path}: invalid argument` };
  }
  const { pid, stdout, stderr } = child;
  if (pid === undefined || stdout === null || stderr === null) {
    // libuv reports spawn errors asynchronously; the lookup above catches the common ones.
    child.on('error', () => {});
    return { ok: false, error: `fork/exec ${resolved.path}: spawn failed` };
  }
  if (stdin !== undefined && child.stdin !== null) {
    // A child that exits without reading all of its input makes the write fail with EPIPE: that is
    // the child's choice, not an error of ours.
    child.stdin.on('error', () => {});
    child.stdin.end(stdin);
  }
  stdout.on('data', sinks.stdout);
  stderr.on('data', sinks.stderr);
  const exit = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  // An error after a successful spawn (e.g. a kill that races the exit) must not crash the server.
  child.on('error', () => {});
  return { ok: true, child: new PipeChild(pid, [stdout, stderr], exit, clock) };
}
