// `npm start` puts this package's node_modules/.bin first on PATH, where the Claude Code CLI pinned for
// our tests lives. The server must run the user's `claude` (later on PATH) instead, say which one in
// its start-up banner, and hand its agents a PATH without the package's own tools.
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_CLAUDE } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CLI, ROOT } from './cli-helpers.js';

const OWN_BIN = join(ROOT, 'node_modules', '.bin');
let web: ChildProcess | null = null;
const temps: { remove(): void }[] = [];

afterEach(() => {
  if (web !== null && web.exitCode === null) web.kill('SIGTERM');
  web = null;
  for (const temp of temps.splice(0)) temp.remove();
});

/** Starts `claudeman web` as `npm start` would see PATH; resolves with stdout once `until` matches. */
function startWeb(dataDir: string, path: string, until: RegExp): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'web', '-p', '0', '--data-dir', dataDir, '--no-open'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PATH: path,
      CLAUDEMAN_TOKEN: 'claude-on-path-token',
      CLAUDEMAN_LOG_LEVEL: 'silent',
      CLAUDEMAN_CASES_DIR: join(dataDir, 'cases'),
      CLAUDEMAN_CLAUDE_BIN: '',
      FAKE_CLAUDE_VERSION: '9.9.9-user',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  web = child;
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      if (until.test(output)) resolve(output);
    });
    child.once('exit', (code) => reject(new Error(`web exited with ${code}: ${output}`)));
  });
}

describe('the claude CLI that sessions run', { timeout: 60_000 }, () => {
  it("is the user's, not the package's pinned test copy; the banner names it with its version", async () => {
    expect(existsSync(join(OWN_BIN, 'claude')), 'the pinned dev copy is installed').toBe(true);
    const temp = makeTempDir('claude-on-path-');
    temps.push(temp);
    // The user's `claude`: records how it was started (its PATH), then is the fake CLI.
    const userBin = join(temp.path, 'user-bin');
    mkdirSync(userBin);
    const seen = join(temp.path, 'seen-path');
    writeFileSync(
      join(userBin, 'claude'),
      `#!/bin/sh\nprintf '%s\\n' "$PATH" > '${seen}'\nexec '${FAKE_CLAUDE}' "$@"\n`,
    );
    chmodSync(join(userBin, 'claude'), 0o755);
    const path = [OWN_BIN, join(ROOT, '..', 'node_modules', '.bin'), userBin, process.env.PATH].join(
      delimiter,
    );

    const output = await startWeb(join(temp.path, 'data'), path, /Claude Code: .*\n/);
    expect(output).toContain(`Claude Code: ${join(userBin, 'claude')} (9.9.9-user)\n`);
    const url = /Claudeman listening on (http:\/\/[^/]+)\//.exec(output)?.[1];
    expect(url).toBeDefined();

    // A session's run starts the user's CLI, with a PATH free of the package's own tools.
    const headers = { authorization: 'Bearer claude-on-path-token', 'content-type': 'application/json' };
    const created = await fetch(`${url}/api/sessions`, { method: 'POST', headers, body: '{}' });
    const { session } = (await created.json()) as { session: { id: string } };
    const run = await fetch(`${url}/api/sessions/${session.id}/run`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ prompt: 'hello' }),
    });
    expect(run.status).toBe(200);
    await pollUntil(() => existsSync(seen), "the user's claude to be started");
    const childPath = readFileSync(seen, 'utf8').trim().split(delimiter);
    expect(childPath).not.toContain(OWN_BIN);
    expect(childPath).toContain(userBin);
  });

  it('says so in the banner when there is no claude at all', async () => {
    const temp = makeTempDir('claude-on-path-');
    temps.push(temp);
    // Only the package's own bin directory and the system's: the pinned copy must not count.
    const output = await startWeb(
      join(temp.path, 'data'),
      `${OWN_BIN}${delimiter}/usr/bin:/bin`,
      /Claude Code: .*\n/,
    );
    expect(output).toMatch(/Claude Code: claude CLI not found on PATH: install it with/);
  });
});
