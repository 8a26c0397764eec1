import { lookPath } from '../supervisor/look-path.js';

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
