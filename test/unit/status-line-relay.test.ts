import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installHookRelay } from '../../src/agent/claude/hooks/relay-script.js';
import { statusRelayPathBeside } from '../../src/agent/claude/hooks/status-relay-script.js';
import { HOOK_SECRET_HEADER } from '../../src/server/rest/routes/hooks.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * The status-line relay as Claude Code runs it (`node status-relay.mjs <url> <secret file>`, the status
 * JSON on stdin), against a real loopback server and real settings files: it posts the JSON and prints
 * the user's own status line (chained) or its own.
 */
describe('status line relay', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: Server;
  let received: { url: string; headers: IncomingHttpHeaders; body: string }[];
  let url: string;
  let relayPath: string;
  let secretFile: string;
  let home: string;
  let configDir: string;
  let project: string;

  beforeEach(async () => {
    temp = makeTempDir('status-relay-');
    received = [];
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ url: request.url ?? '', headers: request.headers, body });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/hooks/s1/status`;
    relayPath = statusRelayPathBeside(installHookRelay(join(temp.path, 'data')));
    secretFile = join(temp.path, 'hook-secret');
    writeFileSync(secretFile, 'the-secret\n', { mode: 0o600 });
    home = join(temp.path, 'home');
    configDir = join(temp.path, 'config');
    project = join(temp.path, 'project');
    for (const dir of [join(home, '.claude'), configDir, join(project, '.claude')])
      mkdirSync(dir, { recursive: true });
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    temp.remove();
  });

  const status = () =>
    JSON.stringify({
      session_id: 'conv-1',
      model: { id: 'claude-opus-4-8[1m]', display_name: 'Opus 4.8 (1M context)' },
      workspace: { current_dir: project, project_dir: project, added_dirs: [] },
      cost: { total_cost_usd: 0.00915 },
      context_window: { used_percentage: 3.4 },
    });

  const settings = (file: string, value: unknown) => writeFileSync(file, JSON.stringify(value));
  const statusLine = (command: string) => ({ statusLine: { type: 'command', command } });

  function relay(
    options: { env?: Record<string, string>; to?: string; secret?: string } = {},
  ): Promise<{ code: number | null; stdout: string; ms: number }> {
    const started = Date.now();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: home, ...options.env };
    const child = spawn(process.execPath, [relayPath, options.to ?? url, options.secret ?? secretFile], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env,
      cwd: temp.path,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stdin.end(status());
    return new Promise((resolve) =>
      child.once('close', (code) => resolve({ code, stdout, ms: Date.now() - started })),
    );
  }

  it('is the owner’s only; posts the status JSON with the secret; without a user status line prints its own', async () => {
    expect(statSync(relayPath).mode & 0o777).toBe(0o700);
    const result = await relay();
    expect(result).toMatchObject({ code: 0, stdout: 'Opus 4.8 (1M context) · $0.0092 · ctx 3%\n' });
    expect(received).toHaveLength(1);
    expect(received[0]?.url).toBe('/api/hooks/s1/status');
    expect(received[0]?.headers[HOOK_SECRET_HEADER]).toBe('the-secret');
    expect(received[0]?.body).toBe(status());
  });

  it('chains the user’s statusLine: same stdin, its stdout printed unchanged', async () => {
    const seen = join(temp.path, 'seen.json');
    settings(
      join(configDir, 'settings.json'),
      statusLine(`cat > '${seen}'; printf 'USER-STATUS-OK\\nsecond line\\n'`),
    );
    const result = await relay({ env: { CLAUDE_CONFIG_DIR: configDir } });
    expect(result).toMatchObject({ code: 0, stdout: 'USER-STATUS-OK\nsecond line\n' });
    expect(readFileSync(seen, 'utf8')).toBe(status());
    expect(received).toHaveLength(1);
  });

  it('finds the user settings in ~/.claude without CLAUDE_CONFIG_DIR, and only there with it', async () => {
    settings(join(home, '.claude', 'settings.json'), statusLine('echo FROM-HOME'));
    expect((await relay()).stdout).toBe('FROM-HOME\n');
    expect((await relay({ env: { CLAUDE_CONFIG_DIR: configDir } })).stdout).toMatch(/^Opus 4\.8/);
  });

  it('lets the project’s settings override the user’s, and the local ones both, key by key', async () => {
    settings(join(configDir, 'settings.json'), statusLine('echo USER'));
    const env = { CLAUDE_CONFIG_DIR: configDir };
    settings(join(project, '.claude', 'settings.json'), statusLine('echo PROJECT'));
    expect((await relay({ env })).stdout).toBe('PROJECT\n');
    // Only `command`: the `type` still comes from the files below.
    settings(join(project, '.claude', 'settings.local.json'), { statusLine: { command: 'echo LOCAL' } });
    expect((await relay({ env })).stdout).toBe('LOCAL\n');
    // A file that is not JSON counts for nothing.
    writeFileSync(join(project, '.claude', 'settings.local.json'), '{ not json');
    expect((await relay({ env })).stdout).toBe('PROJECT\n');
    // Another type of status line is none the relay can run.
    settings(join(project, '.claude', 'settings.json'), { statusLine: { type: 'static' } });
    expect((await relay({ env })).stdout).toMatch(/^Opus 4\.8/);
  });

  it('prints nothing for a user command that fails, as the CLI would have shown nothing', async () => {
    settings(join(configDir, 'settings.json'), statusLine('echo half; exit 3'));
    expect(await relay({ env: { CLAUDE_CONFIG_DIR: configDir } })).toMatchObject({ code: 0, stdout: '' });
  });

  it('does not chain itself: a user command that is the relay again prints the relay’s own line', async () => {
    const again = `'${process.execPath}' '${relayPath}' '${url}' '${secretFile}'`;
    settings(join(configDir, 'settings.json'), statusLine(again));
    const result = await relay({ env: { CLAUDE_CONFIG_DIR: configDir } });
    expect(result).toMatchObject({ code: 0, stdout: 'Opus 4.8 (1M context) · $0.0092 · ctx 3%\n' });
  });

  it('still prints and exits 0 at once when the server is gone or the session deleted', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const gone = await relay({ to: `http://127.0.0.1:${port}/api/hooks/s1/status` });
    expect(gone).toMatchObject({ code: 0, stdout: 'Opus 4.8 (1M context) · $0.0092 · ctx 3%\n' });
    expect(gone.ms).toBeLessThan(2_000);
    const deleted = await relay({ secret: join(temp.path, 'no-such-secret') });
    expect(deleted).toMatchObject({ code: 0 });
    expect(deleted.stdout).toMatch(/^Opus/);
    expect(received).toEqual([]);
  });

  it('never holds the CLI up: a user command that hangs is ended with its children', async () => {
    const pidFile = join(temp.path, 'sleeper.pid');
    settings(join(configDir, 'settings.json'), statusLine(`sleep 60 & echo $! > '${pidFile}'; wait`));
    const result = await relay({ env: { CLAUDE_CONFIG_DIR: configDir } });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.ms).toBeLessThan(9_000);
    expect(received).toHaveLength(1);
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(sleeper, 0);
        return true;
      } catch {
        return false;
      }
    };
    const deadline = Date.now() + 2_000;
    while (alive() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive()).toBe(false);
    expect(existsSync(pidFile)).toBe(true);
  }, 15_000);
});
