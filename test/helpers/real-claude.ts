/**
 * Running the REAL Claude Code CLI offline, against the fake Anthropic API in
 * test/fixtures/fake-anthropic/server.ts, in the two versions the end-to-end tests cover:
 * `REAL_CLAUDE_BINARIES` (the devDependency, and the newest 2.1.x that .ci/run installs).
 *
 * `createRealClaudeHome()` makes a private config home with the first-run screens pre-answered
 * (onboarding, "use this API key?", folder trust, bypass-permissions warning) and returns the env for a child.
 */
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import WebSocket from 'ws';
import type { RalphStatus } from '../../src/protocol/rest/ralph.js';
import type { SessionInfo } from '../../src/protocol/rest/session.js';
import type { TerminalClientFrame } from '../../src/protocol/terminal-frames.js';

/** The real CLI installed as a dev dependency. */
export const REAL_CLAUDE_PATH = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** The version pinned in package.json (what `claude --version` prints before " (Claude Code)"). */
export const REAL_CLAUDE_VERSION = '2.1.197';

/** Set by .ci/run: the `claude` of the newest 2.1.x it installed. */
export const NEWEST_CLAUDE_ENV = 'CLAUDEMAN_TEST_CLAUDE_LATEST';
/** Where .ci/run installs the newest 2.1.x (`npm install --prefix`; inside node_modules, so git-ignored). */
export const NEWEST_CLAUDE_DIR = fileURLToPath(
  new URL('../../node_modules/.cache/claude-latest', import.meta.url),
);

/** One Claude Code CLI the end-to-end tests run against. */
export interface RealClaudeBinary {
  /** As `claude --version` prints it before " (Claude Code)", read from the package's package.json. */
  readonly version: string;
  /** The executable (absolute). */
  readonly path: string;
  /** `pinned`: the devDependency; `newest`: the newest 2.1.x on npm (installed by .ci/run). */
  readonly role: 'pinned' | 'newest';
}

