import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  HOOK_SECRET_FILE,
  SESSIONS_DIR,
  SETTINGS_FILE,
} from '../../src/agent/claude/hooks/session-hook-files.js';
import type { SessionSignal } from '../../src/agent/session/session-signals.js';
import type { TerminalHostSetting } from '../../src/server/claudeman-config.js';
import { type ClaudemanTestServer, FAKE_CLAUDE, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

/**
 * The sessions' hook secrets stay off every command line (readable by every local user in
 * /proc/<pid>/cmdline): the CLI gets `--settings <file>`, the hook command names the secret's file.
 * Both files are the owner's only, and the hooks still reach the server.
 */

/** The command line of every process that can be read now, by pid (NULs between the words). */
function commandLines(): Map<number, string> {
  const lines = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    try {
      lines.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
    } catch {
      // Ended between the listing and the read.
    }
  }
  return lines;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

async function createSession(server: ClaudemanTestServer): Promise<string> {
  const body = (await (await server.send('POST', '/api/sessions', {})).json()) as { session: { id: string } };
  return body.session.id;
}

describe('hook secrets and settings files', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  const hosts: TerminalHostSetting[] = TMUX_TESTS ? ['pty', 'tmux'] : ['pty'];
  for (const terminalHost of hosts) {
    it(`interactive (${terminalHost}): no command line holds the secret, the settings file is 0600, hooks arrive`, async () => {
      server = await startClaudeman({
        terminalHost,
        env: { ...process.env, FAKE_CLAUDE_WORK_MS: '100', FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
      });
      const id = await createSession(server);
      const session = server.running.sessions.get(id);
      if (session === undefined) throw new Error('no session');
      const hookSignals: string[] = [];
      session.onSignal((signal: SessionSignal) => {
        if ((signal.kind === 'idle' || signal.kind === 'working') && signal.source === 'hook')
          hookSignals.push(signal.kind);
      });
      expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
      await pollUntil(() => session.terminal.toString().includes('❯'), 'the prompt');

      // Nothing running on this machine has the secret on its command line.
      for (const [pid, line] of commandLines())
        expect(line.includes(session.hookSecret), `pid ${pid}`).toBe(false);
      // The CLI got the settings as a file in the session's private directory.
      const dir = join(server.dataDir, SESSIONS_DIR, id);
      const settingsPath = join(dir, SETTINGS_FILE);
      const cli = [...commandLines()].filter(
        ([, line]) => line.includes(FAKE_CLAUDE) && line.includes(settingsPath),
      );
      expect(cli).toHaveLength(1);
      expect(cli[0]?.[1].split('\0')).toContain('--settings');
      expect(cli[0]?.[1].split('\0')).toContain(settingsPath);
      // Nor will a hook's `sh -c <command>`: the settings name the secret's file, not the secret.
      const settings = readFileSync(settingsPath, 'utf8');
      expect(settings).not.toContain(session.hookSecret);
      expect(settings).toContain(join(dir, HOOK_SECRET_FILE));
      expect(readFileSync(join(dir, HOOK_SECRET_FILE), 'utf8').trim()).toBe(session.hookSecret);
      expect(mode(settingsPath)).toBe(0o600);
      expect(mode(join(dir, HOOK_SECRET_FILE))).toBe(0o600);
      expect(mode(dir)).toBe(0o700);
      expect(mode(join(server.dataDir, SESSIONS_DIR))).toBe(0o700);

      // The hooks, reading the secret from its file, still reach the server.
      expect(
        (await server.send('POST', `/api/sessions/${id}/input`, { input: 'hello hooks\r' })).status,
      ).toBe(200);
      await pollUntil(() => hookSignals.includes('idle'), 'a Stop hook to reach the server', 10_000);
      expect(hookSignals).toEqual(['working', 'idle']);

      // Deleting the session removes its files.
      expect((await server.send('DELETE', `/api/sessions/${id}`)).status).toBe(200);
      expect(existsSync(dir)).toBe(false);
    });
  }

  it('one-shot run: the CLI’s command line holds no secret and no settings', async () => {
    server = await startClaudeman();
    const id = await createSession(server);
    const session = server.running.sessions.get(id);
    if (session === undefined) throw new Error('no session');
    expect(
      (await server.send('POST', `/api/sessions/${id}/run`, { prompt: 'never ends [[hang]]' })).status,
    ).toBeLessThan(300);
    const pid = session.pid;
    if (pid === null) throw new Error('no CLI process');
    const line = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    expect(line).toContain(FAKE_CLAUDE);
    expect(line).not.toContain(session.hookSecret);
    expect(line).not.toContain('hooks');
    for (const [other, text] of commandLines()) {
      expect(text.includes(session.hookSecret), `pid ${other}`).toBe(false);
    }
    await session.stop();
  });

  it.skipIf(!TMUX_TESTS)(
    'a restart rewrites an adopted agent’s settings with the new address and drops those of unknown sessions',
    async () => {
      const temp = makeTempDir('hook-files-');
      try {
        const dataDir = join(temp.path, 'data');
        server = await startClaudeman({ dataDir, terminalHost: 'tmux' });
        const id = await createSession(server);
        expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
        const settingsPath = join(dataDir, SESSIONS_DIR, id, SETTINGS_FILE);
        const firstPort = server.port;
        expect(readFileSync(settingsPath, 'utf8')).toContain(`http://127.0.0.1:${firstPort}/api/hooks/`);
        await server.close({ keepSessions: true });
        server = null;
        // As if written for a server on another port, with a looser mode: the next start must
        // rewrite it (whatever port the OS gives it).
        const written = readFileSync(settingsPath, 'utf8');
        writeFileSync(settingsPath, written.replaceAll(`127.0.0.1:${firstPort}/`, '127.0.0.1:1/'));
        chmodSync(settingsPath, 0o644);
        // Files of a session that is not in the store (say, left by a crash during a delete).
        const stray = join(dataDir, SESSIONS_DIR, 'not-a-session');
        mkdirSync(stray);
        writeFileSync(join(stray, SETTINGS_FILE), '{}');

        server = await startClaudeman({ dataDir, terminalHost: 'tmux' });
        expect(server.running.sessions.recovery.adopted).toBe(1);
        const rewritten = readFileSync(settingsPath, 'utf8');
        expect(rewritten).toContain(`http://127.0.0.1:${server.port}/api/hooks/`);
        expect(rewritten).not.toContain('127.0.0.1:1/');
        expect(mode(settingsPath)).toBe(0o600);
        expect(existsSync(stray)).toBe(false);
      } finally {
        await server?.close();
        server = null;
        temp.remove();
      }
    },
  );
});
