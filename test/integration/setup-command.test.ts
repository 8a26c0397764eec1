// The repository's setup command: read from `.claudeman.json` (a broken file is a clear failure, an
// absent one none), and run for real with /bin/sh in its own process group — output, exit code,
// environment, and the whole group ended at the timeout.
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runSetupCommand } from '../../src/agent/workspace/setup-run.js';
import { hashSetupCommand, readSetupCommand } from '../../src/git/repo-config.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temps: { remove(): void }[] = [];
const pids: number[] = [];

afterEach(() => {
  for (const pid of pids.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  for (const temp of temps.splice(0)) temp.remove();
});

function tempDir(): string {
  const temp = makeTempDir('git-setup-command-');
  temps.push(temp);
  return realpathSync(temp.path);
}

/** Whether the process runs (a zombie no longer does: some containers' PID 1 never reaps them). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

function collect(): { text: () => string; onOutput: (text: string) => void } {
  const parts: string[] = [];
  return { text: () => parts.join(''), onOutput: (text) => parts.push(text) };
}

describe('readSetupCommand', () => {
  it('answers null without the file, or without its setup key', () => {
    const repo = tempDir();
    expect(readSetupCommand(repo)).toEqual({ ok: true, setup: null });
    writeFileSync(join(repo, '.claudeman.json'), '{"other": 1}');
    expect(readSetupCommand(repo)).toEqual({ ok: true, setup: null });
  });

  it('answers the command and the sha256 of its exact text', () => {
    const repo = tempDir();
    writeFileSync(join(repo, '.claudeman.json'), JSON.stringify({ setup: 'npm ci && npm run build ' }));
    expect(readSetupCommand(repo)).toEqual({
      ok: true,
      setup: { command: 'npm ci && npm run build ', hash: hashSetupCommand('npm ci && npm run build ') },
    });
    // The exact text: one space more is another command.
    expect(hashSetupCommand('npm ci && npm run build')).not.toBe(
      hashSetupCommand('npm ci && npm run build '),
    );
    // The sha256 test vector of "abc".
    expect(hashSetupCommand('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it.each([
    ['not JSON', '{"setup": '],
    ['not an object', '["npm ci"]'],
    ['setup not a string', '{"setup": ["npm", "ci"]}'],
    ['setup empty', '{"setup": "  "}'],
    ['setup too long', JSON.stringify({ setup: 'x'.repeat(10_001) })],
  ])('refuses a file with %s', (_what, text) => {
    const repo = tempDir();
    writeFileSync(join(repo, '.claudeman.json'), text);
    const read = readSetupCommand(repo);
    expect(!read.ok && read.code).toBe('INVALID_REPO_CONFIG');
    expect(!read.ok && read.message).toContain('.claudeman.json');
  });
});

describe('runSetupCommand', () => {
  it('hands on stdout and stderr, answers the exit code, and sets the environment', async () => {
    const cwd = tempDir();
    const output = collect();
    const run = runSetupCommand({
      command:
        'echo out; echo err >&2; pwd; echo "$CLAUDEMAN_WORKTREE|$CLAUDEMAN_REPO_ROOT"; read x; echo "stdin:$?"',
      cwd,
      repoRoot: '/the/repo',
      onOutput: output.onOutput,
    });
    expect(await run.done).toEqual({ exitCode: 0, signal: null, timedOut: false });
    const text = output.text();
    expect(text).toContain('out\n');
    expect(text).toContain('err\n');
    expect(text).toContain(`${cwd}\n`);
    expect(text).toContain(`${cwd}|/the/repo\n`);
    // stdin is closed: read meets its end at once.
    expect(text).toContain('stdin:1\n');
  });

  it('answers the non-zero code of a failing command', async () => {
    const run = runSetupCommand({
      command: 'echo failing; exit 7',
      cwd: tempDir(),
      repoRoot: '/r',
      onOutput: () => {},
    });
    expect(await run.done).toEqual({ exitCode: 7, signal: null, timedOut: false });
  });

  it('ends the whole process group at the timeout', async () => {
    const output = collect();
    const started = Date.now();
    const run = runSetupCommand({
      command: 'sleep 30 & echo "child:$!"; sleep 30',
      cwd: tempDir(),
      repoRoot: '/r',
      timeoutMs: 300,
      onOutput: output.onOutput,
    });
    const ended = await run.done;
    const child = Number(/child:(\d+)/.exec(output.text())?.[1]);
    pids.push(child);
    expect(ended.timedOut).toBe(true);
    expect(ended.exitCode).toBeNull();
    expect(ended.signal).toBe('SIGTERM');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(child).toBeGreaterThan(0);
    expect(running(child)).toBe(false);
  });

  it('ends the group on stop(), SIGKILL for what ignores SIGTERM', async () => {
    const output = collect();
    const run = runSetupCommand({
      command: `sh -c 'trap "" TERM; echo "child:$$"; sleep 30' & sleep 30`,
      cwd: tempDir(),
      repoRoot: '/r',
      graceMs: 200,
      onOutput: output.onOutput,
    });
    for (let i = 0; i < 100 && !/child:\d+/.test(output.text()); i++)
      await new Promise((r) => setTimeout(r, 20));
    const child = Number(/child:(\d+)/.exec(output.text())?.[1]);
    pids.push(child);
    run.stop();
    const ended = await run.done;
    expect(ended.timedOut).toBe(false);
    expect(ended.exitCode).toBeNull();
    expect(running(child)).toBe(false);
  });

  it('reports a directory it cannot start in', async () => {
    const output = collect();
    const run = runSetupCommand({
      command: 'true',
      cwd: '/nonexistent/dir',
      repoRoot: '/r',
      onOutput: output.onOutput,
    });
    const ended = await run.done;
    expect(ended.exitCode).toBeNull();
    expect(output.text()).toContain('could not be started');
  });
});
