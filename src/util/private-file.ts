import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Files only their owner may read: the access token, the hook settings and secrets, the tmux launch
 * scripts (which carry the agents' environment). Other local users must not read them, so modes are
 * set explicitly rather than left to the umask, and a directory or file that already existed with
 * looser modes is tightened.
 */

/** rwx for the owner only. */
export const PRIVATE_DIR_MODE = 0o700;
/** rw for the owner only. */
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `path` (and missing parents) and makes it 0700, also when it existed with looser modes. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: PRIVATE_DIR_MODE });
  chmodSync(path, PRIVATE_DIR_MODE);
}

/**
 * Replaces `path` with `content` atomically: written to a new temporary file beside it (created with
 * `mode`, never readable by others in between), flushed, then renamed over it. A reader (the CLI
 * reading its settings, a hook relay reading its secret) sees the old file or the new one, never a
 * part; a crash leaves the old one.
 */
export function writeFileAtomic(path: string, content: string, mode: number = PRIVATE_FILE_MODE): void {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  // 'wx': a fresh file of ours, never one someone put there.
  const fd = openSync(temporary, 'wx', mode);
  try {
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The umask can only have taken bits away; this makes the mode exact (e.g. 0700 for a script).
    chmodSync(temporary, mode);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes an existing file 0600 (a token file written by an older version, or by hand). */
export function restrictToOwner(path: string): void {
  chmodSync(path, PRIVATE_FILE_MODE);
}
