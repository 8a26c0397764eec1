// What a worktree gets beyond the checkout (the untracked files `.worktreeinclude` names), how it is
// removed again (refusing to lose uncommitted work, pruning one deleted by hand), how the worktrees
// on disk are found, and the repository's branches — with the real git.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkBranchName, checkoutOf, listBranches } from '../../src/git/branches.js';
import { GitRunner } from '../../src/git/git-runner.js';
import { scanWorktrees } from '../../src/git/worktree-scan.js';
import {
  type CreatedWorktree,
  createWorktree,
  removeWorktree,
  uncommittedFiles,
} from '../../src/git/worktrees.js';
import {
  addBareRemote,
  commitFiles,
  git,
  isolateGitEnvironment,
  makeRepo,
  writeFiles,
} from '../helpers/git-repo.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temps: { remove(): void }[] = [];
const runner = new GitRunner();

beforeAll(isolateGitEnvironment);

afterEach(() => {
  for (const temp of temps.splice(0).reverse()) temp.remove();
});

function fixture(files?: Record<string, string>): { root: string; repo: string; worktreesDir: string } {
  const temp = makeTempDir('git-worktree-cleanup-');
  temps.push(temp);
  const root = realpathSync(temp.path);
  return { root, repo: makeRepo(join(root, 'repo'), files), worktreesDir: join(root, 'data', 'worktrees') };
}

