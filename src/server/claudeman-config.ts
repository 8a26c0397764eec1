import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { withoutOwnNodeBins } from '../agent/claude/user-path.js';
import type { PermissionMode } from '../protocol/rest/session.js';
import { parseHostNames } from './security/host-allowlist.js';

/** Settings of `claudeman web`, resolved once at start: flags win over environment, environment over defaults. */
export interface ClaudemanConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly casesDir: string;
  /** Fixed access token (CLAUDEMAN_TOKEN), else one is created in the data directory. */
  readonly token: string | undefined;
  readonly claudeBin: string | null;
  readonly permissionMode: PermissionMode;
  readonly oneShotTimeoutMs: number;
  /** Extra host names the `Host` header may carry (CLAUDEMAN_ALLOWED_HOSTS, comma-separated). */
  readonly extraHostNames: readonly string[];
  /** OVERSEER_TRUSTED_CIDRS syntax; unset = loopback and local interfaces. */
  readonly trustedCidrs: string | undefined;
  /** Environment of the CLI processes (the server's own by default). */
  readonly childEnv: NodeJS.ProcessEnv;
  /**
   * Where interactive sessions run (CLAUDEMAN_TERMINAL_HOST): `auto` uses tmux when it is installed
   * (sessions survive restarts and crashes), `tmux` requires it, `pty` never uses it.
   */
  readonly terminalHost: TerminalHostSetting;
  /** The overseer face's JSONL event log (OVERSEER_LOG_FILE, as for sticky-overseer); none when unset. */
  readonly overseerLogFile?: string | null;
  /** Silence after which a client is disconnected (CLAUDEMAN_CLIENT_TIMEOUT_MS; default Limits.clientTimeoutMs; 0: never). */
  readonly clientTimeoutMs?: number;
  /**
   * Waited past a usage limit's reset before the Ralph loop, scheduled runs and respawn controllers
   * go on (CLAUDEMAN_LIMIT_RESUME_MARGIN_MS; default a minute, see agent/session/limit-pause.ts).
   */
  readonly limitResumeMarginMs?: number;
}

export type TerminalHostSetting = 'auto' | 'tmux' | 'pty';
const TERMINAL_HOST_SETTINGS: readonly TerminalHostSetting[] = ['auto', 'tmux', 'pty'];

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
/** A headless run that prints no result for this long is stopped (ms): 30 minutes. */
export const DEFAULT_ONESHOT_TIMEOUT_MS = 30 * 60 * 1000;

export interface ConfigFlags {
  readonly port?: string;
  readonly host?: string;
  readonly dataDir?: string;
}

export class ConfigError extends Error {}

const PERMISSION_MODES: readonly PermissionMode[] = [
  'skip',
  'default',
  'acceptEdits',
  'plan',
  'bypassPermissions',
];

/** A timeout in milliseconds from the environment (a whole number ≥ 0); undefined when unset. */
export function parseTimeout(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) {
    throw new ConfigError(`invalid ${name} ${JSON.stringify(text)}: use a whole number of milliseconds ≥ 0`);
  }
  return value;
}

function claudeBinOf(value: string | undefined): string | null {
  if (!value) return null;
  return value.includes('/') ? resolve(value) : value;
}

export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): ClaudemanConfig {
  const portText = flags.port ?? env.CLAUDEMAN_PORT ?? String(DEFAULT_PORT);
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`invalid port ${JSON.stringify(portText)}: use a number from 0 to 65535`);
  }
  const permission = (env.CLAUDEMAN_PERMISSION_MODE ?? 'skip') as PermissionMode;
  if (!PERMISSION_MODES.includes(permission)) {
    throw new ConfigError(
      `invalid CLAUDEMAN_PERMISSION_MODE ${permission}: use one of ${PERMISSION_MODES.join(', ')}`,
    );
  }
  const terminalHost = (env.CLAUDEMAN_TERMINAL_HOST || 'auto') as TerminalHostSetting;
  if (!TERMINAL_HOST_SETTINGS.includes(terminalHost)) {
    throw new ConfigError(
      `invalid CLAUDEMAN_TERMINAL_HOST ${terminalHost}: use one of ${TERMINAL_HOST_SETTINGS.join(', ')}`,
    );
  }
  const clientTimeoutMs = parseTimeout('CLAUDEMAN_CLIENT_TIMEOUT_MS', env.CLAUDEMAN_CLIENT_TIMEOUT_MS);
  const limitResumeMarginMs = parseTimeout(
    'CLAUDEMAN_LIMIT_RESUME_MARGIN_MS',
    env.CLAUDEMAN_LIMIT_RESUME_MARGIN_MS,
  );
  // An empty path resolves to the current directory, where the database would land unnoticed.
  if (flags.dataDir === '') throw new ConfigError('--data-dir needs a directory, not an empty path');
  return {
    host: flags.host ?? env.CLAUDEMAN_HOST ?? DEFAULT_HOST,
    port,
    // An empty variable counts as unset (as the client commands read CLAUDEMAN_HOME).
    dataDir: resolve(flags.dataDir ?? (env.CLAUDEMAN_HOME || join(homedir(), '.claudeman'))),
    casesDir: resolve(env.CLAUDEMAN_CASES_DIR || join(homedir(), 'claudeman-cases')),
    token: env.CLAUDEMAN_TOKEN || undefined,
    // A path (not a bare name looked up on PATH) is the server's: relative to where it was started,
    // not to each session's working directory, where it would silently not exist (exit 127).
    claudeBin: claudeBinOf(env.CLAUDEMAN_CLAUDE_BIN),
    permissionMode: permission,
    oneShotTimeoutMs: DEFAULT_ONESHOT_TIMEOUT_MS,
    extraHostNames: parseHostNames(env.CLAUDEMAN_ALLOWED_HOSTS),
    trustedCidrs: env.OVERSEER_TRUSTED_CIDRS,
    // The agents run the user's tools, not this package's own (see withoutOwnNodeBins).
    childEnv: env.PATH === undefined ? env : { ...env, PATH: withoutOwnNodeBins(env.PATH) },
    terminalHost,
    overseerLogFile: env.OVERSEER_LOG_FILE ? resolve(env.OVERSEER_LOG_FILE) : null,
    ...(clientTimeoutMs === undefined ? {} : { clientTimeoutMs }),
    ...(limitResumeMarginMs === undefined ? {} : { limitResumeMarginMs }),
  };
}
