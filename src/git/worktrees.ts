import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, realpathSync, rmdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { failure, type Result } from '../protocol/result.js';
import {
  branchExists,
  checkBranchName,
  checkoutOf,
  isMergedElsewhere,
  type ResolvedBase,
  resolveBase,
} from './branches.js';
import { type GitErrorCode, type GitRunner, gitMessage } from './git-runner.js';
import { copyIncludedFiles } from './worktree-include.js';

/**
 * A session's own worktree: made from the main repository under the data directory's worktrees
 * directory, on a new branch from a base (or an existing branch), with the repository's untracked
 * configuration copied in; and removed again, its branch too when asked. Made all-or-nothing: a
 * failure after git made the worktree takes it (and a branch made for it) away again.
 */

export interface WorktreeSpec {
  /** The main repository's top directory (from inspectRepository). */
  readonly repoRoot: string;
  /** Where worktrees are made (`<data dir>/worktrees`); made when missing. */
  readonly worktreesDir: string;
  /** The branch to create, or to reuse. */
  readonly branch: string;
  /** What a new branch starts from; default: the repository's current branch. */
  readonly base?: string;
  /** Check out the existing `branch` instead of creating it. */
  readonly reuse?: boolean;
  /** When the base tracks a remote: fetch it first and start from the fetched head. */
  readonly fetch?: boolean;
  /** The leaf directory's name (the caller's choice); reduced to [A-Za-z0-9._-]. */
  readonly dirName: string;
}

export interface CreatedWorktree {
  readonly worktreePath: string;
  readonly branch: string;
  /** The base as given or defaulted (a branch name such as `main`, or a ref). */
  readonly base: string;
  /** The commit the branch started from (for a reused branch: its merge base with the base). */
  readonly baseCommit: string;
  /** The `.worktreeinclude` files copied in (paths relative to the worktree). */
  readonly copied: readonly string[];
}

export type CreateWorktreeCode =
  | 'DETACHED_HEAD'
  | 'BASE_NOT_FOUND'
  | 'INVALID_BRANCH'
  | 'BRANCH_EXISTS'
  | 'BRANCH_NOT_FOUND'
  | 'BRANCH_CHECKED_OUT'
  | 'INVALID_PATH'
  | 'INTERNAL'
  | GitErrorCode;

/** Longest leaf directory name kept (file systems allow 255 bytes). */
const MAX_DIR_NAME = 120;

/** A name reduced to [A-Za-z0-9._-], without leading dots (those are scratch directories). */
function safeName(name: string): string {
  return name
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^\.+/, '')
    .slice(0, MAX_DIR_NAME);
}

/** The directory of one repository's worktrees: its name and a hash of its path, so two never meet. */
export function repositoryDirName(repoRoot: string): string {
  const tag = createHash('sha256').update(repoRoot).digest('hex').slice(0, 8);
  return `${safeName(basename(repoRoot)) || 'repository'}-${tag}`;
}

export async function createWorktree(
  git: GitRunner,
  spec: WorktreeSpec,
): Promise<Result<CreatedWorktree, CreateWorktreeCode>> {
  const leaf = safeName(spec.dirName);
  if (leaf === '') return failure('INVALID_PATH', `"${spec.dirName}" leaves no usable directory name`);
  const named = await checkBranchName(git, spec.branch);
  if (!named.ok) return named;
  const checked = await checkBranch(git, spec);
  if (!checked.ok) return checked;
  const base = await resolveBase(git, spec);
  if (!base.ok) return base;
  const baseCommit = spec.reuse === true ? await mergeBase(git, spec, base) : base;
  if (!baseCommit.ok) return baseCommit;
  const parent = makeParent(spec);
  if (!parent.ok) return parent;
  const path = join(parent.dir, leaf);
  if (lstatSync(path, { throwIfNoEntry: false }) !== undefined) {
    removeIfEmpty(parent.dir);
    return failure('INVALID_PATH', `${path} exists already: choose another directory name`);
  }
  const added = await addWorktree(git, spec, path, base.commit);
  if (!added.ok) {
    removeIfEmpty(parent.dir);
    return added;
  }
  const copied = await copyIncludedFiles(git, spec.repoRoot, path);
  if (!copied.ok) {
    await undoAdd(git, spec, path, base.commit);
    removeIfEmpty(parent.dir);
    return copied;
  }
  return {
    ok: true,
    worktreePath: path,
    branch: spec.branch,
    base: base.base,
    baseCommit: baseCommit.commit,
    copied: copied.copied,
  };
}

