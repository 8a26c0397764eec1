import { execFile, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lookPath } from '../../../supervisor/spawn/look-path.js';
import { ensurePrivateDir, writeFileAtomic } from '../../../util/private-file.js';

/**
 * The private tmux server that hosts interactive sessions, so that they outlive the Claudeman server
 * (a restart, a crash, `kill -9`): one socket in the data directory, one tmux session per Claudeman
 * session, named from its id. Only this module runs tmux commands.
 */

/** Longest Unix socket path we hand to tmux: sun_path holds 108 bytes on Linux, with the NUL. */
const MAX_SOCKET_PATH = 100;
/** A tmux command that takes longer than this is taken as failed (ms); they normally take a few ms. */
const TMUX_COMMAND_TIMEOUT_MS = 5_000;
/** Scrollback tmux keeps per session (lines): what a re-attached client can still scroll back to. */
const TMUX_HISTORY_LINES = 50_000;
/** Prefix of our tmux session names; anything else on the socket is not ours to touch. */
const SESSION_PREFIX = 'cm-';

/**
 * The server's options: no status line and no key bindings at all (every keystroke belongs to the
 * agent, Ctrl-B included), a deep history, no escape delay, and sessions that stay when no client is
 * attached (that is the point). The server exits by itself when its last session ends.
 */
const TMUX_CONFIG = `# Written by Claudeman; rewritten at every start.
set -g status off
set -g prefix None
set -g prefix2 None
unbind-key -a
unbind-key -a -T root
set -g mouse off
set -g history-limit ${TMUX_HISTORY_LINES}
set -g escape-time 0
set -g destroy-unattached off
set -g exit-empty on
set -g set-titles off
set -g allow-rename off
set -g focus-events off
`;

export interface PaneState {
  readonly panePid: number;
  readonly dead: boolean;
}

export type TmuxResult =
  | { readonly ok: true; readonly stdout: string }
  | { readonly ok: false; readonly error: string };

/** The socket of the data directory's tmux server (a short path in the temp dir when it would be too long). */
function tmuxSocketPath(dataDir: string): string {
  const inDataDir = join(dataDir, 'tmux', 'tmux.sock');
  if (Buffer.byteLength(inDataDir) <= MAX_SOCKET_PATH) return inDataDir;
  const digest = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return join(tmpdir(), `claudeman-tmux-${digest}.sock`);
}

export function tmuxSessionName(sessionId: string): string {
  return `${SESSION_PREFIX}${sessionId}`;
}

export class TmuxServer {
  readonly socketPath: string;
  /** Where launch scripts and exit files of the sessions live (private to the user). */
  readonly stateDir: string;
  private readonly configPath: string;

  private constructor(
    readonly tmuxPath: string,
    dataDir: string,
  ) {
    this.stateDir = join(dataDir, 'tmux');
    ensurePrivateDir(this.stateDir);
    this.socketPath = tmuxSocketPath(dataDir);
    this.configPath = join(this.stateDir, 'tmux.conf');
    writeFileAtomic(this.configPath, TMUX_CONFIG);
  }

  /** The tmux server for `dataDir`, or null when tmux is not installed (sessions then use plain PTYs). */
  static detect(dataDir: string, path: string | undefined): TmuxServer | null {
    const found = lookPath('tmux', path);
    if (!found.ok) return null;
    const probe = spawnSync(found.path, ['-V'], { timeout: TMUX_COMMAND_TIMEOUT_MS, encoding: 'utf8' });
    if (probe.status !== 0) return null;
    return new TmuxServer(found.path, dataDir);
  }

