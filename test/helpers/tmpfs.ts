import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/**
 * Whether the tests that need a small file system of their own (a full disk, for real) run: always in
 * CI (which runs as root, so a failing mount fails there), elsewhere only as root, who may mount.
 */
export const TMPFS_TESTS = process.env.CI === 'true' || process.getuid?.() === 0;

/** A tmpfs of `sizeBytes` mounted at `path` (created if needed); unmount() takes it away again. */
export function mountTmpfs(path: string, sizeBytes: number): { path: string; unmount(): void } {
  mkdirSync(path, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0700`, 'tmpfs', path]);
  return { path, unmount: () => execFileSync('umount', [path]) };
}
