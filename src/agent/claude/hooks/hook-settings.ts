import { statusRelayPathBeside } from './status-relay-script.js';

/**
 * The `--settings` content that makes Claude Code report to the server: the definitive "turn
 * finished" (Stop) or "turn failed" (StopFailure, with the API's error), "needs a person"
 * (Notification: idle_prompt, permission_prompt, elicitation_dialog), "working" (UserPromptSubmit,
 * and PreToolUse/PostToolUse, which also end a permission wait) and the conversation id
 * (SessionStart). Every hook names the transcript the server then reads. Given per run as a file (see
 * session-hook-files.ts), so the user's own settings files are never touched.
 *
 * The session's secret is in neither the CLI's command line nor the hook command's: both are
 * readable by every local user in /proc/<pid>/cmdline (the hook command runs as `sh -c <command>`).
 * The command names the file that holds the secret; the relay reads it from there.
 */
export interface HookEndpoint {
  /** The server's base URL as the CLI (on this machine) reaches it, e.g. http://127.0.0.1:3000. */
  readonly baseUrl: string;
  /** The relay program (see relay-script.ts) and the Node that runs it. */
  readonly relayPath: string;
  readonly nodePath: string;
}

const HOOKED_EVENTS = [
  'Stop',
  'StopFailure',
  'Notification',
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
] as const;

/** Single-quotes a word for `sh -c`, which is how Claude Code runs hook commands. */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

/**
 * The settings JSON; `secretFile` is the absolute path of the file holding the session's secret.
 * Its `statusLine` is the status relay (status-relay-script.ts, beside the hook relay): the CLI's
 * own cost, context share and usage limits reach the server, and the user's own status line, which
 * ours replaces, is chained. Only `type` and `command` are set: the CLI merges settings key by key,
 * so a user's `padding` or `refreshInterval` still applies.
 */
export function hookSettingsJson(endpoint: HookEndpoint, sessionId: string, secretFile: string): string {
  const url = `${endpoint.baseUrl}/api/hooks/${encodeURIComponent(sessionId)}`;
  const command = [endpoint.nodePath, endpoint.relayPath, url, secretFile].map(shellQuote).join(' ');
  const hooks: Record<string, unknown> = {};
  for (const event of HOOKED_EVENTS) hooks[event] = [{ hooks: [{ type: 'command', command, timeout: 10 }] }];
  const statusCommand = [
    endpoint.nodePath,
    statusRelayPathBeside(endpoint.relayPath),
    `${url}/status`,
    secretFile,
  ]
    .map(shellQuote)
    .join(' ');
  const statusLine = { type: 'command', command: statusCommand };
  // `tui: default` keeps the classic renderer: newer CLIs otherwise offer their fullscreen one in a
  // start-up menu, and the first prompt typed would answer it (and rewrite the user's settings).
  return `${JSON.stringify({ tui: 'default', hooks, statusLine }, null, 2)}\n`;
}
