import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CLI, ROOT, runCli } from './cli-helpers.js';

let web: ChildProcess | null = null;
const temps: { remove(): void }[] = [];

afterEach(() => {
  if (web !== null && web.exitCode === null) web.kill('SIGKILL');
  web = null;
  for (const temp of temps.splice(0)) temp.remove();
});

function startWeb(dataDir: string): Promise<string> {
  const child = spawn(process.execPath, [CLI, 'web', '-p', '0', '--data-dir', dataDir], {
    cwd: ROOT,
    env: {
      ...process.env,
      CLAUDEMAN_TOKEN: '',
      CLAUDEMAN_LOG_LEVEL: 'silent',
      CLAUDEMAN_CASES_DIR: join(dataDir, 'cases'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  web = child;
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = /Claudeman listening on (\S+)/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`web exited with ${code}: ${output}`)));
  });
}

describe('finding the server through the data directory', { timeout: 120_000 }, () => {
  it('uses server.json and the token file that `claudeman web` leaves, and removes server.json on exit', async () => {
    const temp = makeTempDir('claudeman-cli-');
    temps.push(temp);
    const dataDir = join(temp.path, 'data');
    const shown = await startWeb(dataDir);
    const serverFile = join(dataDir, 'server.json');
    const info = JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string; pid: number };
    expect(info.pid).toBe(web?.pid);
    expect(shown.startsWith(`${info.url}/?token=`)).toBe(true);

    const status = await runCli(['status', '--json', '--data-dir', dataDir]);
    expect(status.code, status.stderr).toBe(0);
    expect((JSON.parse(status.stdout) as { sessions: unknown[] }).sessions).toEqual([]);
    // The environment works as the flag does.
    const viaEnv = await runCli(['session', 'list'], { CLAUDEMAN_HOME: dataDir });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(viaEnv.stdout).toContain('no sessions');

    const exited = new Promise((resolve) => web?.once('exit', resolve));
    web?.kill('SIGTERM');
    await exited;
    expect(existsSync(serverFile)).toBe(false);
    const after = await runCli(['status', '--data-dir', dataDir]);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('server not running: start it with `claudeman web`');
  });
});
