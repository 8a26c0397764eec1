import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

export type WorkingDirResult =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly error: string };

/**
 * Validates a working directory from a client. An absolute path may be any existing directory (this
 * is the user's own machine, behind the token); a relative one is taken inside `base` (the cases
 * root) and may not climb out of it. Symbolic links are resolved before the check.
 */
export function resolveWorkingDir(input: string, base: string): WorkingDirResult {
  if (input.includes('\0')) return { ok: false, error: 'working directory contains a NUL byte' };
  const candidate = isAbsolute(input) ? input : resolve(base, input);
  let real: string;
  try {
    real = realpathSync(candidate);
    if (!statSync(real).isDirectory()) return { ok: false, error: `not a directory: ${input}` };
  } catch {
    return { ok: false, error: `no such directory: ${input}` };
  }
  if (!isAbsolute(input)) {
    const inside = relative(realpathSafe(base), real);
    if (inside.startsWith('..') || isAbsolute(inside)) {
      return { ok: false, error: `working directory escapes the cases root: ${input}` };
    }
  }
  return { ok: true, path: real };
}

function realpathSafe(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
