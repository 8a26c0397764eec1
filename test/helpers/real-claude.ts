/**
 * Running the REAL Claude Code CLI (node_modules/.bin/claude) offline, against the fake Anthropic API in
 * test/fixtures/fake-anthropic/server.ts.
 *
 * `createRealClaudeHome()` makes a private config home with the first-run screens pre-answered
 * (onboarding, "use this API key?", folder trust, bypass-permissions warning) and returns the env for a child.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The real CLI installed as a dev dependency. */
export const REAL_CLAUDE_PATH = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** The version pinned in package.json (what `claude --version` prints before " (Claude Code)"). */
export const REAL_CLAUDE_VERSION = '2.1.197';

export interface RealClaudeHomeOptions {
  /** ANTHROPIC_BASE_URL, e.g. the fake's `url`. */
  baseUrl: string;
  /** Working directories to mark as trusted (the folder-trust screen is skipped for them). */
  trustedDirs?: string[];
  /** Default: `sk-test-` + 32 random hex characters. */
  apiKey?: string;
  /** Write `skipDangerousModePermissionPrompt: true` into settings.json (default true). */
  skipDangerousModePrompt?: boolean;
  /** More user settings (merged into $CLAUDE_CONFIG_DIR/settings.json), e.g. `{ hooks: … }`. */
  settings?: Record<string, unknown>;
  /** Extra variables for the child (override the defaults). */
  env?: Record<string, string>;
}

export interface RealClaudeHome {
  /** The temp dir used as HOME. */
  home: string;
  /** CLAUDE_CONFIG_DIR (inside `home`); holds .claude.json, settings.json, projects/<cwd>/<session>.jsonl. */
  configDir: string;
  apiKey: string;
  /** The environment for a child `claude` (the parent's, cleaned, plus the variables below). */
  env: Record<string, string>;
  /** Marks one more working directory as trusted (rewrites .claude.json). */
  trust(dir: string): void;
  /** Deletes the whole home. */
  remove(): void;
}

/** Variables from a parent Claude Code (or a developer's shell) that would change how the child behaves. */
const INHERITED_TO_DROP =
  /^(CLAUDECODE|CLAUDE_CODE_.*|CLAUDE_CONFIG_DIR|CLAUDE_PROJECT_DIR|CLAUDE_ENV_FILE|ANTHROPIC_.*|AI_AGENT)$/;

/**
 * A private config home for the real CLI, pre-seeded so that it starts straight into its prompt:
 * `$CLAUDE_CONFIG_DIR/.claude.json` = `{hasCompletedOnboarding, customApiKeyResponses.approved: [last 20
 * chars of the key], projects[dir].hasTrustDialogAccepted}` and `settings.json` =
 * `{skipDangerousModePermissionPrompt: true, …settings}`.
 * The env sets ANTHROPIC_BASE_URL, ANTHROPIC_API_KEY, CLAUDE_CONFIG_DIR, HOME, DISABLE_TELEMETRY=1,
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1, DISABLE_AUTOUPDATER=1, CLAUDE_CODE_MAX_RETRIES=1, IS_SANDBOX=1
 * (so --dangerously-skip-permissions works as root), TERM=xterm-256color, and removes CLAUDECODE.
 */
export function createRealClaudeHome(options: RealClaudeHomeOptions): RealClaudeHome {
  const home = realpathSync(mkdtempSync(join(tmpdir(), 'real-claude-home-')));
  const configDir = join(home, '.claude');
  mkdirSync(configDir, { recursive: true });
  const apiKey = options.apiKey ?? `sk-test-${randomBytes(16).toString('hex')}`;
  const trusted = new Set<string>();

  const writeConfig = () => {
    const projects: Record<string, unknown> = {};
    for (const dir of trusted) {
      projects[dir] = { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [] };
    }
    writeFileSync(
      join(configDir, '.claude.json'),
      JSON.stringify(
        {
          hasCompletedOnboarding: true,
          lastOnboardingVersion: REAL_CLAUDE_VERSION,
          customApiKeyResponses: { approved: [apiKey.slice(-20)], rejected: [] },
          projects,
        },
        null,
        2,
      ),
    );
  };
  const trust = (dir: string) => {
    trusted.add(dir);
    if (existsSync(dir)) trusted.add(realpathSync(dir));
    writeConfig();
  };
  for (const dir of options.trustedDirs ?? []) trust(dir);
  writeConfig();

  const settings: Record<string, unknown> = { ...(options.settings ?? {}) };
  if (options.skipDangerousModePrompt ?? true) settings.skipDangerousModePermissionPrompt = true;
  writeFileSync(join(configDir, 'settings.json'), JSON.stringify(settings, null, 2));

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !INHERITED_TO_DROP.test(key)) env[key] = value;
  }
  Object.assign(env, {
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: apiKey,
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    IS_SANDBOX: '1',
    TERM: 'xterm-256color',
    ...(options.env ?? {}),
  });

  return {
    home,
    configDir,
    apiKey,
    env,
    trust,
    remove: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Stop-hook (or any hook) settings whose command appends the payload JSON (one per line) to `file`. */
export function hookSettingsJson(events: string[], file: (event: string) => string): string {
  const hooks: Record<string, unknown> = {};
  for (const event of events) {
    hooks[event] = [{ hooks: [{ type: 'command', command: `{ cat; echo; } >> '${file(event)}'` }] }];
  }
  return JSON.stringify({ hooks });
}