  /**
   * The environment tmux itself runs with. The tmux server keeps it as the panes' base, so it holds
   * nothing of ours (the launch script sets the agent's own); a UTF-8 locale so `❯` survives.
   */
  tmuxEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/',
      LANG: 'C.UTF-8',
      TERM: 'xterm-256color',
    };
  }

  /** Arguments every tmux invocation starts with: UTF-8 forced, our socket, our config. */
  baseArgs(): string[] {
    return ['-u', '-S', this.socketPath, '-f', this.configPath];
  }

  run(args: readonly string[]): TmuxResult {
    const result = spawnSync(this.tmuxPath, [...this.baseArgs(), ...args], {
      env: this.tmuxEnv(),
      encoding: 'utf8',
      timeout: TMUX_COMMAND_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (result.error !== undefined) return { ok: false, error: `tmux: ${result.error.message}` };
    if (result.status !== 0) {
      return { ok: false, error: `tmux ${args[0]}: ${result.stderr.trim() || `exit ${result.status}`}` };
    }
    return { ok: true, stdout: result.stdout };
  }

  /** Starts `scriptPath` (see launch-script.ts) in a new detached session; returns the pane's pid. */
  newSession(
    name: string,
    scriptPath: string,
    cwd: string,
    size: { cols: number; rows: number },
  ): { ok: true; panePid: number } | { ok: false; error: string } {
    const created = this.run([
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(size.cols),
      '-y',
      String(size.rows),
      '-c',
      cwd,
      '-P',
      '-F',
      '#{pane_pid}',
      '--',
      '/bin/sh',
      scriptPath,
    ]);
    if (!created.ok) return created;
    const panePid = Number(created.stdout.trim());
    if (!Number.isInteger(panePid) || panePid <= 0) {
      return { ok: false, error: `tmux new-session: unexpected pane pid ${JSON.stringify(created.stdout)}` };
    }
    return { ok: true, panePid };
  }

  /** Our sessions that exist now, by name. An absent server (no sessions yet) is an empty map. */
  panes(): Map<string, PaneState> {
    const listed = this.run(['list-panes', '-a', '-F', '#{session_name}\t#{pane_pid}\t#{pane_dead}']);
    const panes = new Map<string, PaneState>();
    if (!listed.ok) return panes;
    for (const line of listed.stdout.split('\n')) {
      const [name, pid, dead] = line.split('\t');
      if (name === undefined || !name.startsWith(SESSION_PREFIX) || pid === undefined) continue;
      panes.set(name, { panePid: Number(pid), dead: dead === '1' });
    }
    return panes;
  }

  hasSession(name: string): boolean {
    return this.run(['has-session', '-t', `=${name}`]).ok;
  }

  /**
   * The session's scrollback above the visible screen, with colours, lines ending in CRLF: what a
   * re-attached terminal is given before tmux redraws the screen itself.
   */
  captureHistory(name: string): string {
    const captured = this.run(['capture-pane', '-p', '-e', '-S', '-', '-E', '-1', '-t', `=${name}:`]);
    if (!captured.ok || captured.stdout === '') return '';
    return captured.stdout.replaceAll('\n', '\r\n');
  }

  /** The same as `run`, without blocking the event loop (input: it may come often). */
  runAsync(args: readonly string[]): Promise<TmuxResult> {
    return new Promise((resolve) => {
      execFile(
        this.tmuxPath,
        [...this.baseArgs(), ...args],
        { env: this.tmuxEnv(), encoding: 'utf8', timeout: TMUX_COMMAND_TIMEOUT_MS },
        (error, stdout, stderr) => {
          if (error === null) resolve({ ok: true, stdout });
          else resolve({ ok: false, error: `tmux ${args[0]}: ${stderr.trim() || error.message}` });
        },
      );
    });
  }

  /**
   * Types `text` into the session's pane, byte for byte (`send-keys -l`). tmux reads an argument
   * ending in `;` as a command separator, so a final `;` is escaped.
   */
  sendText(name: string, text: string): Promise<TmuxResult> {
    const argument = text.endsWith(';') ? `${text.slice(0, -1)}\\;` : text;
    return this.runAsync(['send-keys', '-t', `=${name}:`, '-l', '--', argument]);
  }

  sendEnter(name: string): Promise<TmuxResult> {
    return this.runAsync(['send-keys', '-t', `=${name}:`, 'Enter']);
  }

  killSession(name: string): void {
    this.run(['kill-session', '-t', `=${name}`]);
  }

  /** Ends the whole tmux server and every session on it (tests, and `claudeman` uninstall paths). */
  killServer(): void {
    this.run(['kill-server']);
  }

  /** The command line of a client attached to `name`, run by the server in a PTY. */
  attachCommand(name: string): { command: string; args: string[] } {
    return { command: this.tmuxPath, args: [...this.baseArgs(), 'attach-session', '-t', `=${name}`] };
  }
}
