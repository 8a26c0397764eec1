import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../../../util/private-file.js';
import { CURRENT_URL_FUNCTION } from './relay-snippets.js';
import { installStatusRelay } from './status-relay-script.js';

/**
 * The program Claude Code runs for each hook: it reads the hook's JSON from stdin and posts it to the
 * server with the session's secret. It must never hold the agent up or fail it: it gives up after a
 * short timeout and always exits 0. Plain Node, no dependencies, written to the data directory at
 * start-up so it works the same from the sources and from an installed package.
 */
const HOOK_RELAY_SCRIPT = `#!/usr/bin/env node
// Claudeman hook relay: argv = <url> <secret file>. Posts the hook payload (stdin) to the server with
// the secret read from the file: on a command line every local user could read it. (Agents started
// by older versions pass the secret itself, which never starts with '/'.)
// An agent can outlive the server that started it (tmux), and the next server may listen elsewhere:
// the address in server.json next to this script (the running server's) is tried first.
import { readFileSync } from 'node:fs';
const [url, secretArg = ''] = process.argv.slice(2);
const TIMEOUT_MS = 3000;
const MAX_BYTES = 256 * 1024;
let body = '';
const done = () => process.exit(0);
setTimeout(done, TIMEOUT_MS).unref();
let secret = secretArg;
if (secretArg.startsWith('/')) {
  try {
    secret = readFileSync(secretArg, 'utf8').trim();
  } catch {
    // The session was deleted meanwhile: nothing to report to.
    done();
  }
}
${CURRENT_URL_FUNCTION}
const post = (to) =>
  fetch(to, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-claudeman-hook-secret': secret },
    body: body.slice(0, MAX_BYTES) || '{}',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (body.length < MAX_BYTES) body += chunk;
});
process.stdin.on('end', () => {
  const first = currentUrl();
  post(first)
    .catch(() => (first === url ? undefined : post(url)))
    .then(done, done);
});
`;

export const HOOK_RELAY_FILE = 'hook-relay.mjs';

/** The relay is the owner's program only: it handles the sessions' secrets. */
const RELAY_MODE = 0o700;

/**
 * Writes the relay into `dir` and returns its path, with the status-line relay beside it (see
 * status-relay-script.ts; the hook settings name both). It replaces an older copy atomically: agents
 * adopted from tmux may be running it at that moment.
 */
export function installHookRelay(dir: string): string {
  ensurePrivateDir(dir);
  const path = join(dir, HOOK_RELAY_FILE);
  writeFileAtomic(path, HOOK_RELAY_SCRIPT, RELAY_MODE);
  installStatusRelay(dir);
  return path;
}
