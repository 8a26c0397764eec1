// Worktrees made with the real git in repositories made by the tests: which repository a directory
// belongs to, and a session's worktree made from a base or an existing branch — every refusal
// leaving the repository exactly as it was.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GitRunner } from '../../src/git/git-runner.js';
import { inspectRepository } from '../../src/git/repository.js';
import { createWorktree, type WorktreeSpec } from '../../src/git/worktrees.js';
import {
  addBareRemote,
  commitFiles,
  git,
  isolateGitEnvironment,
  makeRepo,
  revParse,
  writeFiles,
} from '../helpers/git-repo.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temps: { remove(): void }[] = [];
const runner = new GitRunner();

beforeAll(isolateGitEnvironment);

afterEach(() => {
  for (const temp of temps.splice(0).reverse()) temp.remove();
});

function tempDir(): string {
  const temp = makeTempDir('git-worktrees-');
  temps.push(temp);
  return realpathSync(temp.path);
}

/** A repository on `main` with a README, and where its worktrees go. */
function fixture(files?: Record<string, string>): { root: string; repo: string; worktreesDir: string } {
  const root = tempDir();
  const repo = makeRepo(join(root, 'repo'), files);
  return { root, repo, worktreesDir: join(root, 'data', 'worktrees') };
}

function spec(f: { repo: string; worktreesDir: string }, extra: Partial<WorktreeSpec> = {}): WorktreeSpec {
  return {
    repoRoot: f.repo,
    worktreesDir: f.worktreesDir,
    branch: 'claudeman/one',
    dirName: 'one',
    ...extra,
  };
}

