import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type ClientOptions, clientCommand, onRun } from '../client/command.js';
import { out, paint, printRaw, usd } from '../client/output.js';

interface QuickRunReply {
  readonly sessionId: string;
  readonly result: string;
  readonly cost: number | null;
}

export function registerRun(program: Command): void {
  onRun<ClientOptions & { dir?: string }>(
    clientCommand(
      program,
      'run <prompt>',
      'run a prompt in a fresh session and print the result and its cost',
    ).option('-d, --dir <dir>', 'working directory'),
    async (client, options, [prompt = '']) => {
      const body = { prompt, ...(options.dir === undefined ? {} : { workingDir: resolve(options.dir) }) };
      const { value, text } = await client.post<QuickRunReply>('/api/run', body);
      if (options.json === true) return printRaw(text);
      out(value.result);
      out(paint(`cost: ${usd(value.cost)}`, 'dim'));
    },
  );
}