/** A new branch must not exist yet; a reused one must exist and be checked out nowhere. */
async function checkBranch(
  git: GitRunner,
  spec: WorktreeSpec,
): Promise<Result<object, 'BRANCH_EXISTS' | 'BRANCH_NOT_FOUND' | 'BRANCH_CHECKED_OUT' | GitErrorCode>> {
  const exists = await branchExists(git, spec.repoRoot, spec.branch);
  if (!exists.ok) return exists;
  if (spec.reuse !== true) {
    if (!exists.exists) return { ok: true };
    return failure(
      'BRANCH_EXISTS',
      `branch "${spec.branch}" exists already: reuse it ("reuse": true) or choose another name`,
    );
  }
  if (!exists.exists) return failure('BRANCH_NOT_FOUND', `there is no branch "${spec.branch}" to reuse`);
  const where = await checkoutOf(git, spec.repoRoot, spec.branch);
  if (!where.ok) return where;
  if (where.path === null) return { ok: true };
  return failure('BRANCH_CHECKED_OUT', checkedOutMessage(spec.branch, where.path));
}

function checkedOutMessage(branch: string, path: string): string {
  const gone = existsSync(path) ? '' : ' (that directory is gone: `git worktree prune` forgets it)';
  return `branch "${branch}" is checked out in ${path}${gone}; git allows one checkout per branch`;
}

/** For a reused branch: where it left the base (the base's commit when they share no history). */
async function mergeBase(
  git: GitRunner,
  spec: WorktreeSpec,
  base: ResolvedBase,
): Promise<Result<{ commit: string }, GitErrorCode>> {
  const found = await git.run(spec.repoRoot, ['merge-base', base.commit, `refs/heads/${spec.branch}`]);
  if (!found.ok) return found;
  if (found.code === 0) return { ok: true, commit: found.stdout.trim() };
  if (found.code === 1) return { ok: true, commit: base.commit };
  return failure('GIT_FAILED', `git merge-base ${base.base} ${spec.branch}: ${gitMessage(found)}`);
}

/** `<worktreesDir>/<repository dir>`, made if missing, symlinks resolved (so paths compare). */
function makeParent(spec: WorktreeSpec): Result<{ dir: string }, 'INVALID_PATH'> {
  try {
    mkdirSync(spec.worktreesDir, { recursive: true });
    const dir = join(realpathSync(spec.worktreesDir), repositoryDirName(spec.repoRoot));
    mkdirSync(dir, { recursive: true });
    return { ok: true, dir };
  } catch (error) {
    return failure(
      'INVALID_PATH',
      `cannot make the worktrees directory ${spec.worktreesDir}: ${(error as Error).message}`,
    );
  }
}

