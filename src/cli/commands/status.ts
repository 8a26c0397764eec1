import type { Command } from 'commander';
import type { StatusSnapshot } from '../../protocol/rest/status.js';
import { clientCommand, onRun } from '../client/command.js';
import { details, out, printRaw } from '../client/output.js';

const usd = (amount: number): string => `$${amount.toFixed(4)}`;

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
        // The ledger's sums: they include the sessions deleted since (each scheduled iteration's).
        ['cost today', usd(value.costs.todayUsd)],
        ['total cost', usd(value.costs.totalUsd)],
        ...value.costs.cases
          .filter((entry) => entry.case !== '')
          .slice(0, 5)
          .map((entry): [string, string] => [`  case ${entry.case}`, usd(entry.usd)]),
      ]);
    },
  );
}
