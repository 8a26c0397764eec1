import type { Command } from 'commander';
import type { RalphStatus } from '../../protocol/rest/ralph.js';
import { type ClientOptions, clientCommand, integer, onRun, positiveNumber } from '../client/command.js';
import { details, orDash, printRaw, time, usd } from '../client/output.js';

interface StartOptions extends ClientOptions {
  workers?: number;
  minMinutes?: number;
  maxCost?: number;
  session?: string[];
}

function printStatus(status: RalphStatus): void {
  details([
    ['running', status.running ? 'yes' : 'no'],
    ['started', time(status.startedAt)],
    ['min duration', status.minDurationMinutes === null ? '-' : `${status.minDurationMinutes} min`],
    ['budget', usd(status.maxCostUsd)],
    ['max workers', String(status.maxWorkers)],
    ['assignments', String(status.assignments.length)],
    ['completed', String(status.completedCount)],
    ['failed', String(status.failedCount)],
    ['total cost', usd(status.totalCost)],
    ['stop reason', orDash(status.stopReason)],
  ]);
}

export function registerRalph(program: Command): void {
  const ralph = program.command('ralph').description('the Ralph loop: works the task queue with sessions');

  onRun<StartOptions>(
    clientCommand(ralph, 'start', 'start the loop')
      .option('--workers <n>', 'most sessions the loop starts itself', integer(0, 1000))
      .option('--min-minutes <m>', 'keep going at least this long, generating follow-up work', positiveNumber)
      .option('--max-cost <usd>', 'stop once this much was spent', positiveNumber),
    async (client, options) => {
      const body = {
        ...(options.workers === undefined ? {} : { maxWorkers: options.workers }),
        ...(options.minMinutes === undefined ? {} : { minDurationMinutes: options.minMinutes }),
        ...(options.maxCost === undefined ? {} : { maxCostUsd: options.maxCost }),
      };
      const { value, text } = await client.post<{ status: RalphStatus }>('/api/ralph/start', body);
      if (options.json === true) return printRaw(text);
      printStatus(value.status);
    },
  );

  onRun(clientCommand(ralph, 'stop', 'stop the loop'), async (client, options) => {
    const { value, text } = await client.post<{ status: RalphStatus }>('/api/ralph/stop');
    if (options.json === true) return printRaw(text);
    printStatus(value.status);
  });

  onRun(clientCommand(ralph, 'status', 'the loop’s state'), async (client, options) => {
    const { value, text } = await client.get<RalphStatus>('/api/ralph');
    if (options.json === true) return printRaw(text);
    printStatus(value);
  });
}