/** The version of the package a `claude` bin belongs to (bin/claude.exe inside @anthropic-ai/claude-code). */
function packageVersion(bin: string): string {
  const manifest = join(dirname(dirname(realpathSync(bin))), 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

function findNewest(): { binary: RealClaudeBinary | null; missing: string | null } {
  const fromEnv = process.env[NEWEST_CLAUDE_ENV];
  const path =
    fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(NEWEST_CLAUDE_DIR, 'node_modules/.bin/claude');
  const how = `run .ci/run, or: npm install --prefix node_modules/.cache/claude-latest --no-save @anthropic-ai/claude-code@<newest 2.1.x>`;
  if (!existsSync(path))
    return { binary: null, missing: `the newest Claude Code is not installed at ${path} (${how})` };
  try {
    return { binary: { version: packageVersion(path), path, role: 'newest' }, missing: null };
  } catch (error) {
    return {
      binary: null,
      missing: `cannot read the version of ${path}: ${(error as Error).message} (${how})`,
    };
  }
}

const newest = findNewest();

/** Why the newest CLI's tests do not run (null when they do). */
export const NEWEST_CLAUDE_MISSING: string | null = newest.missing;

/** The CLIs to test: the pinned one, and the newest when installed (once, if it is the same version). */
export const REAL_CLAUDE_BINARIES: readonly RealClaudeBinary[] = [
  { version: REAL_CLAUDE_VERSION, path: REAL_CLAUDE_PATH, role: 'pinned' },
  ...(newest.binary !== null && newest.binary.version !== REAL_CLAUDE_VERSION ? [newest.binary] : []),
];

/**
 * A `describe` per CLI of REAL_CLAUDE_BINARIES, titled with its version. When the newest CLI is not
 * installed, its tests are skipped on a developer's machine (the reason in their title and on
 * stderr); under CI=true (.ci/run installs it) that is a failing test instead.
 */
export function describeEachRealClaude(title: string, body: (claude: RealClaudeBinary) => void): void {
  for (const claude of REAL_CLAUDE_BINARIES) {
    describe(`${title} [claude ${claude.version}, ${claude.role}]`, () => body(claude));
  }
  const missing = NEWEST_CLAUDE_MISSING;
  if (missing === null) return;
  if (process.env.CI === 'true') {
    describe(`${title} [newest claude]`, () => {
      it('runs against the newest Claude Code 2.1.x, which CI installs', () => {
        throw new Error(missing);
      });
    });
  } else {
    // The default reporter shows only a count of skipped tests: say why, once per file.
    console.warn(`skipping "${title}" for the newest Claude Code: ${missing}`);
    describe.skip(`${title} [newest claude]`, () => {
      it(`skipped: ${missing}`, () => {});
    });
  }
}

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
  /** The CLI's version, written as the last onboarding version (default REAL_CLAUDE_VERSION). */
  version?: string;
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
          lastOnboardingVersion: options.version ?? REAL_CLAUDE_VERSION,
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

// ---------------------------------------------------------------------------------------------------
// claudeman sessions running the real CLI

/** What these helpers need of a server (ClaudemanTestServer has it). */
export interface RealCliServer {
  readonly port: number;
  readonly token: string;
  api(path: string, init?: RequestInit): Promise<Response>;
  send(method: string, path: string, body?: unknown): Promise<Response>;
}

/** Polls an async condition every 100 ms until it holds; throws with `what` after `timeoutMs`. */
export async function pollFor<T>(
  read: () => Promise<T>,
  test: (value: T) => boolean,
  what: string,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (test(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The REST calls the real-CLI tests share: sessions, their state, tasks. */
export function realCliSessions(s: RealCliServer) {
  const json = async <T>(path: string): Promise<T> => (await (await s.api(path)).json()) as T;
  const info = (id: string) => json<SessionInfo>(`/api/sessions/${id}`);
  return {
    info,
    waitFor: (id: string, test: (session: SessionInfo) => boolean, what: string, timeoutMs = 45_000) =>
      pollFor(() => info(id), test, what, timeoutMs),
    /** A new interactive session in `workingDir`, at the CLI's prompt (idle). */
    async interactive(workingDir: string, size = { cols: 120, rows: 40 }): Promise<string> {
      const created = await s.send('POST', '/api/sessions', { workingDir });
      if (created.status !== 201 && created.status !== 200) throw new Error(`create: ${created.status}`);
      const id = ((await created.json()) as { session: { id: string } }).session.id;
      const started = await s.send('POST', `/api/sessions/${id}/interactive`, size);
      if (started.status !== 200) throw new Error(`interactive: ${started.status} ${await started.text()}`);
      await pollFor(
        () => info(id),
        (session) => session.status === 'idle',
        'the CLI at its prompt',
      );
      return id;
    },
    /** Types a line as a person would: the text, then Enter as a second write. */
    async typeLine(id: string, text: string): Promise<void> {
      for (const input of [text, '\r']) {
        const sent = await s.send('POST', `/api/sessions/${id}/input`, { input });
        if (sent.status !== 200) throw new Error(`input: ${sent.status} ${await sent.text()}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    task: (id: string) => json<{ status: string; error?: string | null }>(`/api/tasks/${id}`),
    ralph: () => json<RalphStatus>('/api/ralph'),
    async remove(id: string): Promise<void> {
      await s.api(`/api/sessions/${id}`, { method: 'DELETE' });
    },
  };
}

/** A viewer of a session's terminal (`/ws/sessions/:id/terminal`), open. */
export async function openTerminal(s: RealCliServer, id: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${s.port}/ws/sessions/${id}/terminal?token=${s.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Sends one terminal frame (src/protocol/terminal-frames.ts). */
export function sendFrame(ws: WebSocket, frame: TerminalClientFrame): void {
  ws.send(JSON.stringify(frame));
}
