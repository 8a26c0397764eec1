import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { failure, type Result } from '../protocol/result.js';

/**
 * The repository's setup command (`.claudeman.json` `{"setup": "…"}`): what a new worktree needs
 * before work starts in it (install dependencies, generate files). It is a shell command line from
 * the repository, so it runs only once the user trusted that exact text: its hash is what trust is
 * stored under. Running it is the agent layer's (src/agent/workspace/setup-run.ts).
 */

export const REPO_CONFIG_FILE = '.claudeman.json';
const MAX_SETUP_CHARS = 10_000;
/** Largest `.claudeman.json` read (bytes): a settings file, not data. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export interface SetupCommand {
  readonly command: string;
  /** sha256 hex of the exact command: what the user's trust is stored under. */
  readonly hash: string;
}

export function hashSetupCommand(command: string): string {
  return createHash('sha256').update(command, 'utf8').digest('hex');
}

/**
 * The repository's setup command: null without `.claudeman.json` or without its `setup`;
 * INVALID_REPO_CONFIG when the file is not a JSON object or `setup` is not a command string.
 */
export function readSetupCommand(
  repoRoot: string,
): Result<{ setup: SetupCommand | null }, 'INVALID_REPO_CONFIG'> {
  const path = join(repoRoot, REPO_CONFIG_FILE);
  const read = readConfigText(path);
  if (!read.ok) return read;
  if (read.text === null) return { ok: true, setup: null };
  let config: unknown;
  try {
    config = JSON.parse(read.text);
  } catch (error) {
    return failure('INVALID_REPO_CONFIG', `${path} is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return failure('INVALID_REPO_CONFIG', `${path} is not a JSON object`);
  }
  if (!Object.hasOwn(config, 'setup')) return { ok: true, setup: null };
  const setup = (config as Record<string, unknown>).setup;
  if (typeof setup !== 'string' || setup.trim() === '' || setup.length > MAX_SETUP_CHARS) {
    return failure(
      'INVALID_REPO_CONFIG',
      `"setup" in ${path} must be a non-empty command string of at most ${MAX_SETUP_CHARS} characters`,
    );
  }
  return { ok: true, setup: { command: setup, hash: hashSetupCommand(setup) } };
}

/** The file's text; null when there is no such file. */
function readConfigText(path: string): Result<{ text: string | null }, 'INVALID_REPO_CONFIG'> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: true, text: null };
    return failure('INVALID_REPO_CONFIG', `${path} cannot be read: ${(error as Error).message}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return failure('INVALID_REPO_CONFIG', `${path} is not a file`);
    if (stat.size > MAX_CONFIG_BYTES) {
      return failure('INVALID_REPO_CONFIG', `${path} is larger than ${MAX_CONFIG_BYTES} bytes`);
    }
    const buffer = Buffer.alloc(stat.size);
    const length = readSync(fd, buffer, 0, stat.size, 0);
    return { ok: true, text: buffer.subarray(0, length).toString('utf8') };
  } catch (error) {
    return failure('INVALID_REPO_CONFIG', `${path} cannot be read: ${(error as Error).message}`);
  } finally {
    closeSync(fd);
  }
}
