import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { ApiErrorCode } from '../protocol/errors.js';
import { type Failure, failure, type Result } from '../protocol/result.js';

/**
 * Every git call of the program: an argv array (never a shell string), a working directory, a time
 * limit, no prompts (a credential question would hang a server with nobody at its terminal) and the
 * C locale (so messages can be recognised). git missing from PATH and a call past its time are
 * failures with their own codes, not throws.
 */

/** How long one git call may take (ms); a fetch or push over a slow network gets longer. */
export const GIT_TIMEOUT_MS = 30_000;
export const GIT_NETWORK_TIMEOUT_MS = 120_000;
/** Most output one call may return (bytes): a diff is paged long before this. */
const GIT_MAX_BUFFER = 64 * 1024 * 1024;

/** The codes every git operation may fail with, beyond its own. */
export type GitErrorCode = Extract<ApiErrorCode, 'GIT_NOT_FOUND' | 'GIT_TIMEOUT' | 'GIT_FAILED'>;

export interface GitOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** git's exit code (0 on success). */
  readonly code: number;
}

export interface GitCallOptions {
  readonly timeoutMs?: number;
  /** Extra environment (e.g. GIT_INDEX_FILE for a scratch index). */
  readonly env?: Readonly<Record<string, string>>;
  /** Standard input for the call. */
  readonly input?: string;
}

/** Runs git programs; `gitPath` is `git` (found on PATH) unless configured. */
export class GitRunner {
  constructor(private readonly gitPath = 'git') {}

  /**
   * Runs `git <args>` in `cwd`. Answers the output whatever the exit code (callers decide what a
   * non-zero exit means), or a failure when git could not be run or ran out of time.
   */
  run(
    cwd: string,
    args: readonly string[],
    options: GitCallOptions = {},
  ): Promise<Result<GitOutput, GitErrorCode>> {
    const timeoutMs = options.timeoutMs ?? GIT_TIMEOUT_MS;
    return new Promise((resolve) => {
      const child = execFile(
        this.gitPath,
        [...args],
        {
          cwd,
          timeout: timeoutMs,
          killSignal: 'SIGKILL',
          maxBuffer: GIT_MAX_BUFFER,
          encoding: 'utf8',
          env: {
            ...process.env,
            GIT_TERMINAL_PROMPT: '0',
            GIT_ASKPASS: '',
            SSH_ASKPASS: '',
            GCM_INTERACTIVE: 'never',
            LC_ALL: 'C',
            LANGUAGE: '',
            GIT_EDITOR: 'true',
            GIT_MERGE_AUTOEDIT: 'no',
            GIT_OPTIONAL_LOCKS: '0',
            ...options.env,
          },
        },
        (error, stdout, stderr) => {
          if (error === null) return resolve({ ok: true, stdout, stderr, code: 0 });
          const cause = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
          if (cause.code === 'ENOENT' && stdout === '' && stderr === '') {
            if (!existsSync(cwd))
              return resolve(failure('GIT_FAILED', `git ${args[0] ?? ''}: no directory ${cwd}`));
            return resolve(gitMissing(this.gitPath, cwd));
          }
          if (cause.killed === true || cause.signal === 'SIGKILL') {
            return resolve(
              failure(
                'GIT_TIMEOUT',
                `git ${args[0] ?? ''} took longer than ${timeoutMs / 1000} s and was ended`,
              ),
            );
          }
          if (typeof (cause.code as unknown) === 'number') {
            return resolve({ ok: true, stdout, stderr, code: cause.code as unknown as number });
          }
          if (cause.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
            return resolve(
              failure('GIT_FAILED', `git ${args[0] ?? ''} printed more than ${GIT_MAX_BUFFER} bytes`),
            );
          }
          resolve(failure('GIT_FAILED', `git ${args[0] ?? ''}: ${cause.message}`));
        },
      );
      if (options.input !== undefined) child.stdin?.end(options.input);
      else child.stdin?.end();
    });
  }

  /**
   * Runs git and expects it to succeed: the trimmed standard output, or GIT_FAILED quoting git's
   * message (callers that know what a failure means use `run`).
   */
  async expect(
    cwd: string,
    args: readonly string[],
    options: GitCallOptions = {},
  ): Promise<Result<{ out: string }, GitErrorCode>> {
    const ran = await this.run(cwd, args, options);
    if (!ran.ok) return ran;
    if (ran.code !== 0) return failure('GIT_FAILED', `git ${args.join(' ')}: ${gitMessage(ran)}`);
    return { ok: true, out: ran.stdout.trimEnd() };
  }
}

/** git's own words for a failed call: its error lines, else its output. */
export function gitMessage(output: GitOutput): string {
  const text = (output.stderr.trim() === '' ? output.stdout : output.stderr).trim();
  return text.split('\n').slice(0, 20).join('\n') || `exit code ${output.code}`;
}

/** ENOENT from execFile with the working directory present: the git program is missing. */
function gitMissing(gitPath: string, cwd: string): Failure<'GIT_NOT_FOUND'> {
  return failure(
    'GIT_NOT_FOUND',
    `git is not installed: "${gitPath}" was not found on PATH (working in ${cwd})`,
  );
}
