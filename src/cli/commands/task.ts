import type { Command } from 'commander';
import { MAX_ABS_TASK_PRIORITY } from '../../protocol/limits.js';
import type { QueueTask } from '../../protocol/rest/tasks.js';
import { type ClientOptions, clientCommand, collect, integer, onRun } from '../client/command.js';
import { enc } from '../client/http.js';
import {
  details,
  orDash,
  out,
  printJsonList,
  printRaw,
  status,
  table,
  time,
  truncate,
} from '../client/output.js';

interface AddOptions extends ClientOptions {
  priority?: number;
  after?: string[];
  completionPhrase?: string;
  dir?: string;
  id?: string;
}

export function registerTask(program: Command): void {
  const task = program.command('task').description('the task queue the Ralph loop works through');

  onRun<AddOptions>(
    clientCommand(task, 'add <prompt>', 'queue a task (prints its id)')
      .option(
        '-p, --priority <n>',
        'higher runs first',
        integer(-MAX_ABS_TASK_PRIORITY, MAX_ABS_TASK_PRIORITY),
      )
      .option('--after <id>', 'run only after this task completed (repeatable)', collect)
      .option('-c, --completion-phrase <phrase>', 'the agent prints <promise>PHRASE</promise> when done')
      .option('-d, --dir <dir>', 'working directory (default: the server’s cases directory)')
      .option('--id <id>', 'the task’s id (default: generated)'),
    async (client, options, [prompt = '']) => {
      const body = {
        prompt,
        ...(options.id === undefined ? {} : { id: options.id }),
        ...(options.priority === undefined ? {} : { priority: options.priority }),
        ...(options.after === undefined ? {} : { dependsOn: options.after }),
        ...(options.completionPhrase === undefined ? {} : { completionPhrase: options.completionPhrase }),
        ...(options.dir === undefined ? {} : { workingDir: options.dir }),
      };
      const { value, text } = await client.post<{ task: QueueTask }>('/api/tasks', body);
      if (options.json === true) return printRaw(text);
      out(value.task.id);
    },
  );

  onRun(clientCommand(task, 'list', 'list the queued tasks'), async (client, options) => {
    const list = await client.list<QueueTask>('/api/tasks');
    if (options.json === true) return printJsonList(list);
    const { value } = list;
    table(
      ['ID', 'STATUS', 'PRIORITY', 'AFTER', 'PROMPT'],
      value.map((t) => [
        t.id,
        status(t.status),
        String(t.priority),
        t.dependsOn.join(',') || '-',
        truncate(t.prompt, 50),
      ]),
      'no tasks',
    );
  });

  onRun(clientCommand(task, 'show <id>', 'one task’s details'), async (client, options, [id = '']) => {
    const { value, text } = await client.get<QueueTask>(`/api/tasks/${enc(id)}`);
    if (options.json === true) return printRaw(text);
    details([
      ['id', value.id],
      ['status', status(value.status)],
      ['priority', String(value.priority)],
      ['after', value.dependsOn.join(', ') || '-'],
      ['completion phrase', value.completionPhrase],
      ['directory', orDash(value.workingDir)],
      ['attempts', String(value.attempts)],
      ['created', time(value.createdAt)],
      ['session', orDash(value.assignedSessionId)],
      ['error', orDash(value.error)],
      ['prompt', value.prompt],
    ]);
  });

  onRun(
    clientCommand(task, 'remove <id>', 'remove a task from the queue', false),
    async (client, _options, [id = '']) => {
      await client.delete(`/api/tasks/${enc(id)}`);
      out(`removed ${id}`);
    },
  );
}
