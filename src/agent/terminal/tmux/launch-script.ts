import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type ExitStatus, signalName } from '../../../supervisor/spawn/child-process.js';
import { writeFileAtomic } from '../../../util/private-file.js';

/**
 * The shell script a tmux pane runs for one session. It carries the agent's environment (written to a
 * private file rather than argv, where every user could read API keys in `ps`), runs the CLI, and
 * writes its exit status to a file, because tmux forgets a pane's status when the session ends and
 * the Claudeman server may not be there to see it.
 */

/** Variables tmux sets for its panes that would tell the agent it runs inside tmux (it should not care). */
const TMUX_VARIABLES = ['TMUX', 'TMUX_PANE'];
const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface LaunchFiles {
  readonly scriptPath: string;
  readonly exitPath: string;
}

export function launchFiles(stateDir: string, name: string): LaunchFiles {
  return { scriptPath: join(stateDir, `${name}.sh`), exitPath: join(stateDir, `${name}.exit`) };
}

/** Single-quotes a word for sh: the only character that needs care inside single quotes is `'`. */
function quote(word: string): string {
  return `'${word.replaceAll("'", "'\\''")}'`;
}

export function launchScript(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  exitPath: string,
): string {
  const exports: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !VALID_NAME.test(name) || TMUX_VARIABLES.includes(name)) continue;
    if (name === 'TERM') continue;
    exports.push(`export ${name}=${quote(value)}`);
  }
  return [
    '# Written by Claudeman for one interactive session; removed when the session ends.',
    // Caught (not ignored) signals: the shell outlives a stop long enough to record the CLI's
    // status, and the CLI, whose handlers reset to default on exec, still gets them.
    'trap : HUP INT TERM',
    `unset ${TMUX_VARIABLES.join(' ')}`,
    ...exports,
    'export TERM=xterm-256color',
    [command, ...args].map(quote).join(' '),
    'status=$?',
    `printf '%s\\n' "$status" > ${quote(`${exitPath}.tmp`)} && mv -f ${quote(`${exitPath}.tmp`)} ${quote(exitPath)}`,
    'exit "$status"',
    '',
  ].join('\n');
}

/** Writes the script 0600 (it holds the agent's environment, API keys included), replacing any older one. */
export function writeLaunchScript(files: LaunchFiles, script: string): void {
  rmSync(files.exitPath, { force: true });
  writeFileAtomic(files.scriptPath, script);
}

/**
 * The CLI's exit as the script recorded it: a status of 128+n is the shell's way of saying signal n.
 * Null when no status was written (the shell itself was killed, e.g. by SIGKILL).
 */
export function readExitStatus(files: LaunchFiles): ExitStatus | null {
  let text: string;
  try {
    text = readFileSync(files.exitPath, 'utf8').trim();
  } catch {
    return null;
  }
  const status = Number(text);
  if (!Number.isInteger(status)) return null;
  if (status > 128 && status < 160) {
    const signal = signalName(status - 128);
    if (signal !== null) return { code: null, signal };
  }
  return { code: status, signal: null };
}

export function removeLaunchFiles(files: LaunchFiles): void {
  rmSync(files.scriptPath, { force: true });
  rmSync(files.exitPath, { force: true });
}
