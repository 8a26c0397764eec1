import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { GitRunner } from './git-runner.js';
import { inspectRepository } from './repository.js';

/**
 * The worktrees of ours on disk, whatever the database says: everything under the worktrees
 * directory (`<repository dir>/<leaf>`) whose `.git` file points into a repository's
 * `<git dir>/worktrees/`. So worktrees left by sessions that are gone (or by an older database) can
 * be listed and pruned.
 */

export interface FoundWorktree {
  readonly path: string;
  /** The main repository's top directory. */
  readonly repoRoot: string;
  /** The checked-out branch; null on a detached HEAD (or when git cannot read the worktree). */
  readonly branch: string | null;
  /** Uncommitted changes, untracked files included (true also when git cannot tell). */
  readonly dirty: boolean;
}

/** How many worktrees are asked about at once (each costs a git call or two). */
const PARALLEL = 8;

/** Every worktree of ours under `worktreesDir`. Never throws; a missing directory has none. */
export async function scanWorktrees(git: GitRunner, worktreesDir: string): Promise<FoundWorktree[]> {
  let root: string;
  try {
    root = realpathSync(worktreesDir);
  } catch {
    return [];
  }
  const leaves: string[] = [];
  for (const repoDir of subdirectories(root)) {
    for (const leaf of subdirectories(join(root, repoDir))) leaves.push(join(root, repoDir, leaf));
  }
  const found: FoundWorktree[] = [];
  for (let i = 0; i < leaves.length; i += PARALLEL) {
    const batch = await Promise.all(leaves.slice(i, i + PARALLEL).map((leaf) => describe(git, leaf)));
    for (const tree of batch) if (tree !== null) found.push(tree);
  }
  return found;
}

/** Directories (not links) of `dir`, but scratch ones (names starting with "."), by name. */
function subdirectories(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}

async function describe(git: GitRunner, path: string): Promise<FoundWorktree | null> {
  try {
    const commonDir = commonDirOf(path);
    if (commonDir === null) return null;
    const inspected = await inspectRepository(git, path);
    // git no longer knows the worktree (its record was pruned): the repository is still the one
    // its `.git` file names.
    const repoRoot = inspected.ok ? inspected.repoRoot : repoRootOf(commonDir);
    if (repoRoot === null) return null;
    const status = await git.run(path, [
      'status',
      '--porcelain=v2',
      '--branch',
      '-z',
      '--untracked-files=all',
    ]);
    if (!status.ok || status.code !== 0) return { path, repoRoot, branch: null, dirty: true };
    return { path, repoRoot, ...readStatus(status.stdout) };
  } catch {
    return null;
  }
}

/** `gitdir: <git dir>/worktrees/<name>` in the leaf's `.git` file → `<git dir>`; null for anything else. */
function commonDirOf(path: string): string | null {
  const dotGit = join(path, '.git');
  if (lstatSync(dotGit, { throwIfNoEntry: false })?.isFile() !== true) return null;
  const line = readFileSync(dotGit, 'utf8').split('\n')[0]?.trim() ?? '';
  if (!line.startsWith('gitdir: ')) return null;
  const target = line.slice('gitdir: '.length);
  const gitDir = isAbsolute(target) ? target : resolve(path, target);
  if (basename(dirname(gitDir)) !== 'worktrees') return null;
  return dirname(dirname(gitDir));
}

/** The work tree of a git directory named `.git`; null for another (a bare one has none). */
function repoRootOf(commonDir: string): string | null {
  if (basename(commonDir) !== '.git') return null;
  try {
    return realpathSync(dirname(commonDir));
  } catch {
    return dirname(commonDir);
  }
}

/** The branch and dirtiness from `git status --porcelain=v2 --branch -z`. */
function readStatus(output: string): { branch: string | null; dirty: boolean } {
  let branch: string | null = null;
  let dirty = false;
  for (const field of output.split('\0')) {
    if (field.startsWith('# branch.head ')) {
      const head = field.slice('# branch.head '.length);
      branch = head === '(detached)' ? null : head;
    } else if (field !== '' && !field.startsWith('#')) {
      dirty = true;
    }
  }
  return { branch, dirty };
}
