import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TmuxServer } from '../../src/agent/terminal/tmux/tmux-server.js';
import type { PermissionMode } from '../../src/protocol/rest/session.js';
import { DEFAULT_ONESHOT_TIMEOUT_MS, type TerminalHostSetting } from '../../src/server/claudeman-config.js';
import { type RunningClaudeman, startClaudemanServer } from '../../src/server/claudeman-server.js';
import type { ClientLimits } from '../../src/server/limits.js';
import { createLogger } from '../../src/server/logger.js';
import { groupAlive, signalGroup } from '../../src/supervisor/terminate/process-group.js';
import { makeTempDir } from './temp-dir.js';

/** The fake `claude` executable (test/fixtures/fake-claude/claude), used unless a test says otherwise. */
export const FAKE_CLAUDE = fileURLToPath(new URL('../fixtures/fake-claude/claude', import.meta.url));
export const TEST_TOKEN = 'test-token-0123456789';

export interface StartClaudemanOptions {
  /** Data directory (database, token); default: a fresh temp dir, removed by close(). */
  dataDir?: string;
  /** Cases root; default: `<temp>/cases`. */
  casesDir?: string;
  /** The claude CLI to run; default: the fake. */
  claudeBin?: string;
  /** Fixed access token; default TEST_TOKEN. */
  token?: string;
  /** Bind address; default 127.0.0.1. */
  host?: string;
  permissionMode?: PermissionMode;
  oneShotTimeoutMs?: number;
  /** OVERSEER_TRUSTED_CIDRS syntax; default loopback + local interfaces. */
  trustedCidrs?: string;
  /** Environment of the CLI processes; default this process's. */
  env?: NodeJS.ProcessEnv;
  /** Where interactive sessions run; default `auto` (tmux when installed), as in production. */
  terminalHost?: TerminalHostSetting;
  /** Lower client limits (SSE, /ws, terminal); default: the server's constants. */
  clientLimits?: Partial<ClientLimits>;
  /** Like CLAUDEMAN_CLIENT_TIMEOUT_MS; default the server's constant. */
  clientTimeoutMs?: number;
  /** Like CLAUDEMAN_LIMIT_RESUME_MARGIN_MS (also read from `env` when given there); default a minute. */
  limitResumeMarginMs?: number;
}

export interface ClaudemanTestServer {
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  port: number;
  token: string;
  dataDir: string;
  casesDir: string;
  /** fetch() against the server with the bearer token (and JSON content type when a body is given). */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** POST/PUT… with a JSON body; returns the response. */
  send(method: string, path: string, body?: unknown): Promise<Response>;
  running: RunningClaudeman;
  /**
   * Stops the server. Agents in tmux outlive a server by design; unless `keepSessions` (a test that
   * restarts the server on the same data directory), the data directory's tmux server is ended too,
   * so no test leaves processes behind.
   */
  close(options?: { keepSessions?: boolean }): Promise<void>;
}

/** How long the agents of a killed tmux server get to end before they are killed (ms). */
const AGENT_END_MS = 10_000;

/**
 * Ends the data directory's tmux server and waits until every pane's process group has ended (its
 * launch script records the agent's exit in the data directory as it goes, so removing the directory
 * before that races with it); what still runs after AGENT_END_MS is killed.
 */
async function endTmuxAgents(dataDir: string): Promise<void> {
  const tmux = TmuxServer.detect(dataDir, process.env.PATH);
  if (tmux === null) return;
  const groups = [...tmux.panes().values()].map((pane) => pane.panePid);
  tmux.killServer();
  const deadline = Date.now() + AGENT_END_MS;
  while (groups.some((pgid) => groupAlive(pgid)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  for (const pgid of groups) if (groupAlive(pgid)) signalGroup(pgid, 'SIGKILL');
}

/** The usage-limit margin a test asked for, as the option or as the server's environment variable. */
function limitMarginOf(options: StartClaudemanOptions): { limitResumeMarginMs?: number } {
  const text = options.env?.CLAUDEMAN_LIMIT_RESUME_MARGIN_MS;
  const ms = options.limitResumeMarginMs ?? (text === undefined ? undefined : Number(text));
  return ms === undefined ? {} : { limitResumeMarginMs: ms };
}

/** A real `claudeman web` server in this process, on a loopback port chosen by the OS. */
export async function startClaudeman(options: StartClaudemanOptions = {}): Promise<ClaudemanTestServer> {
  const temp = makeTempDir('claudeman-web-');
  const dataDir = options.dataDir ?? join(temp.path, 'data');
  const casesDir = options.casesDir ?? join(temp.path, 'cases');
  const token = options.token ?? TEST_TOKEN;
  const running = await startClaudemanServer(
    {
      host: options.host ?? '127.0.0.1',
      port: 0,
      dataDir,
      casesDir,
      token,
      claudeBin: options.claudeBin ?? FAKE_CLAUDE,
      permissionMode: options.permissionMode ?? 'skip',
      oneShotTimeoutMs: options.oneShotTimeoutMs ?? DEFAULT_ONESHOT_TIMEOUT_MS,
      extraHostNames: [],
      trustedCidrs: options.trustedCidrs,
      childEnv: options.env ?? process.env,
      terminalHost: options.terminalHost ?? 'auto',
      ...(options.clientTimeoutMs === undefined ? {} : { clientTimeoutMs: options.clientTimeoutMs }),
      ...limitMarginOf(options),
    },
    createLogger('silent'),
    options.clientLimits === undefined ? {} : { clientLimits: options.clientLimits },
  );
  const baseUrl = `http://127.0.0.1:${running.port}`;
  const api = (path: string, init: RequestInit = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return fetch(`${baseUrl}${path}`, { ...init, headers });
  };
  return {
    baseUrl,
    port: running.port,
    token,
    dataDir,
    casesDir,
    api,
    send: (method, path, body) =>
      api(path, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      }),
    running,
    close: async ({ keepSessions = false } = {}) => {
      await running.close();
      if (!keepSessions) await endTmuxAgents(dataDir);
      temp.remove();
    },
  };
}
