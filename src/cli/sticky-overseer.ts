#!/usr/bin/env node
import { ConfigError, parseTimeout } from '../server/claudeman-config.js';
import { createLogger } from '../server/logger.js';
import { startOverseerServer } from '../server/overseer-server.js';
import { parseHostNames } from '../server/security/host-allowlist.js';
import { TrustedCidrsError, trustedCidrsFromEnv } from '../server/security/trusted-cidrs.js';
import { InstanceLockedError } from '../store/instance-lock.js';
import { type FlagSpec, formatUsage, parseGoFlags } from './go-flags.js';
import { packageVersion } from './version.js';

/**
 * `sticky-overseer`: the process supervisor over a WebSocket at /ws, with the original Go program's
 * interface: flags -command, -db, -version, -help; environment OVERSEER_PORT, OVERSEER_DB,
 * OVERSEER_TRUSTED_CIDRS, OVERSEER_LOG_FILE, and (ours) OVERSEER_ALLOWED_HOSTS.
 */

const PROGRAM = 'sticky-overseer';
/** The protocol version this server is wire-compatible with (the original's release). */
const PROTOCOL_VERSION = '1.0.0';
const DEFAULT_PORT = 8080;
const DEFAULT_DB = './overseer.db';

const FLAGS: readonly FlagSpec[] = [
  {
    name: 'command',
    kind: 'string',
    usage: 'pin: the only executable that start may run (clients may omit command)',
  },
  { name: 'db', kind: 'string', usage: 'SQLite database path (env OVERSEER_DB)', defaultValue: DEFAULT_DB },
  { name: 'version', kind: 'bool', usage: 'print the version and exit' },
  { name: 'help', kind: 'bool', usage: 'print this help and exit' },
  { name: 'h', kind: 'bool', usage: 'print this help and exit' },
];

const ENVIRONMENT_HELP = `
Environment:
  OVERSEER_PORT            TCP port on every interface (default ${DEFAULT_PORT})
  OVERSEER_DB              SQLite database path (the -db flag wins)
  OVERSEER_TRUSTED_CIDRS   comma-separated CIDRs or IPs allowed to connect
                           (default: loopback and every local interface's subnet;
                           allow everyone with 0.0.0.0/0,::/0)
  OVERSEER_LOG_FILE        append every started/output/exited event as JSON lines
  OVERSEER_ALLOWED_HOSTS   comma-separated host names the Host header may carry
                           besides localhost, loopback and this machine's addresses
                           and host name (DNS-rebinding protection)
  OVERSEER_CLIENT_TIMEOUT_MS  a client that answers no ping for this long is
                           disconnected (default 30000; 0: never)
`;

function fail(message: string, code = 1): never {
  process.stderr.write(`${PROGRAM}: ${message}\n`);
  process.exit(code);
}

function clientTimeout(text: string | undefined): { clientTimeoutMs?: number } {
  try {
    const value = parseTimeout('OVERSEER_CLIENT_TIMEOUT_MS', text);
    return value === undefined ? {} : { clientTimeoutMs: value };
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

function parsePort(text: string | undefined): number {
  if (text === undefined || text.trim() === '') return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`invalid OVERSEER_PORT: ${text}`);
  return port;
}

async function main(): Promise<void> {
  const parsed = parseGoFlags(process.argv.slice(2), FLAGS);
  if (!parsed.ok) {
    process.stderr.write(`${parsed.error}\n${formatUsage(PROGRAM, FLAGS)}${ENVIRONMENT_HELP}`);
    process.exit(2);
  }
  const { values } = parsed;
  if (values.get('help') === true || values.get('h') === true) {
    process.stdout.write(`${formatUsage(PROGRAM, FLAGS)}${ENVIRONMENT_HELP}`);
    return;
  }
  if (values.get('version') === true) {
    process.stdout.write(`${PROGRAM} ${packageVersion()} (protocol ${PROTOCOL_VERSION})\n`);
    return;
  }

  let trusted: ReturnType<typeof trustedCidrsFromEnv>;
  try {
    trusted = trustedCidrsFromEnv(process.env.OVERSEER_TRUSTED_CIDRS);
  } catch (error) {
    if (error instanceof TrustedCidrsError) fail(error.message);
    throw error;
  }
  const flagDb = values.get('db');
  const dbPath = typeof flagDb === 'string' ? flagDb : process.env.OVERSEER_DB || DEFAULT_DB;
  const pinned = values.get('command');
  const logger = createLogger();

  const server = await startOverseerServer({
    dbPath,
    pinnedCommand: typeof pinned === 'string' && pinned !== '' ? pinned : null,
    logFile: process.env.OVERSEER_LOG_FILE || null,
    trusted,
    allowedHosts: parseHostNames(process.env.OVERSEER_ALLOWED_HOSTS),
    ...clientTimeout(process.env.OVERSEER_CLIENT_TIMEOUT_MS),
    host: '::',
    port: parsePort(process.env.OVERSEER_PORT),
    logger,
  }).catch((error: Error) =>
    // Another server owns the database file: said as it is, nothing of the other one was touched.
    fail(error instanceof InstanceLockedError ? error.message : `cannot start: ${error.message}`),
  );

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) fail(`second ${signal}: exiting without waiting for workers`, 130);
    logger.info({ signal }, 'shutting down: stopping every worker');
    server.close().then(
      () => process.exit(0),
      (error: Error) => fail(`shutdown failed: ${error.message}`),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

main().catch((error: Error) => fail(error.stack ?? error.message));
