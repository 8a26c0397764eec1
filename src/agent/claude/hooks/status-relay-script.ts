import { dirname, join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../../../util/private-file.js';
import { CURRENT_URL_FUNCTION } from './relay-snippets.js';

/**
 * The program Claude Code runs as the `statusLine` command of our per-run settings. On each status
 * refresh it reads the CLI's status JSON from stdin and
 * - posts it to the server (`POST …/api/hooks/:sessionId/status`, with the session's secret read
 *   from its file, like the hook relay), and
 * - prints the status line: the user's own `statusLine` command's output when the user has one (our
 *   `--settings` are merged over the user's, so ours replaces theirs: we run theirs with the same
 *   stdin and print its stdout unchanged), else a short line of ours.
 *
 * The user's command is looked up at each call, not when the session starts: the CLI re-reads its
 * settings files when they change, so an edit the user makes during a session shows as it would
 * without us; an agent adopted from tmux needs no rewritten settings; and the user's command (it may
 * carry paths or tokens) never lands on a command line or in our files. The cost is reading three
 * small files per refresh, which the CLI debounces (300 ms).
 * The files and their order are the CLI's (later ones win, key by key):
 * `$CLAUDE_CONFIG_DIR/settings.json` (else `~/.claude/settings.json`), then the project's
 * `.claude/settings.json` and `.claude/settings.local.json`. (Managed settings, above everything,
 * replace our status line too: then this program never runs.)
 *
 * It must never hold the CLI up or fail it: the post and the user's command run side by side, each
 * with a deadline, and it always exits 0. The CLI shows stdout only when a status command exits 0,
 * so a user's command that fails or runs out of time prints nothing here, which looks the same.
 * Plain Node, no dependencies, written to the data directory next to the hook relay.
 */
const STATUS_RELAY_SCRIPT = `#!/usr/bin/env node
// Claudeman status-line relay: argv = <url> <secret file>. See status-relay-script.ts.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
const [url, secretFile = ''] = process.argv.slice(2);
// The post gives up after this (ms): the server is local, anything slower is not there.
const POST_TIMEOUT_MS = 2000;
// The user's command gets this long (ms), the CLI's own default for a status command.
const USER_COMMAND_TIMEOUT_MS = 5000;
// Status JSON is ~2 KiB; more is not a status line (the server's limit for the route is the same).
const MAX_BYTES = 64 * 1024;
// Set for the user's command: a user command that is this relay again does not chain once more.
const CHAINED = 'CLAUDEMAN_STATUS_RELAY';
const done = () => process.exit(0);
setTimeout(done, USER_COMMAND_TIMEOUT_MS + 1000).unref();
let userChild = null;
const endUserCommand = () => {
  // Its whole process group: a shell and what it started.
  try { if (userChild !== null) process.kill(-userChild.pid, 'SIGKILL'); } catch { /* it has ended */ }
};
process.on('exit', endUserCommand);
process.on('SIGTERM', done);
process.on('SIGHUP', done);

function statusLineOf(file) {
  try {
    const settings = JSON.parse(readFileSync(file, 'utf8'));
    const line = settings !== null && typeof settings === 'object' ? settings.statusLine : undefined;
    return line !== null && typeof line === 'object' && !Array.isArray(line) ? line : undefined;
  } catch {
    return undefined; // No such file, or not JSON: the CLI skips it too.
  }
}

function userCommand(status) {
  if (process.env[CHAINED]) return null;
  const configDir = process.env.CLAUDE_CONFIG_DIR || join(homedir(), '.claude');
  const workspace = status !== null && typeof status.workspace === 'object' ? status.workspace : null;
  const projectDir =
    typeof workspace?.project_dir === 'string' ? workspace.project_dir
    : typeof status?.cwd === 'string' ? status.cwd
    : process.cwd();
  let merged;
  for (const file of [
    join(configDir, 'settings.json'),
    join(projectDir, '.claude', 'settings.json'),
    join(projectDir, '.claude', 'settings.local.json'),
  ]) {
    const line = statusLineOf(file);
    if (line !== undefined) merged = { ...merged, ...line };
  }
  const command = merged?.type === 'command' && typeof merged.command === 'string' ? merged.command : '';
  return command.trim() === '' ? null : command;
}

function ownLine(status) {
  const parts = [];
  const model = status?.model?.display_name ?? status?.model?.id;
  if (typeof model === 'string' && model !== '') parts.push(model);
  const usd = status?.cost?.total_cost_usd;
  if (typeof usd === 'number' && Number.isFinite(usd)) parts.push('$' + usd.toFixed(usd < 1 ? 4 : 2));
  const context = status?.context_window?.used_percentage;
  if (typeof context === 'number' && Number.isFinite(context)) parts.push('ctx ' + Math.round(context) + '%');
  return parts.length === 0 ? 'claudeman' : parts.join(' · ');
}

function runUserCommand(command, input) {
  return new Promise((resolve) => {
    let out = '';
    const settle = (text) => { clearTimeout(timer); resolve(text); };
    try {
      userChild = spawn('/bin/sh', ['-c', command], {
        stdio: ['pipe', 'pipe', 'ignore'],
        detached: true,
        env: { ...process.env, [CHAINED]: '1' },
      });
    } catch {
      resolve('');
      return;
    }
    const timer = setTimeout(() => { endUserCommand(); settle(''); }, USER_COMMAND_TIMEOUT_MS);
    userChild.stdout.setEncoding('utf8').on('data', (chunk) => { out += chunk; });
    userChild.on('error', () => settle(''));
    userChild.on('close', (code) => settle(code === 0 ? out : ''));
    userChild.stdin.on('error', () => { /* it did not read its stdin: fine */ });
    userChild.stdin.end(input);
  });
}

${CURRENT_URL_FUNCTION}

function post(input) {
  let secret;
  try {
    secret = readFileSync(secretFile, 'utf8').trim();
  } catch {
    return Promise.resolve(); // The session was deleted meanwhile: nothing to report to.
  }
  const send = (to) =>
    fetch(to, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-claudeman-hook-secret': secret },
      body: input,
      signal: AbortSignal.timeout(POST_TIMEOUT_MS),
    });
  const first = currentUrl();
  return send(first).catch(() => (first === url ? undefined : send(url))).catch(() => undefined);
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (input.length < MAX_BYTES) input += chunk;
});
process.stdin.on('end', () => {
  input = input.slice(0, MAX_BYTES);
  let status = null;
  try {
    status = JSON.parse(input);
  } catch {
    // Not JSON: nothing to report, and nothing to show of ours; the user's command still runs.
  }
  const posting = status === null || typeof status !== 'object' ? Promise.resolve() : post(input);
  const command = userCommand(status);
  const shown = command === null ? Promise.resolve(ownLine(status) + '\\n') : runUserCommand(command, input);
  shown.then((text) => {
    process.stdout.write(text);
    return posting;
  }).then(done, done);
});
`;

export const STATUS_RELAY_FILE = 'status-relay.mjs';

/** The status relay's path next to the hook relay (both are written into the same directory). */
export function statusRelayPathBeside(hookRelayPath: string): string {
  return join(dirname(hookRelayPath), STATUS_RELAY_FILE);
}

/** The relay is the owner's program only: it handles the sessions' secrets. */
const RELAY_MODE = 0o700;

/** Writes the status relay into `dir` (atomically: running agents may be starting it) and returns its path. */
export function installStatusRelay(dir: string): string {
  ensurePrivateDir(dir);
  const path = join(dir, STATUS_RELAY_FILE);
  writeFileAtomic(path, STATUS_RELAY_SCRIPT, RELAY_MODE);
  return path;
}
