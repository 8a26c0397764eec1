import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Real git repositories for tests, made with the real git: a repository with a first commit on
 * `main`, files written and committed in one call, and a bare "remote" to push to. Identity and
 * configuration come from the environment given to each call, so the machine's own git config
 * cannot change what a test sees.
 */

const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'author@example.test',
  GIT_CONFIG_NOSYSTEM: '1',
  LC_ALL: 'C',
};

/** Runs git in `cwd` and answers its trimmed standard output; throws (with git's stderr) on failure. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: { ...process.env, ...GIT_ENV },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trimEnd();
}

/** Writes files (path relative to `root` → content), making their directories. */
export function writeFiles(root: string, files: Readonly<Record<string, string | Buffer>>): void {
  for (const [path, content] of Object.entries(files)) {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
}

/** Writes the files and commits them (all changes) with `message`; answers the new commit's sha. */
export function commitFiles(
  root: string,
  files: Readonly<Record<string, string | Buffer>>,
  message: string,
): string {
  writeFiles(root, files);
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', message);
  return git(root, 'rev-parse', 'HEAD');
}

/**
 * A new repository at `path` (made if missing) on branch `main`, with one commit of `files`
 * (default: a README). Answers the repository's path.
 */
export function makeRepo(
  path: string,
  files: Readonly<Record<string, string | Buffer>> = { 'README.md': '# test\n' },
): string {
  mkdirSync(path, { recursive: true });
  git(path, 'init', '-q', '-b', 'main');
  git(path, 'config', 'user.name', GIT_ENV.GIT_AUTHOR_NAME);
  git(path, 'config', 'user.email', GIT_ENV.GIT_AUTHOR_EMAIL);
  git(path, 'config', 'commit.gpgsign', 'false');
  commitFiles(path, files, 'first commit');
  return path;
}

/**
 * A bare repository at `barePath` set up as `origin` of `repo`, with `main` pushed and tracked:
 * the "remote" for fetch and push tests, all on the local disk.
 */
export function addBareRemote(repo: string, barePath: string): string {
  mkdirSync(barePath, { recursive: true });
  git(barePath, 'init', '-q', '--bare', '-b', 'main');
  git(repo, 'remote', 'add', 'origin', barePath);
  git(repo, 'push', '-q', '-u', 'origin', 'main');
  return barePath;
}

/** The commit a ref points at (`main`, `HEAD`, `claudeman/x`). */
export function revParse(repo: string, ref: string): string {
  return git(repo, 'rev-parse', ref);
}

/**
 * For tests that call the program's git code (which runs git with the process's environment): the
 * machine's own git configuration, and a git hook's environment, must not change what they see.
 */
export function isolateGitEnvironment(): void {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  for (const name of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR'])
    delete process.env[name];
}