async function made(
  f: { repo: string; worktreesDir: string },
  branch = 'claudeman/one',
  extra: { reuse?: boolean; base?: string } = {},
): Promise<CreatedWorktree> {
  const result = await createWorktree(runner, {
    repoRoot: f.repo,
    worktreesDir: f.worktreesDir,
    branch,
    dirName: branch.replace(/\//g, '-'),
    ...extra,
  });
  if (!result.ok) throw new Error(result.message);
  return result;
}

function branchExists(repo: string, branch: string): boolean {
  try {
    git(repo, 'rev-parse', '--verify', '--quiet', `refs/heads/${branch}`);
    return true;
  } catch {
    return false;
  }
}

describe('.worktreeinclude', () => {
  it('copies the untracked files its patterns match, modes kept, and nothing else', async () => {
    const f = fixture({
      '.worktreeinclude': '# local config\n.env\nconfig/*.local\n*.link\nlinked/*\n',
      'config/tracked.local': 'committed\n',
    });
    const outside = join(f.root, 'outside');
    writeFiles(outside, { 'secret.txt': 'outside\n', 'x.local': 'outside\n' });
    writeFiles(f.repo, {
      '.env': 'TOKEN=1\n',
      'config/app.local': '#!/bin/sh\n',
      'config/other.txt': 'not matched\n',
      'config/tracked.local': 'changed in the main checkout\n',
    });
    chmodSync(join(f.repo, '.env'), 0o600);
    chmodSync(join(f.repo, 'config/app.local'), 0o755);
    // Links out of the repository: never followed.
    symlinkSync(join(outside, 'secret.txt'), join(f.repo, 'out.link'));
    symlinkSync(outside, join(f.repo, 'linked'));
    const tree = await made(f);
    expect(tree.copied).toEqual(['.env', 'config/app.local']);
    expect(readFileSync(join(tree.worktreePath, '.env'), 'utf8')).toBe('TOKEN=1\n');
    expect(statSync(join(tree.worktreePath, '.env')).mode & 0o777).toBe(0o600);
    expect(statSync(join(tree.worktreePath, 'config/app.local')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(tree.worktreePath, 'config/tracked.local'), 'utf8')).toBe('committed\n');
    expect(existsSync(join(tree.worktreePath, 'config/other.txt'))).toBe(false);
    expect(existsSync(join(tree.worktreePath, 'out.link'))).toBe(false);
    expect(existsSync(join(tree.worktreePath, 'linked'))).toBe(false);
  });

  it('copies nothing without a .worktreeinclude', async () => {
    const f = fixture();
    writeFiles(f.repo, { '.env': 'TOKEN=1\n' });
    const tree = await made(f);
    expect(tree.copied).toEqual([]);
    expect(existsSync(join(tree.worktreePath, '.env'))).toBe(false);
  });
});

describe('removeWorktree', () => {
  it('removes a clean worktree, keeping its branch unless asked', async () => {
    const f = fixture();
    const tree = await made(f);
    const removed = await removeWorktree(runner, {
      repoRoot: f.repo,
      worktreePath: tree.worktreePath,
      branch: tree.branch,
      deleteBranch: false,
      force: false,
    });
    expect(removed).toEqual({ ok: true, removedBranch: false, keptBranchReason: null });
    expect(existsSync(tree.worktreePath)).toBe(false);
    expect(branchExists(f.repo, tree.branch)).toBe(true);
    expect(git(f.repo, 'worktree', 'list', '--porcelain')).not.toContain(tree.worktreePath);
  });

  it('refuses uncommitted changes without force, naming them, and removes them with force', async () => {
    const f = fixture();
    const tree = await made(f);
    writeFiles(tree.worktreePath, { 'new dir/new.txt': 'new\n', 'README.md': 'changed\n' });
    const remove = {
      repoRoot: f.repo,
      worktreePath: tree.worktreePath,
      branch: tree.branch,
      deleteBranch: true,
    };
    const refused = await removeWorktree(runner, { ...remove, force: false });
    expect(refused.ok).toBe(false);
    if (refused.ok) return;
    expect(refused.code).toBe('UNCOMMITTED_CHANGES');
    expect([...(refused.files ?? [])].sort()).toEqual(['README.md', 'new dir/new.txt']);
    expect(existsSync(join(tree.worktreePath, 'new dir/new.txt'))).toBe(true);
    expect(branchExists(f.repo, tree.branch)).toBe(true);
    const forced = await removeWorktree(runner, { ...remove, force: true });
    expect(forced).toEqual({ ok: true, removedBranch: true, keptBranchReason: null });
    expect(existsSync(tree.worktreePath)).toBe(false);
    expect(branchExists(f.repo, tree.branch)).toBe(false);
  });

  it('deletes a branch merged elsewhere, keeps one with commits of its own unless forced', async () => {
    const f = fixture();
    const merged = await made(f, 'merged');
    const mine = await made(f, 'mine');
    commitFiles(mine.worktreePath, { 'work.txt': 'work\n' }, 'work of its own');
    const base = { repoRoot: f.repo, deleteBranch: true, force: false };
    const one = await removeWorktree(runner, {
      ...base,
      worktreePath: merged.worktreePath,
      branch: 'merged',
    });
    expect(one).toEqual({ ok: true, removedBranch: true, keptBranchReason: null });
    const two = await removeWorktree(runner, { ...base, worktreePath: mine.worktreePath, branch: 'mine' });
    expect(two.ok && two.removedBranch).toBe(false);
    expect(two.ok && two.keptBranchReason).toMatch(/mine.*force/);
    expect(existsSync(mine.worktreePath)).toBe(false);
    expect(branchExists(f.repo, 'mine')).toBe(true);
    const forced = await removeWorktree(runner, {
      ...base,
      worktreePath: mine.worktreePath,
      branch: 'mine',
      force: true,
    });
    expect(forced).toEqual({ ok: true, removedBranch: true, keptBranchReason: null });
    expect(branchExists(f.repo, 'mine')).toBe(false);
  });

  it('prunes a worktree deleted by hand, after which its branch can be checked out again', async () => {
    const f = fixture();
    const tree = await made(f);
    rmSync(tree.worktreePath, { recursive: true, force: true });
    const removed = await removeWorktree(runner, {
      repoRoot: f.repo,
      worktreePath: tree.worktreePath,
      branch: tree.branch,
      deleteBranch: false,
      force: false,
    });
    expect(removed).toEqual({ ok: true, removedBranch: false, keptBranchReason: null });
    expect(git(f.repo, 'worktree', 'list', '--porcelain')).not.toContain(tree.worktreePath);
    const again = await made(f, tree.branch, { reuse: true });
    expect(existsSync(join(again.worktreePath, 'README.md'))).toBe(true);
  });

  it('answers WORKTREE_NOT_FOUND for a directory that is no worktree of the repository', async () => {
    const f = fixture();
    mkdirSync(join(f.root, 'plain'));
    const removed = await removeWorktree(runner, {
      repoRoot: f.repo,
      worktreePath: join(f.root, 'plain'),
      branch: null,
      deleteBranch: false,
      force: true,
    });
    expect(!removed.ok && removed.code).toBe('WORKTREE_NOT_FOUND');
    expect(existsSync(join(f.root, 'plain'))).toBe(true);
  });
});

describe('uncommittedFiles', () => {
  it('lists changed, staged, renamed and untracked files; WORKTREE_MISSING when the directory is gone', async () => {
    const f = fixture({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    const tree = await made(f);
    expect(await uncommittedFiles(runner, tree.worktreePath)).toEqual({ ok: true, files: [] });
    git(tree.worktreePath, 'mv', 'a.txt', 'renamed.txt');
    writeFiles(tree.worktreePath, { 'b.txt': 'changed\n', 'sub/new.txt': 'n\n' });
    const changes = await uncommittedFiles(runner, tree.worktreePath);
    expect(changes.ok && [...changes.files].sort()).toEqual(['b.txt', 'renamed.txt', 'sub/new.txt']);
    const gone = await uncommittedFiles(runner, join(f.root, 'gone'));
    expect(!gone.ok && gone.code).toBe('WORKTREE_MISSING');
  });
});

describe('scanWorktrees', () => {
  it('finds our worktrees with their repository, branch and dirtiness, skipping anything else', async () => {
    const f = fixture();
    const other = makeRepo(join(f.root, 'other'));
    const clean = await made(f, 'clean');
    const dirty = await made(f, 'dirty');
    writeFiles(dirty.worktreePath, { 'untracked.txt': 'x\n' });
    const detached = await made(f, 'detached');
    git(detached.worktreePath, 'checkout', '-q', '--detach');
    const elsewhere = await made({ repo: other, worktreesDir: f.worktreesDir }, 'elsewhere');
    const parent = join(clean.worktreePath, '..');
    mkdirSync(join(parent, '.scratch'));
    writeFiles(join(parent, '.scratch'), { '.git': `gitdir: ${f.repo}/.git/worktrees/clean\n` });
    mkdirSync(join(parent, 'not-a-worktree'));
    const found = await scanWorktrees(runner, f.worktreesDir);
    const byPath = Object.fromEntries(found.map((tree) => [tree.path, tree]));
    expect(Object.keys(byPath).sort()).toEqual(
      [clean.worktreePath, dirty.worktreePath, detached.worktreePath, elsewhere.worktreePath].sort(),
    );
    expect(byPath[clean.worktreePath]).toEqual({
      path: clean.worktreePath,
      repoRoot: f.repo,
      branch: 'clean',
      dirty: false,
    });
    expect(byPath[dirty.worktreePath]).toMatchObject({ branch: 'dirty', dirty: true });
    expect(byPath[detached.worktreePath]).toMatchObject({ branch: null, dirty: false });
    expect(byPath[elsewhere.worktreePath]).toMatchObject({ repoRoot: other, branch: 'elsewhere' });
  });

  it('answers [] for a missing worktrees directory', async () => {
    const f = fixture();
    expect(await scanWorktrees(runner, join(f.root, 'nope'))).toEqual([]);
  });
});

describe('branches', () => {
  it('lists local branches with upstreams, the current one, and which are checked out anywhere', async () => {
    const f = fixture();
    addBareRemote(f.repo, join(f.root, 'remote.git'));
    git(f.repo, 'branch', 'idle');
    const tree = await made(f, 'busy');
    const listed = await listBranches(runner, f.repo);
    expect(listed).toEqual({
      ok: true,
      current: 'main',
      branches: [
        { name: 'busy', upstream: null, checkedOut: true },
        { name: 'idle', upstream: null, checkedOut: false },
        { name: 'main', upstream: 'origin/main', checkedOut: true },
      ],
    });
    expect(await checkoutOf(runner, f.repo, 'busy')).toEqual({ ok: true, path: tree.worktreePath });
    expect(await checkoutOf(runner, f.repo, 'idle')).toEqual({ ok: true, path: null });
  });

  it('takes valid branch names', async () => {
    expect((await checkBranchName(runner, 'claudeman/fix-login')).ok).toBe(true);
    expect((await checkBranchName(runner, 'feature/a.b_c-1')).ok).toBe(true);
    const bad = await checkBranchName(runner, 'bad..name');
    expect(!bad.ok && bad.code).toBe('INVALID_BRANCH');
  });
});
