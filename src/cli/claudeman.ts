#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, resolveConfig } from '../server/claudeman-config.js';
import { startClaudemanServer } from '../server/claudeman-server.js';
import { createLogger } from '../server/logger.js';
import { packageVersion } from './version.js';

/**
 * `claudeman`: the Claude Code session manager's command line. `web` starts the server; the client
 * commands (sessions, tasks, Ralph loop, …) arrive with the command-line issue.
 */
const program = new Command('claudeman')
  .description('Claude Code session manager: sessions in PTYs, REST + SSE API, overseer /ws')
  .version(packageVersion());

program
  .command('web')
  .description(
    'start the server (REST API, event stream, overseer /ws) and print its URL with the access token',
  )
  .option('-p, --port <port>', 'TCP port (env CLAUDEMAN_PORT; default 3000)')
  .option('--host <host>', 'address to bind (env CLAUDEMAN_HOST; default 127.0.0.1)')
  .option('--data-dir <dir>', 'data directory: database, token (env CLAUDEMAN_HOME; default ~/.claudeman)')
  .action(async (options: { port?: string; host?: string; dataDir?: string }) => {
    let config: ReturnType<typeof resolveConfig>;
    try {
      config = resolveConfig(options, process.env);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      process.stderr.write(`claudeman: ${error.message}\n`);
      process.exit(2);
    }
    const logger = createLogger(
      process.env.CLAUDEMAN_LOG_LEVEL === undefined ? 'info' : (process.env.CLAUDEMAN_LOG_LEVEL as 'info'),
    );
    const server = await startClaudemanServer(config, logger).catch((error: NodeJS.ErrnoException) => {
      const hint = error.code === 'EADDRINUSE' ? ` (another server on port ${config.port}? try -p)` : '';
      process.stderr.write(`claudeman: cannot start: ${error.message}${hint}\n`);
      process.exit(1);
    });
    process.stdout.write(`Claudeman listening on ${server.url}\n`);
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) process.exit(130);
      stopping = true;
      logger.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (error: Error) => {
          process.stderr.write(`claudeman: shutdown failed: ${error.message}\n`);
          process.exit(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

await program.parseAsync();
