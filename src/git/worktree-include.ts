import { constants, lstatSync } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { failure, type Result } from '../protocol/result.js';
import type { GitErrorCode, GitRunner } from './git-runner.js';

/**
 * `.worktreeinclude`: the untracked files a new worktree should get a copy of — configuration such
 * as `.env` that git does not carry into a new checkout (the convention of Claude Code's desktop
 * app). The patterns are gitignore syntax and git itself matches them; only files that match AND are
 * not tracked are copied (a tracked file is in the checkout already).
 */

export const WORKTREE_INCLUDE_FILE = '.worktreeinclude';

/**
 * Copies the files `.worktreeinclude` names from `repoRoot` into `worktreePath` at the same relative
 * paths, modes kept. Only regular files are copied, and no symlink is followed — neither in the
 * repository (a link out of it would copy what is outside) nor in the worktree (a checked-out link
 * would write outside it). A file already present in the worktree is left as it is.
 */
export async function copyIncludedFiles(
  git: GitRunner,
  repoRoot: string,
  worktreePath: string,
): Promise<Result<{ copied: string[] }, GitErrorCode | 'INTERNAL'>> {
  const patterns = join(repoRoot, WORKTREE_INCLUDE_FILE);
  if (lstatSync(patterns, { throwIfNoEntry: false })?.isFile() !== true) return { ok: true, copied: [] };
  // --others --ignored with only these patterns: the untracked files they match (.gitignore plays no
  // part). git lists a symlink as a file and never descends into a linked directory.
  const found = await git.expect(repoRoot, [
    'ls-files',
    '--others',
    '--ignored',
    `--exclude-from=${patterns}`,
    '-z',
  ]);
  if (!found.ok) return found;
  const copied: string[] = [];
  for (const path of found.out.split('\0')) {
    if (!isPlainRelative(path)) continue;
    if (!realDirectories(repoRoot, path) || !realDirectories(worktreePath, path)) continue;
    try {
      if (await copyOne(join(repoRoot, path), join(worktreePath, path))) copied.push(path);
    } catch (error) {
      return failure(
        'INTERNAL',
        `could not copy ${path} (from ${WORKTREE_INCLUDE_FILE}) into ${worktreePath}: ${(error as Error).message}`,
      );
    }
  }
  return { ok: true, copied: copied.sort() };
}

/** A path git listed, relative and without `.`/`..` steps or a trailing `/` (a nested repository). */
function isPlainRelative(path: string): boolean {
  if (path === '' || isAbsolute(path) || path.endsWith('/')) return false;
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** Every directory on the way from `root` to `path` is a real directory (or not there yet), not a link. */
function realDirectories(root: string, path: string): boolean {
  const parts = path.split('/').slice(0, -1);
  let dir = root;
  for (const part of parts) {
    dir = join(dir, part);
    const stat = lstatSync(dir, { throwIfNoEntry: false });
    if (stat === undefined) return true;
    if (!stat.isDirectory()) return false;
  }
  return true;
}

/**
 * Copies one file: the source opened without following a link and checked to be a regular file, the
 * target created new (never through a link, never over a file). Answers whether it was copied; a
 * source that vanished, is not a regular file, or a target already there is skipped.
 */
async function copyOne(source: string, target: string): Promise<boolean> {
  let input: FileHandle;
  try {
    input = await open(source, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ELOOP: a symlink; ENOENT: gone since git listed it; ENXIO: a socket.
    if (code === 'ELOOP' || code === 'ENOENT' || code === 'ENXIO') return false;
    throw error;
  }
  try {
    const stat = await input.stat();
    if (!stat.isFile()) return false;
    await mkdir(join(target, '..'), { recursive: true });
    const mode = stat.mode & 0o7777;
    let output: FileHandle;
    try {
      output = await open(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        mode,
      );
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      await copyContent(input, output);
      // The mode given to open() lost what the umask takes: set it exactly.
      await output.chmod(mode);
    } finally {
      await output.close();
    }
    return true;
  } finally {
    await input.close();
  }
}

/** Size of one read while copying (bytes). */
const CHUNK_BYTES = 256 * 1024;

async function copyContent(input: FileHandle, output: FileHandle): Promise<void> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (;;) {
    const { bytesRead } = await input.read(buffer, 0, CHUNK_BYTES, null);
    if (bytesRead === 0) return;
    let written = 0;
    while (written < bytesRead) {
      const { bytesWritten } = await output.write(buffer, written, bytesRead - written);
      written += bytesWritten;
    }
  }
}
