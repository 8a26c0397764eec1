import { realpathSync } from 'node:fs';
import { failure, type Result } from '../protocol/result.js';
import { GIT_NETWORK_TIMEOUT_MS, type GitErrorCode, type GitRunner, gitMessage } from './git-runner.js';
import { currentBranchOf } from './repository.js';

/**
 * A repository's local branches: which names git takes, which exist, where each is checked out (git
 * allows one checkout per branch across all worktrees of a repository), whether a branch's commits
 * are kept elsewhere, and the commit a new branch starts from.
 */

export interface BranchEntry {
  readonly name: string;
  /** Its upstream (`origin/main`); null without one. */
  readonly upstream: string | null;
  /** Checked out in any worktree of the repository (the main one included). */
  readonly checkedOut: boolean;
}

/**
 * A name git takes for a new branch. Also refused: a leading `-` (it would read as an option) and
 * `@{…}` (`--branch` expands `@{-1}` to the previously checked-out branch instead of checking it).
 */
export async function checkBranchName(
  git: GitRunner,
  name: string,
): Promise<Result<object, 'INVALID_BRANCH' | GitErrorCode>> {
  if (name.startsWith('-')) return invalid(name, 'it starts with "-"');
  if (name.includes('@{')) return invalid(name, 'it contains "@{"');
  // Outside any repository on purpose: the answer must not depend on where the server runs.
  const checked = await git.run('/', ['check-ref-format', '--branch', name]);
  if (!checked.ok) return checked;
  if (checked.code !== 0 || checked.stdout.trim() !== name) return invalid(name, gitMessage(checked));
  return { ok: true };
}

function invalid(name: string, why: string): Result<object, 'INVALID_BRANCH'> {
  return failure('INVALID_BRANCH', `"${name}" is not a valid branch name: ${why}`);
}

export async function branchExists(
  git: GitRunner,
  repoRoot: string,
  name: string,
): Promise<Result<{ exists: boolean }, GitErrorCode>> {
  const found = await git.run(repoRoot, ['show-ref', '--verify', '--quiet', `refs/heads/${name}`]);
  if (!found.ok) return found;
  if (found.code > 1) return failure('GIT_FAILED', `git show-ref refs/heads/${name}: ${gitMessage(found)}`);
  return { ok: true, exists: found.code === 0 };
}

/** One worktree of git's list: its path, and its branch (null: detached HEAD, or a bare entry). */
export interface ListedWorktree {
  readonly path: string;
  readonly branch: string | null;
  readonly bare: boolean;
}

/** Every worktree of the repository, the main one first, from `git worktree list --porcelain -z`. */
export async function listWorktrees(
  git: GitRunner,
  repoRoot: string,
): Promise<Result<{ worktrees: ListedWorktree[] }, GitErrorCode>> {
  const listed = await git.expect(repoRoot, ['worktree', 'list', '--porcelain', '-z']);
  if (!listed.ok) return listed;
  const worktrees: ListedWorktree[] = [];
  let current: { path: string; branch: string | null; bare: boolean } | null = null;
  // Records are fields ended by NUL, a record ended by an empty field.
  for (const field of listed.out.split('\0')) {
    if (field.startsWith('worktree ')) {
      current = { path: realOrSame(field.slice('worktree '.length)), branch: null, bare: false };
      worktrees.push(current);
    } else if (current !== null && field.startsWith('branch refs/heads/')) {
      current.branch = field.slice('branch refs/heads/'.length);
    } else if (current !== null && field === 'bare') {
      current.bare = true;
    }
  }
  return { ok: true, worktrees };
}

/** Where `branch` is checked out (a worktree path), or null. */
export async function checkoutOf(
  git: GitRunner,
  repoRoot: string,
  branch: string,
): Promise<Result<{ path: string | null }, GitErrorCode>> {
  const listed = await listWorktrees(git, repoRoot);
  if (!listed.ok) return listed;
  return { ok: true, path: listed.worktrees.find((tree) => tree.branch === branch)?.path ?? null };
}

/** The repository's local branches (by name), its current branch, and which are checked out. */
export async function listBranches(
  git: GitRunner,
  repoRoot: string,
): Promise<Result<{ current: string | null; branches: BranchEntry[] }, GitErrorCode>> {
  // The full refname, not :short — a tag of the same name would make it `heads/<name>`.
  const refs = await git.expect(repoRoot, [
    'for-each-ref',
    '--format=%(refname)%00%(upstream:short)',
    'refs/heads',
  ]);
  if (!refs.ok) return refs;
  const listed = await listWorktrees(git, repoRoot);
  if (!listed.ok) return listed;
  const current = await currentBranchOf(git, repoRoot);
  if (!current.ok) return current;
  const checkedOut = new Set(listed.worktrees.map((tree) => tree.branch));
  const branches = refs.out
    .split('\n')
    .filter((line) => line !== '')
    .map((line): BranchEntry => {
      const [ref = '', upstream = ''] = line.split('\0');
      const name = ref.slice('refs/heads/'.length);
      return { name, upstream: upstream === '' ? null : upstream, checkedOut: checkedOut.has(name) };
    });
  return { ok: true, current: current.branch, branches };
}

