import { join } from 'node:path';
import { createLogger } from '../../src/server/logger.js';
import { type RunningOverseer, startOverseerServer } from '../../src/server/overseer-server.js';
import { defaultTrustedCidrs, parseTrustedCidrs } from '../../src/server/security/trusted-cidrs.js';
import { makeTempDir } from './temp-dir.js';

export interface StartOverseerOptions {
  /** SQLite file; default: a fresh file in a new temp dir. */
  dbPath?: string;
  /** Like the -command flag. */
  pinnedCommand?: string;
  /** Like OVERSEER_LOG_FILE. */
  logFile?: string;
  /** Like OVERSEER_TRUSTED_CIDRS; default unset = loopback + local interfaces. */
  trustedCidrs?: string;
  /** Bind address, default 127.0.0.1. */
  host?: string;
  /** Most /ws connections at once; default the server's constant. */
  maxClients?: number;
  /** Like OVERSEER_ALLOWED_HOSTS (already split). */
  allowedHosts?: string[];
  /** Like OVERSEER_CLIENT_TIMEOUT_MS; default the server's constant. */
  clientTimeoutMs?: number;
}

export interface OverseerTestServer {
  /** ws://127.0.0.1:<port>/ws */
  url: string;
  port: number;
  dbPath: string;
  /** Graceful shutdown: stops every worker, closes the db (and removes the temp dir it created). */
  close(): Promise<void>;
  /** The server's insides, for tests that must see what no client can (e.g. a stalled client's fate). */
  running: RunningOverseer;
}

/** A real sticky-overseer server in this process, on a loopback port chosen by the OS. */
export async function startOverseer(options: StartOverseerOptions = {}): Promise<OverseerTestServer> {
  const temp = options.dbPath === undefined ? makeTempDir('overseer-') : null;
  const dbPath = options.dbPath ?? join(temp?.path ?? '.', 'overseer.db');
  const host = options.host ?? '127.0.0.1';
  const server = await startOverseerServer({
    dbPath,
    pinnedCommand: options.pinnedCommand ?? null,
    logFile: options.logFile ?? null,
    trusted:
      options.trustedCidrs === undefined ? defaultTrustedCidrs() : parseTrustedCidrs(options.trustedCidrs),
    host,
    port: 0,
    logger: createLogger('silent'),
    ...(options.maxClients === undefined ? {} : { maxClients: options.maxClients }),
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    ...(options.clientTimeoutMs === undefined ? {} : { clientTimeoutMs: options.clientTimeoutMs }),
  });
  return {
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${server.port}/ws`,
    port: server.port,
    dbPath,
    running: server,
    close: async () => {
      await server.close();
      temp?.remove();
    },
  };
}
