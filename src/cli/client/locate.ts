import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { TOKEN_FILE } from '../../protocol/data-dir.js';
import { CliError, NOT_RUNNING } from './errors.js';
import { processAlive, readServerFile } from './server-file.js';

/** The options every client command takes to find the server. */
export interface LocateOptions {
  readonly url?: string;
  readonly token?: string;
  readonly dataDir?: string;
}

export interface ServerAddress {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Undefined when no token was given and the data directory has none. */
  readonly token: string | undefined;
}

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value === '' ? undefined : value;

/**
 * Flags, then environment (`CLAUDEMAN_URL`, `CLAUDEMAN_TOKEN`), then the data directory
 * (`--data-dir`, `CLAUDEMAN_HOME`, `~/.claudeman`): `server.json` for the address, `token` for the token.
 */
export function locateServer(options: LocateOptions, env: NodeJS.ProcessEnv): ServerAddress {
  // An empty flag would resolve to the current directory: a usage error, not a guess.
  if (options.dataDir === '') throw new CliError('--data-dir needs a directory, not an empty path', 2);
  const dataDir = resolve(options.dataDir ?? nonEmpty(env.CLAUDEMAN_HOME) ?? join(homedir(), '.claudeman'));
  let url = nonEmpty(options.url) ?? nonEmpty(env.CLAUDEMAN_URL);
  if (url === undefined) {
    const file = readServerFile(dataDir);
    if (file === undefined || !processAlive(file.pid)) throw new CliError(NOT_RUNNING);
    url = file.url;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CliError(`invalid server URL ${JSON.stringify(url)}: expected http://HOST:PORT`, 2);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`invalid server URL ${JSON.stringify(url)}: expected http://HOST:PORT`, 2);
  }
  // A pasted tokenised URL (`…/?token=…`) gives both.
  const fromUrl = nonEmpty(parsed.searchParams.get('token') ?? undefined);
  let token = nonEmpty(options.token) ?? nonEmpty(env.CLAUDEMAN_TOKEN) ?? fromUrl;
  if (token === undefined) {
    const path = join(dataDir, TOKEN_FILE);
    if (existsSync(path)) token = nonEmpty(readFileSync(path, 'utf8').trim());
  }
  return { url: parsed.origin, token };
}
