import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * Resolves a command the way the original Go server did (os/exec LookPath), so that a failed start
 * reports the same text its clients already know, e.g.
 * `exec: "foo": executable file not found in $PATH`.
 */
export type LookPathResult =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly error: string };

function isExecutableFile(path: string): boolean {
  try {
    const stats = statSync(path);
    if (!stats.isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    // Missing, unreadable or not executable: all mean "not this candidate".
    return false;
  }
}

/** Go's exec error text for a path that exists in argv but cannot be executed. */
function execFailure(path: string): string | null {
  try {
    const stats = statSync(path);
    if (stats.isDirectory()) return `fork/exec ${path}: permission denied`;
    accessSync(path, constants.X_OK);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return `fork/exec ${path}: no such file or directory`;
    if (code === 'EACCES') return `fork/exec ${path}: permission denied`;
    return `fork/exec ${path}: ${(error as Error).message}`;
  }
}

export function lookPath(command: string, pathEnv: string | undefined = process.env.PATH): LookPathResult {
  if (command.includes('/')) {
    const error = execFailure(command);
    return error === null ? { ok: true, path: command } : { ok: false, error };
  }
  if (command === '') return { ok: false, error: 'exec: no command' };
  for (const dir of (pathEnv ?? '').split(delimiter)) {
    const candidate = join(dir === '' ? '.' : dir, command);
    if (isExecutableFile(candidate)) return { ok: true, path: candidate };
  }
  return { ok: false, error: `exec: ${JSON.stringify(command)}: executable file not found in $PATH` };
}