/** `git worktree add`; a failure leaves nothing behind (git keeps a branch `-b` made when it fails). */
async function addWorktree(
  git: GitRunner,
  spec: WorktreeSpec,
  path: string,
  startCommit: string,
): Promise<Result<object, 'BRANCH_EXISTS' | 'BRANCH_CHECKED_OUT' | 'INVALID_PATH' | GitErrorCode>> {
  // From the commit, not the base's name: the new branch gets no upstream (it is not the base's).
  const args =
    spec.reuse === true
      ? ['worktree', 'add', '--quiet', path, spec.branch]
      : ['worktree', 'add', '--quiet', '--no-track', '-b', spec.branch, path, startCommit];
  const added = await git.run(spec.repoRoot, args);
  if (added.ok && added.code === 0) return { ok: true };
  if (!added.ok) {
    await undoAdd(git, spec, path, startCommit);
    return added;
  }
  const message = gitMessage(added);
  // Another caller got there between the checks and git: what exists is theirs, left alone.
  if (/a branch named .* already exists/.test(message)) {
    return failure('BRANCH_EXISTS', `branch "${spec.branch}" exists already: ${message}`);
  }
  if (/already checked out|already used by worktree/.test(message)) {
    return failure('BRANCH_CHECKED_OUT', `branch "${spec.branch}" is checked out elsewhere: ${message}`);
  }
  if (/already exists/.test(message)) {
    // git made the branch before it found the directory taken.
    await undoBranch(git, spec, startCommit);
    return failure('INVALID_PATH', `${path} exists already: ${message}`);
  }
  // Failed after making the worktree (a failing post-checkout hook, say): all of it goes.
  await undoAdd(git, spec, path, startCommit);
  return failure('GIT_FAILED', `git worktree add ${path}: ${message}`);
}

/** Takes away what a failed creation made: the worktree, and the branch when it was made for it. */
async function undoAdd(git: GitRunner, spec: WorktreeSpec, path: string, startCommit: string): Promise<void> {
  if (existsSync(path)) await git.run(spec.repoRoot, ['worktree', 'remove', '--force', path]);
  await undoBranch(git, spec, startCommit);
}

/**
 * Deletes the branch this creation made: only a new one (not reused), still at its starting commit
 * and checked out nowhere — it did not exist before the call.
 */
async function undoBranch(git: GitRunner, spec: WorktreeSpec, startCommit: string): Promise<void> {
  if (spec.reuse === true) return;
  const head = await git.run(spec.repoRoot, [
    'rev-parse',
    '--verify',
    '--quiet',
    `refs/heads/${spec.branch}`,
  ]);
  if (!head.ok || head.code !== 0 || head.stdout.trim() !== startCommit) return;
  const where = await checkoutOf(git, spec.repoRoot, spec.branch);
  if (where.ok && where.path === null) await git.run(spec.repoRoot, ['branch', '-D', '--', spec.branch]);
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (other worktrees of the repository), or gone: either is fine.
  }
}

/** The worktree's uncommitted changes, untracked files included, as paths relative to it. */
export async function uncommittedFiles(
  git: GitRunner,
  worktreePath: string,
): Promise<Result<{ files: string[] }, 'WORKTREE_MISSING' | GitErrorCode>> {
  if (!existsSync(worktreePath)) return failure('WORKTREE_MISSING', `the worktree ${worktreePath} is gone`);
  const status = await git.expect(worktreePath, ['status', '--porcelain=v1', '-z', '--untracked-files=all']);
  if (!status.ok) return status;
  return { ok: true, files: statusPaths(status.out) };
}

/** The paths of `git status --porcelain=v1 -z`: `XY path`, a rename or copy followed by its source. */
export function statusPaths(output: string): string[] {
  const files: string[] = [];
  const fields = output.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] ?? '';
    if (field.length < 4) continue;
    files.push(field.slice(3));
    if (/[RC]/.test(field.slice(0, 2))) i++;
  }
  return files;
}

export interface RemoveSpec {
  readonly repoRoot: string;
  readonly worktreePath: string;
  readonly branch: string | null;
  readonly deleteBranch: boolean;
  readonly force: boolean;
}

export interface RemovedWorktree {
  readonly removedBranch: boolean;
  /** Why the branch was kept although its deletion was asked; null otherwise. */
  readonly keptBranchReason: string | null;
}

/**
 * Removes the worktree (and the branch when asked). Uncommitted changes without `force` refuse,
 * naming the files, with nothing removed. A directory deleted by hand is pruned from git's list and
 * counts as removed. A branch whose commits are on no other branch (local or remote) is deleted only
 * with `force`; otherwise it is kept and `keptBranchReason` says so.
 */
