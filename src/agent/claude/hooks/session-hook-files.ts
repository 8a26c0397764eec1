import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../../../util/private-file.js';
import { type HookEndpoint, hookSettingsJson } from './hook-settings.js';

/**
 * Each session's private files in the data directory, `<data>/sessions/<id>/`:
 * - `settings.json`, what its CLI gets as `--settings <path>` (the hooks);
 * - `hook-secret`, the secret its hooks authenticate with, read by the relay.
 * Both 0600 in a 0700 directory, written atomically. They live as long as the session: an agent in
 * tmux outlives the server, and its hooks still read them.
 */

export const SESSIONS_DIR = 'sessions';
export const SETTINGS_FILE = 'settings.json';
export const HOOK_SECRET_FILE = 'hook-secret';

/** Session ids the server makes (UUIDs) are used as they are; anything else by its digest. */
const PLAIN_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** Who the files are for: a session's id and its hook secret. */
export interface HookedSession {
  readonly id: string;
  readonly hookSecret: string;
}

export class SessionHookFiles {
  private readonly root: string;
  private endpoint: HookEndpoint | null = null;

  constructor(dataDir: string) {
    this.root = join(dataDir, SESSIONS_DIR);
  }

  /** The directory of a session's files: never outside the root, whatever the id. */
  dirOf(sessionId: string): string {
    const name = PLAIN_ID.test(sessionId)
      ? sessionId
      : `id-${createHash('sha256').update(sessionId).digest('hex').slice(0, 32)}`;
    return join(this.root, name);
  }

  settingsPath(sessionId: string): string {
    return join(this.dirOf(sessionId), SETTINGS_FILE);
  }

  /**
   * Where hooks report from now on (the server listens, maybe on a new port): the settings of every
   * session listed that has them are rewritten with it, and the files of sessions no longer listed
   * (deleted while no server ran) are removed.
   */
  setEndpoint(endpoint: HookEndpoint, sessions: Iterable<HookedSession>): void {
    this.endpoint = endpoint;
    const kept = new Set<string>();
    for (const session of sessions) {
      const dir = this.dirOf(session.id);
      kept.add(dir);
      if (existsSync(join(dir, SETTINGS_FILE))) this.write(endpoint, session);
    }
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return; // No session has had files yet.
    }
    for (const name of names) {
      const dir = join(this.root, name);
      if (!kept.has(dir)) rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Writes the session's files and returns the path to give as `--settings`; null while the server
   * does not listen yet (the CLI then runs without hooks). Throws when the files cannot be written.
   */
  prepare(session: HookedSession): string | null {
    if (this.endpoint === null) return null;
    return this.write(this.endpoint, session);
  }

  /** The session is deleted: its files go with it. */
  remove(sessionId: string): void {
    rmSync(this.dirOf(sessionId), { recursive: true, force: true });
  }

  private write(endpoint: HookEndpoint, session: HookedSession): string {
    ensurePrivateDir(this.root);
    const dir = this.dirOf(session.id);
    ensurePrivateDir(dir);
    const secretPath = join(dir, HOOK_SECRET_FILE);
    // The secret first: the settings name it, and a CLI may read them as soon as they exist.
    writeFileAtomic(secretPath, `${session.hookSecret}\n`);
    const settingsPath = join(dir, SETTINGS_FILE);
    writeFileAtomic(settingsPath, hookSettingsJson(endpoint, session.id, secretPath));
    return settingsPath;
  }
}
