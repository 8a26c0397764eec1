import { realpathSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { failure, type Result } from '../protocol/result.js';
import { type GitErrorCode, type GitRunner, gitMessage } from './git-runner.js';

/**
 * Which repository a directory belongs to. A session may be started from anywhere inside a work tree
 * (a subdirectory, or one of the repository's linked worktrees): worktrees are always made from, and
 * recorded against, the MAIN repository, so two sessions started from different places of one
 * repository agree on where it is.
 */

export interface RepositoryInfo {
  /** The main work tree's top directory (symlinks resolved). */
  readonly repoRoot: string;
  /** The main work tree's checked-out branch; null on a detached HEAD. */
  readonly currentBranch: string | null;
  /** The main work tree's HEAD commit; null in a repository without commits. */
  readonly headCommit: string | null;
}

export type InspectErrorCode = 'NOT_A_REPOSITORY' | 'INVALID_PATH' | GitErrorCode;

/** `dir` inside a work tree (main or linked) → the main repository's top, branch and head. */
export async function inspectRepository(
  git: GitRunner,
  dir: string,
): Promise<Result<RepositoryInfo, InspectErrorCode>> {
  const real = realDirectory(dir);
  if (!real.ok) return real;
  const located = await locate(git, real.path);
  if (!located.ok) return located;
  const repoRoot = located.repoRoot;
  const branch = await currentBranchOf(git, repoRoot);
  if (!branch.ok) return branch;
  const head = await git.run(repoRoot, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  if (!head.ok) return head;
  const headCommit = head.code === 0 ? head.stdout.trim() : null;
  return { ok: true, repoRoot, currentBranch: branch.branch, headCommit };
}

/** The branch checked out in `workTree` (its short name), or null on a detached HEAD. */
export async function currentBranchOf(
  git: GitRunner,
  workTree: string,
): Promise<Result<{ branch: string | null }, GitErrorCode>> {
  // The full ref, not --short: a tag of the same name would make the short form `heads/<name>`.
  const ran = await git.run(workTree, ['symbolic-ref', '--quiet', 'HEAD']);
  if (!ran.ok) return ran;
  if (ran.code === 1) return { ok: true, branch: null };
  if (ran.code !== 0) return failure('GIT_FAILED', `git symbolic-ref HEAD: ${gitMessage(ran)}`);
  const ref = ran.stdout.trim();
  return { ok: true, branch: ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : null };
}

function realDirectory(dir: string): Result<{ path: string }, 'INVALID_PATH'> {
  try {
    const path = realpathSync(dir);
    if (!statSync(path).isDirectory()) return failure('INVALID_PATH', `${dir} is not a directory`);
    return { ok: true, path };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return failure('INVALID_PATH', `${dir} cannot be used as a directory (${code})`);
  }
}

/** The main work tree's top directory for a directory known to exist. */
async function locate(
  git: GitRunner,
  dir: string,
): Promise<Result<{ repoRoot: string }, 'NOT_A_REPOSITORY' | GitErrorCode>> {
  // --show-toplevel is asked separately: in a bare repository it fails the whole call.
  const ran = await git.run(dir, [
    'rev-parse',
    '--path-format=absolute',
    '--git-dir',
    '--git-common-dir',
    '--is-bare-repository',
    '--is-inside-git-dir',
  ]);
  if (!ran.ok) return ran;
  if (ran.code !== 0) {
    const message = gitMessage(ran);
    if (/not a git repository/i.test(message)) {
      return failure('NOT_A_REPOSITORY', `${dir} is not inside a git repository`);
    }
    return failure('GIT_FAILED', `git rev-parse in ${dir}: ${message}`);
  }
  const [gitDir, commonDir, bare, insideGitDir] = ran.stdout.trim().split('\n');
  if (gitDir === undefined || commonDir === undefined) {
    return failure('GIT_FAILED', `git rev-parse in ${dir} answered ${JSON.stringify(ran.stdout)}`);
  }
  if (bare === 'true' || insideGitDir === 'true') {
    return failure(
      'NOT_A_REPOSITORY',
      `${dir} is ${bare === 'true' ? 'a bare repository' : "inside a repository's .git directory"}: a worktree needs a repository with a work tree (a bare repository has none)`,
    );
  }
  if (resolved(gitDir) !== resolved(commonDir)) {
    // A linked worktree: its repository is the one its common directory belongs to.
    return mainOfLinked(git, dir, resolved(commonDir));
  }
  const top = await git.expect(dir, ['rev-parse', '--show-toplevel']);
  if (!top.ok) return top;
  return { ok: true, repoRoot: resolved(top.out) };
}

async function mainOfLinked(
  git: GitRunner,
  dir: string,
  commonDir: string,
): Promise<Result<{ repoRoot: string }, 'NOT_A_REPOSITORY' | GitErrorCode>> {
  if (basename(commonDir) === '.git') return { ok: true, repoRoot: dirname(commonDir) };
  // A repository whose git directory lives elsewhere (--separate-git-dir): git's own list names the
  // main work tree first.
  const listed = await git.expect(dir, ['worktree', 'list', '--porcelain', '-z']);
  if (!listed.ok) return listed;
  // The first record's fields, up to the empty field that ends it.
  const fields = listed.out.split('\0');
  const end = fields.indexOf('');
  const record = end === -1 ? fields : fields.slice(0, end);
  const first = record[0] ?? '';
  if (!first.startsWith('worktree ') || record.includes('bare')) {
    return failure(
      'NOT_A_REPOSITORY',
      `${dir} belongs to a bare repository: a worktree needs a repository with a work tree`,
    );
  }
  return { ok: true, repoRoot: resolved(first.slice('worktree '.length)) };
}

/** The path with symlinks resolved when it exists (so paths compare), else as given. */
function resolved(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
