import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { groupAlive, signalGroup } from '../../supervisor/terminate/process-group.js';

/**
 * Runs a repository's trusted setup command (src/git/repo-config.ts) in a new worktree: with
 * `/bin/sh -c` — the one shell string of the program, a command line the user approved as written —
 * in a process group of its own, so that everything it starts can be ended with it.
 */

/** How long a setup command may run (ms) before its process group is ended. */
export const SETUP_TIMEOUT_MS = 10 * 60 * 1000;
/** After SIGTERM, how long the group has before SIGKILL (ms). */
const SETUP_GRACE_MS = 5_000;
/** After SIGKILL, how long to wait for the group to be gone before answering anyway (ms). */
const AFTER_KILL_MS = 2_000;
/** After the shell exited, how long its output may take to arrive in full (ms). */
const OUTPUT_DRAIN_MS = 1_000;
/** How often a group being ended is looked at (ms). */
const GROUP_POLL_MS = 25;

export interface SetupEnded {
  /** The shell's exit code; null when it was ended by a signal or could not start. */
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** It ran past its time and its group was ended. */
  readonly timedOut: boolean;
}

export interface SetupRun {
  /** Settles when the command ended (never rejects); after a timeout or stop, once its group is gone. */
  readonly done: Promise<SetupEnded>;
  /** Ends the command's process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): void;
}

export interface SetupOptions {
  readonly command: string;
  /** The new worktree: where it runs. */
  readonly cwd: string;
  readonly repoRoot: string;
  readonly timeoutMs?: number;
  /** After SIGTERM, how long the group has before SIGKILL (ms; default 5 s). */
  readonly graceMs?: number;
  /** What it prints, stdout and stderr interleaved as it comes. */
  readonly onOutput: (text: string) => void;
}

/**
 * Runs the trusted command with `/bin/sh -c` in `cwd`, stdin closed, in a process group of its own.
 * Past `timeoutMs` (or on stop()) the group gets SIGTERM, then SIGKILL. Processes it leaves behind
 * after ending on its own (a daemon it started on purpose) are left alone.
 */
export function runSetupCommand(options: SetupOptions): SetupRun {
  let timedOut = false;
  let settled = false;
  let ending: Promise<void> | null = null;
  const child = spawn('/bin/sh', ['-c', options.command], {
    cwd: options.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CLAUDEMAN_WORKTREE: options.cwd, CLAUDEMAN_REPO_ROOT: options.repoRoot },
  });
  for (const stream of [child.stdout, child.stderr]) {
    // A decoder per stream: a character split between two chunks is passed on whole.
    const decoder = new StringDecoder('utf8');
    stream.on('data', (chunk: Buffer) => emit(options.onOutput, decoder.write(chunk)));
    stream.on('end', () => emit(options.onOutput, decoder.end()));
  }
  const endGroup = (): void => {
    // After the end, the group id may be gone or (in time) another's: nothing is signalled then.
    if (!settled && ending === null && child.pid !== undefined)
      ending = endProcessGroup(child.pid, options.graceMs ?? SETUP_GRACE_MS);
  };
  const deadline = setTimeout(() => {
    timedOut = true;
    endGroup();
  }, options.timeoutMs ?? SETUP_TIMEOUT_MS);
  const done = new Promise<SetupEnded>((resolve) => {
    const settle = async (exitCode: number | null, signal: string | null): Promise<void> => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (ending !== null) await ending;
      resolve({ exitCode, signal, timedOut });
    };
    child.on('error', (error) => {
      emit(options.onOutput, `the setup command could not be started: ${error.message}\n`);
      void settle(null, null);
    });
    // 'close': the shell has exited and its output was read to the end. A process it left running
    // may hold the output open: the shell's exit then counts after a moment.
    child.on('close', (code, signal) => void settle(code, signal));
    child.on('exit', (code, signal) => {
      setTimeout(() => void settle(code, signal), OUTPUT_DRAIN_MS).unref();
    });
  });
  return { done, stop: endGroup };
}

function emit(onOutput: (text: string) => void, text: string): void {
  if (text === '') return;
  try {
    onOutput(text);
  } catch {
    // A listener's failure must not end the command's output.
  }
}

/** SIGTERM to the group, SIGKILL after the grace period; settles when the group is gone (or given up). */
async function endProcessGroup(pgid: number, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  if (await groupGoneWithin(pgid, graceMs)) return;
  signalGroup(pgid, 'SIGKILL');
  await groupGoneWithin(pgid, AFTER_KILL_MS);
}

async function groupGoneWithin(pgid: number, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= until) return false;
    await new Promise((resolve) => setTimeout(resolve, GROUP_POLL_MS));
  }
}
