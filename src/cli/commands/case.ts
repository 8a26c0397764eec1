import type { Command } from 'commander';
import type { CaseInfo } from '../../protocol/rest/cases.js';
import { type ClientOptions, clientCommand, onRun } from '../client/command.js';
import { out, printJsonList, printRaw, table, truncate } from '../client/output.js';

export function registerCase(program: Command): void {
  const cases = program.command('case').description('cases: project directories under the cases root');

  onRun<ClientOptions & { description?: string }>(
    clientCommand(cases, 'create <name>', 'create a case directory').option(
      '--description <text>',
      'what the case is for',
    ),
    async (client, options, [name = '']) => {
      const body = {
        name,
        ...(options.description === undefined ? {} : { description: options.description }),
      };
      const { value, text } = await client.post<{ case: { name: string; path: string } }>('/api/cases', body);
      if (options.json === true) return printRaw(text);
      out(value.case.path);
    },
  );

  onRun(clientCommand(cases, 'list', 'list the cases'), async (client, options) => {
    const list = await client.list<CaseInfo>('/api/cases');
    if (options.json === true) return printJsonList(list);
    const { value } = list;
    table(
      ['NAME', 'CLAUDE.md', 'PATH', 'DESCRIPTION'],
      value.map((c) => [c.name, c.hasClaudeMd ? 'yes' : 'no', c.path, truncate(c.description, 40)]),
      'no cases',
    );
  });
}
