import { execFile } from 'node:child_process';
import { lookPath } from '../../supervisor/spawn/look-path.js';

/** Where the `claude` CLI is, or why it cannot be used, with the fix in the message. */
export type ClaudeBinary =
  | { readonly ok: true; readonly path: string }
  | { readonly ok: false; readonly error: string };

const INSTALL_HINT =
  'install it with `npm install -g @anthropic-ai/claude-code`, or point CLAUDEMAN_CLAUDE_BIN at the executable';

/**
 * Resolves the CLI: the configured path when one is set (it must be executable), else `claude` on
 * PATH. Resolved at each launch, so installing the CLI does not need a server restart.
 */
export function resolveClaudeBinary(configured: string | null, pathEnv: string | undefined): ClaudeBinary {
  if (configured !== null && configured !== '') {
    const found = lookPath(configured.includes('/') ? configured : `./${configured}`, pathEnv);
    if (found.ok) return found;
    return { ok: false, error: `claude CLI not usable at ${configured} (${found.error}): ${INSTALL_HINT}` };
  }
  const found = lookPath('claude', pathEnv);
  if (found.ok) return found;
  return { ok: false, error: `claude CLI not found on PATH: ${INSTALL_HINT}` };
}

/** How long `claude --version` may take at start-up before the banner says it did not answer (ms). */
const VERSION_TIMEOUT_MS = 10_000;

/**
 * One line for the start-up banner: which `claude` sessions will run, with its version — so a person
 * sees at once when it is not the CLI they expect (or none at all).
 */
export async function describeClaudeBinary(
  configured: string | null,
  env: NodeJS.ProcessEnv,
): Promise<string> {
  const found = resolveClaudeBinary(configured, env.PATH);
  if (!found.ok) return `Claude Code: ${found.error}`;
  const version = await new Promise<string>((resolveVersion) => {
    execFile(
      found.path,
      ['--version'],
      { env, timeout: VERSION_TIMEOUT_MS, maxBuffer: 64 * 1024 },
      (error, stdout) => {
        const line =
          String(stdout)
            .split('\n', 1)[0]
            ?.trim()
            .replace(/\s*\(Claude Code\)$/, '') ?? '';
        if (error !== null && line === '')
          resolveVersion(`version unknown: ${error.message.split('\n', 1)[0]}`);
        else resolveVersion(line === '' ? 'version unknown' : line);
      },
    );
  });
  return `Claude Code: ${found.path} (${version})`;
}
