import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `PATH` the user's own tools are found on. `npm start` (and every npm script) puts this
 * package's `node_modules/.bin`, and that of each directory above it, first on `PATH`: there sits the
 * Claude Code CLI pinned for our tests (not logged in, maybe not the user's version), and the
 * project's TypeScript, Biome, Vitest… An agent started from such a `PATH` would run our copies
 * instead of the user's. Those entries are dropped; everything else keeps its order.
 */

/** This package's root: `src/agent/claude/` or `dist/agent/claude/` is three levels below it. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The `node_modules/.bin` directories npm adds for a script run in `root`: root's and each parent's. */
function npmScriptBinDirs(root: string): Set<string> {
  const dirs = new Set<string>();
  for (let dir = root; ; dir = dirname(dir)) {
    dirs.add(join(dir, 'node_modules', '.bin'));
    if (dirname(dir) === dir) return dirs;
  }
}

export function withoutOwnNodeBins(
  pathEnv: string | undefined,
  root: string = PACKAGE_ROOT,
): string | undefined {
  if (pathEnv === undefined) return undefined;
  const own = npmScriptBinDirs(resolve(root));
  return pathEnv
    .split(delimiter)
    .filter((dir) => dir === '' || !own.has(resolve(dir)))
    .join(delimiter);
}
