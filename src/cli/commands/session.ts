import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { SessionInfo } from '../../protocol/rest/session.js';
import { type ClientOptions, clientCommand, onRun } from '../client/command.js';
import { enc } from '../client/http.js';
import { details, orDash, out, printRaw, status, table, time, truncate, usd } from '../client/output.js';
import { registerAttach } from './attach.js';

export function sessionRows(sessions: readonly SessionInfo[]): string[][] {
  return sessions.map((session) => [
    session.id,
    status(session.status),
    session.mode,
    usd(session.totalCost),
    truncate(session.workingDir, 50),
  ]);
}

export function registerSession(program: Command): void {
  const session = program
    .command('session')
    .description('Claude Code sessions: list, create, show, delete, run, resume, input, attach');

  onRun(clientCommand(session, 'list', 'list the sessions'), async (client, options) => {
    const { value, text } = await client.get<SessionInfo[]>('/api/sessions');
    if (options.json === true) return printRaw(text);
    table(['ID', 'STATUS', 'MODE', 'COST', 'DIRECTORY'], sessionRows(value), 'no sessions');
  });

  onRun<ClientOptions & { dir?: string; interactive?: boolean }>(
    clientCommand(session, 'create', 'create a session (prints its id)')
      .option('-d, --dir <dir>', 'working directory (default: the server’s cases directory)')
      .option('-i, --interactive', 'also start Claude Code interactively in its terminal (for attach)'),
    async (client, options) => {
      const body = options.dir === undefined ? {} : { workingDir: resolve(options.dir) };
      const created = await client.post<{ session: SessionInfo }>('/api/sessions', body);
      const id = created.value.session.id;
      if (options.interactive === true) {
        const size = { cols: process.stdout.columns ?? 120, rows: process.stdout.rows ?? 40 };
        await client.post(`/api/sessions/${enc(id)}/interactive`, size);
      }
      if (options.json === true) return printRaw(created.text);
      out(id);
    },
  );

  onRun(clientCommand(session, 'show <id>', 'one session’s details'), async (client, options, [id = '']) => {
    const { value, text } = await client.get<SessionInfo>(`/api/sessions/${enc(id)}`);
    if (options.json === true) return printRaw(text);
    details([
      ['id', value.id],
      ['status', status(value.status)],
      ['mode', value.mode],
      ['directory', value.workingDir],
      ['pid', orDash(value.pid)],
      ['created', time(value.createdAt)],
      ['last activity', time(value.lastActivityAt)],
      ['cost', usd(value.totalCost)],
      ['messages', String(value.messageCount)],
      ['permission mode', value.permissionMode],
      ['claude session', orDash(value.claudeSessionId)],
      ['terminal host', orDash(value.terminalHost)],
      ['current task', orDash(value.currentTaskId)],
      ['attention', value.attention === null ? '-' : JSON.stringify(value.attention)],
      ['last error', orDash(value.lastError)],
    ]);
  });

  onRun(
    clientCommand(session, 'delete <id>', 'stop and remove a session', false),
    async (client, _options, [id = '']) => {
      await client.delete(`/api/sessions/${enc(id)}`);
      out(`deleted ${id}`);
    },
  );

  onRun(
    clientCommand(
      session,
      'run <id> <prompt>',
      'run a prompt in a session (the answer arrives as events)',
      false,
    ),
    async (client, _options, [id = '', prompt = '']) => {
      await client.post(`/api/sessions/${enc(id)}/run`, { prompt });
      out(`prompt started in ${id}`);
    },
  );

  onRun(
    clientCommand(
      session,
      'resume <id>',
      'continue a session’s conversation in a new interactive CLI (`claude --resume`), e.g. after a restart',
      false,
    ),
    async (client, _options, [id = '']) => {
      const size = { cols: process.stdout.columns ?? 120, rows: process.stdout.rows ?? 40 };
      await client.post(`/api/sessions/${enc(id)}/interactive`, { ...size, resume: true });
      out(`resumed ${id}: \`claudeman session attach ${id}\` to see it`);
    },
  );

  onRun<ClientOptions & { enter: boolean }>(
    clientCommand(
      session,
      'input <id> <text>',
      'type text into an interactive session’s terminal',
      false,
    ).option('--no-enter', 'do not press Enter after the text'),
    async (client, options, [id = '', text = '']) => {
      await client.post(`/api/sessions/${enc(id)}/input`, { input: options.enter ? `${text}\r` : text });
      out(`sent to ${id}`);
    },
  );

  registerAttach(session);
}
