import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The built bin, as npm installs it (`npm test` builds first). */
const BIN = fileURLToPath(new URL('../../dist/cli/sticky-overseer.js', import.meta.url));
const NEVER_EXITS = fileURLToPath(new URL('../fixtures/never-exits.sh', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
}

async function connect(url: string): Promise<WebSocket> {
  for (let attempt = 0; ; attempt++) {
    try {
      const ws = new WebSocket(url);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      return ws;
    } catch (error) {
      if (attempt > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function nextMessage(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(data.toString()) as Record<string, unknown>;
      if (message.type !== type) return;
      ws.off('message', onMessage);
      resolve(message);
    };
    ws.on('message', onMessage);
  });
}

describe('sticky-overseer bin', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: ChildProcess | null = null;

  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(async () => {
    if (server !== null && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server?.once('exit', resolve));
    }
    server = null;
    temp.remove();
  });

  it('prints -version and -help and exits 0; an unknown flag exits 2 with usage', () => {
    const version = run(['-version']);
    expect(version.status).toBe(0);
    expect(version.stdout).toMatch(/^sticky-overseer \d+\.\d+\.\d+ \(protocol 1\.0\.0\)\n$/);
    const help = run(['-help']);
    expect(help.status).toBe(0);
    for (const name of ['-command', '-db', '-version', '-help', 'OVERSEER_PORT', 'OVERSEER_TRUSTED_CIDRS']) {
      expect(help.stdout).toContain(name);
    }
    const bad = run(['-nope']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('flag provided but not defined: -nope');
  });

  it('refuses invalid trusted CIDRs at start-up with the original message', () => {
    const result = run([], { OVERSEER_TRUSTED_CIDRS: '127.0.0.1, 10.0.0.0/33', OVERSEER_PORT: '0' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid CIDR in trusted CIDRs: 10.0.0.0/33');
  });

  it('serves /ws on OVERSEER_PORT with -db, -command and the event log; SIGTERM stops every worker', async () => {
    const port = await freePort();
    const logFile = `${temp.path}/events.jsonl`;
    server = spawn(process.execPath, [BIN, '-db', `${temp.path}/state.db`, '-command', NEVER_EXITS], {
      env: {
        ...process.env,
        OVERSEER_PORT: String(port),
        OVERSEER_LOG_FILE: logFile,
        OVERSEER_DB: '/nonexistent/x.db',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const ws = await connect(`ws://127.0.0.1:${port}/ws`);
    const output = nextMessage(ws, 'output');
    ws.send(JSON.stringify({ type: 'start', id: 'a' }));
    const started = await nextMessage(ws, 'started');
    expect(started).toMatchObject({ type: 'started', id: 'a' });
    expect(await output).toMatchObject({ type: 'output', data: `ready ${started.pid}` });
    ws.send(JSON.stringify({ type: 'start', command: '/bin/true', id: 'b' }));
    expect(await nextMessage(ws, 'error')).toEqual({
      type: 'error',
      id: 'b',
      message: `command must be ${JSON.stringify(NEVER_EXITS)} (pinned)`,
    });

    const exited = new Promise<number | null>((resolve) => server?.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    await pollUntil(() => !processExists(Number(started.pid)), 'the worker to be gone');
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    const types = lines.map((line) => (JSON.parse(line) as { type: string }).type);
    expect(types[0]).toBe('started');
    expect(types).toContain('output');
    expect(types.at(-1)).toBe('exited');
    ws.terminate();
  });
});