export async function removeWorktree(
  git: GitRunner,
  spec: RemoveSpec,
): Promise<Result<RemovedWorktree, 'UNCOMMITTED_CHANGES' | 'WORKTREE_NOT_FOUND' | GitErrorCode>> {
  const removed = existsSync(spec.worktreePath)
    ? await removeDirectory(git, spec)
    : await git.expect(spec.repoRoot, ['worktree', 'prune']);
  if (!removed.ok) return removed;
  if (!spec.deleteBranch || spec.branch === null)
    return { ok: true, removedBranch: false, keptBranchReason: null };
  return deleteBranch(git, spec.repoRoot, spec.branch, spec.force);
}

async function removeDirectory(
  git: GitRunner,
  spec: RemoveSpec,
): Promise<Result<object, 'UNCOMMITTED_CHANGES' | 'WORKTREE_NOT_FOUND' | GitErrorCode>> {
  if (!spec.force) {
    const dirty = await refuseIfDirty(git, spec.worktreePath);
    if (!dirty.ok) return dirty;
  }
  // Without force git itself refuses changes made since the check above.
  const args = ['worktree', 'remove', ...(spec.force ? ['--force'] : []), spec.worktreePath];
  const ran = await git.run(spec.repoRoot, args);
  if (!ran.ok) return ran;
  if (ran.code === 0) return { ok: true };
  const message = gitMessage(ran);
  if (/contains modified or untracked files/.test(message)) {
    const dirty = await refuseIfDirty(git, spec.worktreePath);
    if (!dirty.ok) return dirty;
  }
  if (/is not a working tree/.test(message)) {
    return failure('WORKTREE_NOT_FOUND', `${spec.worktreePath} is not a worktree of ${spec.repoRoot}`);
  }
  return failure('GIT_FAILED', `git worktree remove ${spec.worktreePath}: ${message}`);
}

async function refuseIfDirty(
  git: GitRunner,
  worktreePath: string,
): Promise<Result<object, 'UNCOMMITTED_CHANGES' | GitErrorCode>> {
  const changes = await uncommittedFiles(git, worktreePath);
  // Gone meanwhile: nothing uncommitted is left to lose.
  if (!changes.ok) {
    if (changes.code === 'WORKTREE_MISSING') return { ok: true };
    return failure(changes.code, changes.message);
  }
  if (changes.files.length === 0) return { ok: true };
  return {
    ...failure(
      'UNCOMMITTED_CHANGES',
      `the worktree ${worktreePath} has uncommitted changes (${changes.files.length} files): commit or discard them, or pass force`,
    ),
    files: changes.files,
  };
}

/** Deletes the branch, unless it is checked out somewhere, or (without force) merged nowhere. */
async function deleteBranch(
  git: GitRunner,
  repoRoot: string,
  branch: string,
  force: boolean,
): Promise<Result<RemovedWorktree, GitErrorCode>> {
  const kept = (reason: string): Result<RemovedWorktree, GitErrorCode> => ({
    ok: true,
    removedBranch: false,
    keptBranchReason: reason,
  });
  const exists = await branchExists(git, repoRoot, branch);
  if (!exists.ok) return exists;
  if (!exists.exists) return { ok: true, removedBranch: false, keptBranchReason: null };
  const where = await checkoutOf(git, repoRoot, branch);
  if (!where.ok) return where;
  if (where.path !== null) return kept(`branch "${branch}" is checked out in ${where.path}`);
  if (!force) {
    const merged = await isMergedElsewhere(git, repoRoot, branch);
    if (!merged.ok) return merged;
    if (!merged.merged) {
      return kept(`branch "${branch}" has commits that are on no other branch: delete it with force`);
    }
  }
  // -D: whether the commits are kept elsewhere was decided above (-d asks only HEAD and upstream).
  const deleted = await git.run(repoRoot, ['branch', '-D', '--', branch]);
  if (!deleted.ok) return deleted;
  if (deleted.code !== 0) return kept(`git branch -D ${branch}: ${gitMessage(deleted)}`);
  return { ok: true, removedBranch: true, keptBranchReason: null };
}
