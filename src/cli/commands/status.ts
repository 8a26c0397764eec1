import type { Command } from 'commander';
import type { StatusSnapshot } from '../../protocol/rest/status.js';
import { clientCommand, onRun } from '../client/command.js';
import { details, out, printRaw } from '../client/output.js';

export function registerStatus(program: Command): void {
  onRun(
    clientCommand(program, 'status', 'the server’s state: sessions, scheduled runs, respawn controllers'),
    async (client, options) => {
      const { value, text } = await client.get<StatusSnapshot>('/api/status');
      if (options.json === true) return printRaw(text);
      const working = value.sessions.filter((session) => session.isWorking).length;
      const activeRuns = value.scheduledRuns.filter((run) => run.status === 'running').length;
      out(`Claudeman at ${client.server.url}`);
      details([
        ['sessions', `${value.sessions.length} (${working} working)`],
        ['scheduled runs', `${value.scheduledRuns.length} (${activeRuns} running)`],
        ['respawn', `${Object.keys(value.respawnStatus).length} controller(s)`],
        ['total cost', `$${value.sessions.reduce((sum, session) => sum + session.totalCost, 0).toFixed(4)}`],
      ]);
    },
  );
}
