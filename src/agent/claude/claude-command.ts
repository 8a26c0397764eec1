import type { PermissionMode } from '../../protocol/rest/session.js';

/**
 * The command lines and environment of Claude Code runs: the one place that knows the CLI's flags.
 * See spec/claude-code.md.
 */

export interface LaunchOptions {
  readonly permissionMode: PermissionMode;
  /** Tools the CLI may use without asking (`--allowedTools`). */
  readonly allowedTools?: readonly string[];
  readonly model?: string;
  /** A conversation to continue (`--resume`). */
  readonly resume?: string;
  /**
   * A settings file for this run only (`--settings <path>`), e.g. hooks. A path, never the JSON
   * itself: the command line is readable by every local user, and the hooks carry a secret.
   */
  readonly settingsFile?: string;
}

function commonArgs(options: LaunchOptions): string[] {
  const args: string[] = [];
  if (options.permissionMode === 'skip') args.push('--dangerously-skip-permissions');
  else args.push('--permission-mode', options.permissionMode);
  if (options.allowedTools !== undefined && options.allowedTools.length > 0) {
    args.push('--allowedTools', options.allowedTools.join(','));
  }
  if (options.model) args.push('--model', options.model);
  if (options.resume) args.push('--resume', options.resume);
  if (options.settingsFile) args.push('--settings', options.settingsFile);
  return args;
}

/** Headless run; the prompt goes to stdin (argv is limited). `--verbose` is required with stream-json. */
export function oneShotArgs(options: LaunchOptions): string[] {
  return ['-p', '--output-format', 'stream-json', '--verbose', ...commonArgs(options)];
}

export function interactiveArgs(options: LaunchOptions): string[] {
  return commonArgs(options);
}

/**
 * The child's environment: the server's, without `CLAUDECODE` (a nested Claude Code misbehaves when
 * it sees its parent's), and with `IS_SANDBOX=1` when skipping permissions as root, which the CLI
 * otherwise refuses.
 */
export function childEnvironment(
  base: NodeJS.ProcessEnv,
  permissionMode: PermissionMode,
  isRoot: boolean = process.getuid?.() === 0,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env.CLAUDECODE;
  if (permissionMode === 'skip' && isRoot) env.IS_SANDBOX = '1';
  return env;
}
