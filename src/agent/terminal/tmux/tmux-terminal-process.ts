import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../supervisor/clock.js';
import type { ExitStatus } from '../../../supervisor/spawn/child-process.js';
import { type PtyChild, type PtySize, spawnPty } from '../../../supervisor/spawn/pty-process.js';
import {
  GROUP_EXIT_POLL_MS,
  GroupTerminator,
  groupAlive,
  signalGroup,
} from '../../../supervisor/terminate/process-group.js';
import type { TerminalProcess } from '../interactive-terminal.js';
import {
  type LaunchFiles,
  launchFiles,
  launchScript,
  readExitStatus,
  removeLaunchFiles,
  writeLaunchScript,
} from './launch-script.js';
import {
  bracketedPasteAfter,
  type PaneSnapshot,
  parseSnapshot,
  type SnapshotBounds,
  snapshotArgs,
} from './pane-snapshot.js';
import { type TmuxServer, tmuxSessionName } from './tmux-server.js';

/**
 * How often an attach client may die while its tmux session lives on before we give up re-attaching
 * (within REATTACH_WINDOW_MS). A client killed from outside is re-attached; one that dies at once,
 * every time, would otherwise spin.
 */
const MAX_REATTACHES = 3;
const REATTACH_WINDOW_MS = 10_000;

/**
 * Status of an agent whose shell recorded none: only SIGKILL (or a vanished tmux server) ends the
 * launch script before it writes the file.
 */
const UNRECORDED_EXIT: ExitStatus = { code: null, signal: 'SIGKILL' };

/**
 * After its tmux session ended, how long the pane's processes get to be gone (ms) before what is left
 * of the group is killed: the shell's exit file is written by then, and tmux has reaped it.
 */
const PANE_EXIT_WAIT_MS = 1_000;

export interface TmuxLaunchSpec {
  readonly sessionId: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly size: PtySize;
}

export type TmuxOutcome =
  | { readonly ok: true; readonly process: TmuxTerminalProcess }
  | { readonly ok: false; readonly error: string };

/**
 * An interactive agent that runs in its own tmux session, seen through a tmux client the server runs
 * in a PTY. The agent's pid is the pane's (the launch shell, leader of the pane's process group), so
 * stopping it is the same group stop as for any child. The client can go away (server shutdown:
 * `detach`) while the agent keeps running; a later server adopts it by attaching a new client.
 */
export class TmuxTerminalProcess implements TerminalProcess {
  readonly settled: Promise<ExitStatus>;
  private resolveSettled!: (exit: ExitStatus) => void;
  private client: PtyChild | null = null;
  private size: PtySize;
  private detaching: (() => void) | null = null;
  private finished = false;
  private readonly reattachTimes: number[] = [];
  private inputChain: Promise<void> = Promise.resolve();
  private readonly terminator: GroupTerminator;
  /** Whether our client last turned bracketed paste on (for snapshots: tmux has no format for it). */
  private bracketedPaste = false;

  private constructor(
    private readonly tmux: TmuxServer,
    readonly name: string,
    private readonly files: LaunchFiles,
    readonly pid: number,
    size: PtySize,
    private readonly onData: (chunk: string) => void,
    private readonly clock: Clock,
  ) {
    this.size = size;
    this.terminator = new GroupTerminator(pid, clock);
    this.settled = new Promise((resolve) => {
      this.resolveSettled = resolve;
    });
  }

  /** Starts the agent in a new tmux session and attaches to it. */
  static launch(
    tmux: TmuxServer,
    spec: TmuxLaunchSpec,
    onData: (chunk: string) => void,
    clock: Clock,
  ): TmuxOutcome {
    const name = tmuxSessionName(spec.sessionId);
    const files = launchFiles(tmux.stateDir, name);
    // A session of that name can only be a leftover of this same session's earlier run.
    if (tmux.hasSession(name)) tmux.killSession(name);
    try {
      writeLaunchScript(files, launchScript(spec.command, spec.args, spec.env, files.exitPath));
    } catch (error) {
      return { ok: false, error: `cannot write the launch script: ${(error as Error).message}` };
    }
    const created = tmux.newSession(name, files.scriptPath, spec.cwd, spec.size);
    if (!created.ok) {
      removeLaunchFiles(files);
      return created;
    }
    const process = new TmuxTerminalProcess(tmux, name, files, created.panePid, spec.size, onData, clock);
    const attached = process.attach();
    if (!attached.ok) {
      tmux.killSession(name);
      removeLaunchFiles(files);
      return attached;
    }
    return { ok: true, process };
  }

