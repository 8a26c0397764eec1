#!/usr/bin/env node
import { Command } from 'commander';
import { packageVersion } from './version.js';

/**
 * `claudeman`: the Claude Code session manager's command line. The `web` server and the client
 * commands arrive with the sessions issue; until then this says so instead of pretending.
 */
const program = new Command('claudeman')
  .description('Claude Code session manager (sessions, respawn, Ralph loop, scheduled runs)')
  .version(packageVersion());

program
  .command('web')
  .description('start the web server (REST API, SSE, web UI, overseer /ws)')
  .action(() => {
    process.stderr.write(
      'claudeman web is not available yet in this version; the process supervisor runs as `sticky-overseer` (npm start).\n',
    );
    process.exitCode = 1;
  });

program.parse();
