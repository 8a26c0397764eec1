import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ScheduledRun } from '../../protocol/rest/scheduled.js';
import { type ClientOptions, clientCommand, onRun, positiveNumber } from '../client/command.js';
import { enc } from '../client/http.js';
import { details, orDash, out, printRaw, status, table, time, truncate, usd } from '../client/output.js';

interface CreateOptions extends ClientOptions {
  minutes: number;
  dir?: string;
  maxCost?: number;
}

export function registerScheduled(program: Command): void {
  const scheduled = program
    .command('scheduled')
    .description('scheduled runs: a prompt worked on repeatedly for a set time');

  onRun<CreateOptions>(
    clientCommand(scheduled, 'create <prompt>', 'start a scheduled run (prints its id)')
      .requiredOption('--minutes <m>', 'how long to keep going', positiveNumber)
      .option('-d, --dir <dir>', 'working directory (default: the server’s cases directory)')
      .option('--max-cost <usd>', 'stop once this much was spent', positiveNumber),
    async (client, options, [prompt = '']) => {
      const body = {
        prompt,
        durationMinutes: options.minutes,
        ...(options.dir === undefined ? {} : { workingDir: resolve(options.dir) }),
        ...(options.maxCost === undefined ? {} : { maxCostUsd: options.maxCost }),
      };
      const { value, text } = await client.post<{ run: ScheduledRun }>('/api/scheduled', body);
      if (options.json === true) return printRaw(text);
      out(value.run.id);
    },
  );

  onRun(clientCommand(scheduled, 'list', 'list the scheduled runs'), async (client, options) => {
    const { value, text } = await client.get<ScheduledRun[]>('/api/scheduled');
    if (options.json === true) return printRaw(text);
    table(
      ['ID', 'STATUS', 'ENDS', 'DONE', 'COST', 'PROMPT'],
      value.map((run) => [
        run.id,
        status(run.status),
        time(run.endAt),
        String(run.completedTasks),
        usd(run.totalCost),
        truncate(run.prompt, 40),
      ]),
      'no scheduled runs',
    );
  });

  onRun(
    clientCommand(scheduled, 'show <id>', 'one scheduled run, with its recent log'),
    async (client, options, [id = '']) => {
      const { value, text } = await client.get<ScheduledRun>(`/api/scheduled/${enc(id)}`);
      if (options.json === true) return printRaw(text);
      details([
        ['id', value.id],
        ['status', status(value.status)],
        ['directory', value.workingDir],
        ['started', time(value.startedAt)],
        ['ends', time(value.endAt)],
        ['session', orDash(value.sessionId)],
        ['completed', String(value.completedTasks)],
        ['cost', `${usd(value.totalCost)} of ${usd(value.maxCostUsd)}`],
        ['stop reason', orDash(value.stopReason)],
        ['prompt', value.prompt],
      ]);
      for (const line of value.logs) out(`  ${time(line.ts)}  ${line.message}`);
    },
  );

  onRun(
    clientCommand(scheduled, 'cancel <id>', 'stop a scheduled run', false),
    async (client, _options, [id = '']) => {
      await client.delete(`/api/scheduled/${enc(id)}`);
      out(`cancelled ${id}`);
    },
  );
}