  /** Attaches to an agent a previous server started (its tmux session exists, with `panePid`). */
  static adopt(
    tmux: TmuxServer,
    sessionId: string,
    panePid: number,
    size: PtySize,
    onData: (chunk: string) => void,
    clock: Clock,
  ): TmuxOutcome {
    const name = tmuxSessionName(sessionId);
    const files = launchFiles(tmux.stateDir, name);
    const process = new TmuxTerminalProcess(tmux, name, files, panePid, size, onData, clock);
    const attached = process.attach();
    return attached.ok ? { ok: true, process } : attached;
  }

  write(data: string): void {
    this.client?.write(data);
  }

  /**
   * A submitted prompt goes to the pane through tmux itself, not through our client: the text, then
   * (after `enterDelayMs`) Enter as its own write. Through the client, a client process that falls
   * behind under load reads both at once and forwards them as one paste, which the CLI takes as a
   * newline instead of a submit. Prompts are chained, so they arrive in order.
   */
  submitLine(text: string, enterDelayMs: number): void {
    this.inputChain = this.inputChain.then(async () => {
      if (this.finished) return;
      if (text !== '') await this.tmux.sendText(this.name, text);
      await this.sleep(enterDelayMs);
      if (!this.finished) await this.tmux.sendEnter(this.name);
    });
  }

  resize(size: PtySize): void {
    this.size = size;
    this.client?.resize(size);
  }

  /** The pane's scrollback and screen as tmux holds them (see pane-snapshot.ts); null once it is gone. */
  snapshot(bounds: SnapshotBounds): PaneSnapshot | null {
    if (this.finished) return null;
    const marker = `claudeman-snapshot-${randomBytes(12).toString('hex')}`;
    const captured = this.tmux.run(snapshotArgs(`=${this.name}:`, marker, bounds.maxLines));
    return captured.ok ? parseSnapshot(captured.stdout, marker, bounds, this.bracketedPaste) : null;
  }

  /** Stops the agent itself (SIGTERM to the pane's group, SIGKILL after the grace). */
  terminate(graceMs: number): void {
    this.terminator.terminate(graceMs);
  }

  /**
   * Lets go of the agent without stopping it: only our client exits, the tmux session runs on.
   * Resolves once the client is gone.
   */
  detach(): Promise<void> {
    const client = this.client;
    if (client === null || this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      this.detaching = resolve;
      client.terminate(1_000);
    });
  }

  private attach(): { ok: true } | { ok: false; error: string } {
    const { command, args } = this.tmux.attachCommand(this.name);
    const spawned = spawnPty(
      { command, args, cwd: this.tmux.stateDir, env: this.tmux.tmuxEnv(), size: this.size },
      (chunk) => {
        this.bracketedPaste = bracketedPasteAfter(chunk, this.bracketedPaste);
        this.onData(chunk);
      },
      this.clock,
    );
    if (!spawned.ok) return spawned;
    const client = spawned.child;
    this.client = client;
    void client.settled.then(() => this.clientExited(client));
    return { ok: true };
  }

  private clientExited(client: PtyChild): void {
    if (this.client !== client) return;
    this.client = null;
    const detached = this.detaching;
    if (detached !== null) {
      this.detaching = null;
      this.terminator.dispose();
      detached();
      return;
    }
    if (this.tmux.hasSession(this.name) && this.mayReattach() && this.attach().ok) return;
    this.finish();
  }

  private mayReattach(): boolean {
    const now = this.clock.now();
    while (this.reattachTimes.length > 0 && now - (this.reattachTimes[0] ?? 0) > REATTACH_WINDOW_MS) {
      this.reattachTimes.shift();
    }
    if (this.reattachTimes.length >= MAX_REATTACHES) return false;
    this.reattachTimes.push(now);
    return true;
  }

  /** The agent's session is gone (or cannot be attached any more): report how it ended, clean up. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    // Normally gone already; this covers an agent whose client could not be re-attached.
    if (this.tmux.hasSession(this.name)) this.tmux.killSession(this.name);
    void this.waitForPaneGone().then(() => {
      const exit = readExitStatus(this.files) ?? UNRECORDED_EXIT;
      this.terminator.dispose();
      removeLaunchFiles(this.files);
      this.resolveSettled(exit);
    });
  }

  /**
   * "Exited" means the pane's processes have ended, as for a child of ours (zombies count as ended:
   * the shell is tmux's child, or init's once tmux exits, and only they can reap it). Anything left
   * in its process group once the session is over is a straggler nothing would ever stop: killed.
   */
  private async waitForPaneGone(): Promise<void> {
    const deadline = this.clock.now() + PANE_EXIT_WAIT_MS;
    while (groupAlive(this.pid)) {
      if (this.clock.now() >= deadline) {
        signalGroup(this.pid, 'SIGKILL');
        return;
      }
      await this.sleep(GROUP_EXIT_POLL_MS);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
