#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { describeClaudeBinary } from '../agent/claude/claude-binary.js';
import { ConfigError, resolveConfig } from '../server/claudeman-config.js';
import { startClaudemanServer } from '../server/claudeman-server.js';
import { createLogger } from '../server/logger.js';
import { InstanceLockedError } from '../store/instance-lock.js';
import { CliError } from './client/errors.js';
import { removeServerFile, writeServerFile } from './client/server-file.js';
import { registerCase } from './commands/case.js';
import { registerCompletion } from './commands/completion.js';
import { registerRalph } from './commands/ralph.js';
import { registerRespawn } from './commands/respawn.js';
import { registerRun } from './commands/run.js';
import { registerScheduled } from './commands/scheduled.js';
import { registerSession } from './commands/session.js';
import { registerStatus } from './commands/status.js';
import { registerTask } from './commands/task.js';
import { registerTasks } from './commands/tasks.js';
import { openInBrowser } from './open-browser.js';
import { packageVersion } from './version.js';

/**
 * `claudeman`: the Claude Code session manager's command line. `web` starts the server; the other
 * commands are clients of the running server (found through `<data dir>/server.json` and `token`, or
 * `--url`/`--token`). Exit codes: 0 ok, 1 failure, 2 usage.
 */
const program = new Command('claudeman')
  .description('Claude Code session manager: sessions in PTYs, REST + SSE API, overseer /ws')
  .version(packageVersion())
  // Usage errors exit 2 (commander's default is 1); set before the subcommands, which inherit it.
  .exitOverride()
  .showSuggestionAfterError();

program
  .command('web')
  .description(
    'start the server (REST API, event stream, overseer /ws) and print its URL with the access token',
  )
  .option('-p, --port <port>', 'TCP port (env CLAUDEMAN_PORT; default 3000)')
  .option('--host <host>', 'address to bind (env CLAUDEMAN_HOST; default 127.0.0.1)')
  .option('--data-dir <dir>', 'data directory: database, token (env CLAUDEMAN_HOME; default ~/.claudeman)')
  .option('--no-open', 'do not open the web interface in the desktop browser')
  .action(async (options: { port?: string; host?: string; dataDir?: string; open: boolean }) => {
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
      // Another server owns the data directory: said as it is, nothing of the other one was touched.
      if (error instanceof InstanceLockedError) {
        process.stderr.write(`claudeman: ${error.message}\n`);
        process.exit(1);
      }
      const hint = error.code === 'EADDRINUSE' ? ` (another server on port ${config.port}? try -p)` : '';
      process.stderr.write(`claudeman: cannot start: ${error.message}${hint}\n`);
      process.exit(1);
    });
    // Where the client commands find this server; written before the address is announced, so
    // whoever sees the announcement finds the file. Removed on the way out.
    writeServerFile(config.dataDir, { url: new URL(server.url).origin, pid: process.pid });
    process.stdout.write(`Claudeman listening on ${server.url}\n`);
    if (options.open) openInBrowser(server.url);
    // Which CLI the sessions will run, found as they will find it (never this package's test copy).
    void describeClaudeBinary(config.claudeBin, config.childEnv).then((line) =>
      process.stdout.write(`${line}\n`),
    );
    process.on('exit', () => removeServerFile(config.dataDir, process.pid));
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

registerStatus(program);
registerSession(program);
registerRun(program);
registerCase(program);
registerTask(program);
registerRalph(program);
registerScheduled(program);
registerRespawn(program);
registerTasks(program);
registerCompletion(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed the message (or the help/version) already.
    process.exit(error.exitCode === 0 ? 0 : 2);
  }
  if (error instanceof CliError) {
    process.stderr.write(`claudeman: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  throw error;
}