/** Whether another local or remote-tracking branch contains the branch's head (its commits are kept). */
export async function isMergedElsewhere(
  git: GitRunner,
  repoRoot: string,
  branch: string,
): Promise<Result<{ merged: boolean }, GitErrorCode>> {
  const own = `refs/heads/${branch}`;
  const refs = await git.expect(repoRoot, [
    'for-each-ref',
    '--format=%(refname)',
    `--contains=${own}`,
    'refs/heads',
    'refs/remotes',
  ]);
  if (!refs.ok) return refs;
  const others = refs.out.split('\n').filter((ref) => ref !== '' && ref !== own && !ref.endsWith('/HEAD'));
  return { ok: true, merged: others.length > 0 };
}

/** A new branch's starting point: the base's name (as given or defaulted) and its commit. */
export interface ResolvedBase {
  readonly base: string;
  readonly commit: string;
}

/**
 * The base (given, or the repository's current branch) and the commit to start from: the base's, or
 * with `fetch`, for a local branch that tracks a remote, its upstream's head as just fetched.
 */
export async function resolveBase(
  git: GitRunner,
  spec: { readonly repoRoot: string; readonly base?: string; readonly fetch?: boolean },
): Promise<Result<ResolvedBase, 'DETACHED_HEAD' | 'BASE_NOT_FOUND' | GitErrorCode>> {
  let base = spec.base;
  if (base === undefined) {
    const current = await currentBranchOf(git, spec.repoRoot);
    if (!current.ok) return current;
    if (current.branch === null) {
      return failure(
        'DETACHED_HEAD',
        `${spec.repoRoot} is on a detached HEAD (no current branch to start from): name a base`,
      );
    }
    base = current.branch;
  }
  const notFound = failure('BASE_NOT_FOUND', `there is no branch or commit "${base}" in ${spec.repoRoot}`);
  if (base === '' || base.startsWith('-')) return notFound;
  let start = base;
  if (spec.fetch === true) {
    const upstream = await fetchUpstream(git, spec.repoRoot, base);
    if (!upstream.ok) return upstream;
    if (upstream.ref !== null) start = upstream.ref;
  }
  const found = await git.run(spec.repoRoot, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${start}^{commit}`,
  ]);
  if (!found.ok) return found;
  if (found.code === 0) return { ok: true, base, commit: found.stdout.trim() };
  if (found.code !== 1) return failure('GIT_FAILED', `git rev-parse ${start}: ${gitMessage(found)}`);
  if (start === base) return notFound;
  return failure('BASE_NOT_FOUND', `the upstream of "${base}" is not on its remote (after fetching it)`);
}

/**
 * For a local branch with an upstream: fetches the upstream's remote and answers the upstream (as a
 * revision); null for anything else (a remote-tracking branch, a tag, a commit, no upstream).
 */
async function fetchUpstream(
  git: GitRunner,
  repoRoot: string,
  base: string,
): Promise<Result<{ ref: string | null }, GitErrorCode>> {
  const local = await branchExists(git, repoRoot, base);
  if (!local.ok) return local;
  if (!local.exists) return { ok: true, ref: null };
  const remote = await configValue(git, repoRoot, `branch.${base}.remote`);
  if (!remote.ok) return remote;
  const merge = await configValue(git, repoRoot, `branch.${base}.merge`);
  if (!merge.ok) return merge;
  if (remote.value === null || merge.value === null) return { ok: true, ref: null };
  if (remote.value !== '.') {
    const fetched = await git.run(repoRoot, ['fetch', '--quiet', '--', remote.value], {
      timeoutMs: GIT_NETWORK_TIMEOUT_MS,
    });
    if (!fetched.ok) return fetched;
    if (fetched.code !== 0) {
      return failure(
        'GIT_FAILED',
        `git fetch ${remote.value} (the remote of "${base}") failed: ${gitMessage(fetched)}`,
      );
    }
  }
  // The short name: git reads `refs/heads/<b>@{upstream}` as no branch at all.
  return { ok: true, ref: `${base}@{upstream}` };
}

/** One value of git's configuration; null when unset. */
async function configValue(
  git: GitRunner,
  repoRoot: string,
  key: string,
): Promise<Result<{ value: string | null }, GitErrorCode>> {
  const ran = await git.run(repoRoot, ['config', '--get', key]);
  if (!ran.ok) return ran;
  if (ran.code === 1) return { ok: true, value: null };
  if (ran.code !== 0) return failure('GIT_FAILED', `git config --get ${key}: ${gitMessage(ran)}`);
  return { ok: true, value: ran.stdout.trim() };
}

function realOrSame(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