function branchExists(repo: string, branch: string): boolean {
  try {
    git(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    return true;
  } catch {
    return false;
  }
}

function registeredWorktrees(repo: string): string[] {
  return git(repo, 'worktree', 'list', '--porcelain')
    .split('\n')
    .filter((line) => line.startsWith('worktree '))
    .map((line) => line.slice('worktree '.length));
}

describe('inspectRepository', () => {
  it('finds the top directory, branch and head from a subdirectory', async () => {
    const f = fixture();
    mkdirSync(join(f.repo, 'src', 'deep'), { recursive: true });
    const found = await inspectRepository(runner, join(f.repo, 'src', 'deep'));
    expect(found).toEqual({
      ok: true,
      repoRoot: f.repo,
      currentBranch: 'main',
      headCommit: revParse(f.repo, 'HEAD'),
    });
  });

  it('answers the MAIN repository for a directory inside a linked worktree', async () => {
    const f = fixture();
    const made = await createWorktree(runner, spec(f));
    if (!made.ok) throw new Error(made.message);
    mkdirSync(join(made.worktreePath, 'sub'));
    const found = await inspectRepository(runner, join(made.worktreePath, 'sub'));
    expect(found.ok && found.repoRoot).toBe(f.repo);
    expect(found.ok && found.currentBranch).toBe('main');
  });

  it('resolves symlinks, so a linked path names the same repository', async () => {
    const f = fixture();
    const link = join(f.root, 'link');
    symlinkSync(f.repo, link);
    const found = await inspectRepository(runner, link);
    expect(found.ok && found.repoRoot).toBe(f.repo);
  });

  it('refuses a directory outside any repository, and a missing one', async () => {
    const outside = tempDir();
    const found = await inspectRepository(runner, outside);
    expect(found.ok).toBe(false);
    if (found.ok) return;
    expect(found.code).toBe('NOT_A_REPOSITORY');
    expect(found.message).toContain('is not inside a git repository');
    const missing = await inspectRepository(runner, join(outside, 'nope'));
    expect(!missing.ok && missing.code).toBe('INVALID_PATH');
  });

  it('refuses a bare repository and the inside of a .git directory, saying why', async () => {
    const root = tempDir();
    git(root, 'init', '-q', '--bare', 'bare.git');
    const bare = await inspectRepository(runner, join(root, 'bare.git'));
    expect(!bare.ok && bare.code).toBe('NOT_A_REPOSITORY');
    expect(!bare.ok && bare.message).toMatch(/bare.*needs a repository with a work tree/);
    const f = fixture();
    const inside = await inspectRepository(runner, join(f.repo, '.git'));
    expect(!inside.ok && inside.code).toBe('NOT_A_REPOSITORY');
  });

  it('answers a null head in a repository without commits, and a null branch on a detached HEAD', async () => {
    const root = tempDir();
    git(root, 'init', '-q', '-b', 'main', 'empty');
    const empty = await inspectRepository(runner, join(root, 'empty'));
    expect(empty).toEqual({
      ok: true,
      repoRoot: join(root, 'empty'),
      currentBranch: 'main',
      headCommit: null,
    });
    const f = fixture();
    git(f.repo, 'checkout', '-q', '--detach');
    const detached = await inspectRepository(runner, f.repo);
    expect(detached.ok && detached.currentBranch).toBeNull();
  });

  it('says GIT_NOT_FOUND when git is not installed', async () => {
    const f = fixture();
    const found = await inspectRepository(new GitRunner('/nonexistent/git'), f.repo);
    expect(!found.ok && found.code).toBe('GIT_NOT_FOUND');
    const made = await createWorktree(new GitRunner('/nonexistent/git'), spec(f));
    expect(!made.ok && made.code).toBe('GIT_NOT_FOUND');
  });
});

describe('createWorktree', () => {
  it('makes a new branch from the current branch head, leaving the main checkout as it was', async () => {
    const f = fixture({ 'README.md': '# hello\n', 'src/a.txt': 'a\n' });
    const head = revParse(f.repo, 'HEAD');
    const made = await createWorktree(runner, spec(f, { dirName: '3f2a9c1e-fix-login' }));
    const hash = createHash('sha256').update(f.repo).digest('hex').slice(0, 8);
    const path = join(f.worktreesDir, `repo-${hash}`, '3f2a9c1e-fix-login');
    expect(made).toEqual({
      ok: true,
      worktreePath: path,
      branch: 'claudeman/one',
      base: 'main',
      baseCommit: head,
      copied: [],
    });
    expect(readFileSync(join(path, 'src', 'a.txt'), 'utf8')).toBe('a\n');
    expect(revParse(f.repo, 'claudeman/one')).toBe(head);
    expect(git(path, 'symbolic-ref', '--short', 'HEAD')).toBe('claudeman/one');
    // No upstream: the session's branch does not track its base.
    expect(() => git(f.repo, 'rev-parse', '--abbrev-ref', 'claudeman/one@{upstream}')).toThrow();
    expect(git(f.repo, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(git(f.repo, 'status', '--porcelain')).toBe('');
    expect(registeredWorktrees(f.repo)).toEqual([f.repo, path]);
  });

  it('gives two worktrees of one repository their own copies of the same file', async () => {
    const f = fixture({ 'shared.txt': 'original\n' });
    const one = await createWorktree(runner, spec(f, { branch: 'one', dirName: 'one' }));
    const two = await createWorktree(runner, spec(f, { branch: 'two', dirName: 'two' }));
    if (!one.ok || !two.ok) throw new Error('not made');
    commitFiles(one.worktreePath, { 'shared.txt': 'one\n' }, 'one');
    writeFileSync(join(two.worktreePath, 'shared.txt'), 'two\n');
    expect(readFileSync(join(one.worktreePath, 'shared.txt'), 'utf8')).toBe('one\n');
    expect(readFileSync(join(two.worktreePath, 'shared.txt'), 'utf8')).toBe('two\n');
    expect(readFileSync(join(f.repo, 'shared.txt'), 'utf8')).toBe('original\n');
    expect(git(f.repo, 'show', 'one:shared.txt')).toBe('one');
    expect(git(f.repo, 'show', 'main:shared.txt')).toBe('original');
  });

  it('starts from a base given by name', async () => {
    const f = fixture();
    git(f.repo, 'checkout', '-q', '-b', 'dev');
    const dev = commitFiles(f.repo, { 'dev.txt': 'dev\n' }, 'on dev');
    git(f.repo, 'checkout', '-q', 'main');
    const made = await createWorktree(runner, spec(f, { base: 'dev' }));
    expect(made.ok && made.base).toBe('dev');
    expect(made.ok && made.baseCommit).toBe(dev);
    expect(made.ok && existsSync(join(made.worktreePath, 'dev.txt'))).toBe(true);
  });

  it('refuses a base that does not exist, making nothing', async () => {
    const f = fixture();
    const made = await createWorktree(runner, spec(f, { base: 'no-such-base' }));
    expect(!made.ok && made.code).toBe('BASE_NOT_FOUND');
    expect(!made.ok && made.message).toContain('no-such-base');
    expect(branchExists(f.repo, 'claudeman/one')).toBe(false);
    expect(existsSync(f.worktreesDir)).toBe(false);
    expect(registeredWorktrees(f.repo)).toEqual([f.repo]);
  });

  it.each(['bad..name', '-x', '@{-1}', 'a b', 'x.lock'])('refuses the branch name %j', async (name) => {
    const f = fixture();
    const made = await createWorktree(runner, spec(f, { branch: name }));
    expect(!made.ok && made.code).toBe('INVALID_BRANCH');
    expect(existsSync(f.worktreesDir)).toBe(false);
  });

  it('refuses a branch that exists unless it is reused, and reuses one', async () => {
    const f = fixture();
    const start = revParse(f.repo, 'HEAD');
    git(f.repo, 'checkout', '-q', '-b', 'feature');
    const tip = commitFiles(f.repo, { 'feature.txt': 'f\n' }, 'feature work');
    git(f.repo, 'checkout', '-q', 'main');
    const taken = await createWorktree(runner, spec(f, { branch: 'feature' }));
    expect(!taken.ok && taken.code).toBe('BRANCH_EXISTS');
    expect(!taken.ok && taken.message).toContain('reuse');
    const reused = await createWorktree(runner, spec(f, { branch: 'feature', reuse: true }));
    if (!reused.ok) throw new Error(reused.message);
    expect(reused.baseCommit).toBe(start);
    expect(reused.base).toBe('main');
    expect(revParse(reused.worktreePath, 'HEAD')).toBe(tip);
    expect(revParse(f.repo, 'feature')).toBe(tip);
  });

  it('refuses to reuse a branch checked out elsewhere, or one that does not exist', async () => {
    const f = fixture();
    const checkedOut = await createWorktree(runner, spec(f, { branch: 'main', reuse: true }));
    expect(!checkedOut.ok && checkedOut.code).toBe('BRANCH_CHECKED_OUT');
    expect(!checkedOut.ok && checkedOut.message).toContain(f.repo);
    const missing = await createWorktree(runner, spec(f, { branch: 'nope', reuse: true }));
    expect(!missing.ok && missing.code).toBe('BRANCH_NOT_FOUND');
    expect(existsSync(f.worktreesDir)).toBe(false);
  });

  it('needs a base on a detached HEAD', async () => {
    const f = fixture();
    git(f.repo, 'checkout', '-q', '--detach');
    const none = await createWorktree(runner, spec(f));
    expect(!none.ok && none.code).toBe('DETACHED_HEAD');
    const made = await createWorktree(runner, spec(f, { base: 'main' }));
    expect(made.ok && made.base).toBe('main');
  });

  it('refuses a directory that exists, and reduces the name to safe characters', async () => {
    const f = fixture();
    const made = await createWorktree(runner, spec(f, { dirName: '../a b/..' }));
    if (!made.ok) throw new Error(made.message);
    expect(basename(made.worktreePath)).toBe('-a-b-..');
    expect(dirname(dirname(made.worktreePath))).toBe(realpathSync(f.worktreesDir));
    const again = await createWorktree(runner, spec(f, { branch: 'other', dirName: '../a b/..' }));
    expect(!again.ok && again.code).toBe('INVALID_PATH');
    expect(branchExists(f.repo, 'other')).toBe(false);
  });

  it('takes away the worktree and its branch when git fails after making it', async () => {
    const f = fixture();
    // git makes the worktree, then reports the failing hook as its own failure.
    writeFileSync(
      join(f.repo, '.git', 'hooks', 'post-checkout'),
      '#!/bin/sh\necho hook says no >&2\nexit 3\n',
      {
        mode: 0o755,
      },
    );
    const made = await createWorktree(runner, spec(f));
    expect(!made.ok && made.code).toBe('GIT_FAILED');
    expect(!made.ok && made.message).toContain('hook says no');
    expect(branchExists(f.repo, 'claudeman/one')).toBe(false);
    expect(registeredWorktrees(f.repo)).toEqual([f.repo]);
    const hash = createHash('sha256').update(f.repo).digest('hex').slice(0, 8);
    expect(existsSync(join(f.worktreesDir, `repo-${hash}`, 'one'))).toBe(false);
  });

  it('works with the repository on another file system than the worktrees', async (context) => {
    if (!existsSync('/dev/shm')) return context.skip();
    const shm = realpathSync(mkdtempSync('/dev/shm/git-worktrees-'));
    temps.push({ remove: () => rmSync(shm, { recursive: true, force: true }) });
    const repo = makeRepo(join(shm, 'repo'));
    writeFiles(repo, { '.worktreeinclude': '.env\n', '.env': 'SECRET=1\n' });
    const worktreesDir = join(tempDir(), 'worktrees');
    const made = await createWorktree(runner, { repoRoot: repo, worktreesDir, branch: 'b', dirName: 'b' });
    if (!made.ok) throw new Error(made.message);
    expect(made.worktreePath.startsWith(realpathSync(tmpdir()))).toBe(true);
    expect(made.copied).toEqual(['.env']);
    expect(readFileSync(join(made.worktreePath, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(readFileSync(join(made.worktreePath, 'README.md'), 'utf8')).toBe('# test\n');
  });
});

describe('createWorktree with fetch', () => {
  /** A clone of a bare remote, and a second clone that pushed a new commit the first has not fetched. */
  function remoteAhead(): { f: ReturnType<typeof fixture>; stale: string; fresh: string } {
    const f = fixture();
    const bare = addBareRemote(f.repo, join(f.root, 'remote.git'));
    const other = join(f.root, 'other');
    git(f.root, 'clone', '-q', bare, other);
    const fresh = commitFiles(other, { 'new.txt': 'new\n' }, 'from elsewhere');
    git(other, 'push', '-q', 'origin', 'main');
    return { f, stale: revParse(f.repo, 'main'), fresh };
  }

  it('starts from the fetched upstream head with fetch, from the local head without', async () => {
    const { f, stale, fresh } = remoteAhead();
    const local = await createWorktree(runner, spec(f, { branch: 'local', dirName: 'local' }));
    expect(local.ok && local.baseCommit).toBe(stale);
    const fetched = await createWorktree(
      runner,
      spec(f, { branch: 'fetched', dirName: 'fetched', fetch: true }),
    );
    if (!fetched.ok) throw new Error(fetched.message);
    expect(fetched.baseCommit).toBe(fresh);
    expect(fetched.base).toBe('main');
    expect(existsSync(join(fetched.worktreePath, 'new.txt'))).toBe(true);
    // The local branch itself is not moved.
    expect(revParse(f.repo, 'main')).toBe(stale);
  });

  it('fails quoting git when the fetch fails, making nothing', async () => {
    const { f } = remoteAhead();
    git(f.repo, 'remote', 'set-url', 'origin', join(f.root, 'gone.git'));
    const made = await createWorktree(runner, spec(f, { fetch: true }));
    expect(!made.ok && made.code).toBe('GIT_FAILED');
    expect(!made.ok && made.message).toMatch(/fetch origin.*does not appear to be a git repository/s);
    expect(branchExists(f.repo, 'claudeman/one')).toBe(false);
  });

  it('does nothing more for a base without an upstream', async () => {
    const f = fixture();
    const made = await createWorktree(runner, spec(f, { fetch: true }));
    expect(made.ok && made.baseCommit).toBe(revParse(f.repo, 'main'));
  });
});
