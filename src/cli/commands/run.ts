import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { QuickRunReply } from '../../protocol/rest/session.js';
import { type ClientOptions, clientCommand, onRun } from '../client/command.js';
import { CliError } from '../client/errors.js';
import { followEvents } from '../client/event-stream.js';
import { enc } from '../client/http.js';
import { out, paint, printRaw, usd } from '../client/output.js';

/**
 * `run <prompt>`: a quick run in a fresh session. For people it streams the agent's output as it
 * comes (via the session's events) and ends with the cost; with `--json` it is one `POST /api/run`
 * and prints the API's answer. The session is removed afterwards either way, also on Ctrl-C.
 */
export function registerRun(program: Command): void {
  onRun<ClientOptions & { dir?: string }>(
    clientCommand(
      program,
      'run <prompt>',
      'run a prompt in a fresh session, stream its output and print its cost',
    ).option('-d, --dir <dir>', 'working directory (default: the server’s cases directory)'),
    async (client, options, [prompt = '']) => {
      const workingDir = options.dir === undefined ? {} : { workingDir: resolve(options.dir) };
      if (options.json === true) {
        const { text } = await client.post<QuickRunReply>('/api/run', { prompt, ...workingDir });
        return printRaw(text);
      }
      const { value } = await client.post<{ session: { id: string } }>('/api/sessions', workingDir);
      const id = value.session.id;
      const cleanUp = () => client.delete(`/api/sessions/${enc(id)}`).catch(() => undefined);
      const interrupted = () => {
        void cleanUp().then(() => process.exit(130));
      };
      process.once('SIGINT', interrupted);
      let failed = false;
      let failure: string | null = null;
      try {
        const stream = await followEvents(client, [id], (event) => {
          if (event.type === 'session:output' && typeof event.data.text === 'string') out(event.data.text);
          if (event.type === 'session:completion') {
            failed = event.data.isError === true;
            out(paint(`cost: ${usd(typeof event.data.cost === 'number' ? event.data.cost : null)}`, 'dim'));
          }
          return event.type === 'session:exit';
        });
        await client.post(`/api/sessions/${enc(id)}/run`, { prompt });
        await stream.done;
        if (failed) {
          // The reason is the session's lastError, set as the run ends.
          const { value: info } = await client.get<{ lastError: string | null }>(`/api/sessions/${enc(id)}`);
          failure = info.lastError ?? 'the run failed';
        }
      } finally {
        process.off('SIGINT', interrupted);
        await cleanUp();
      }
      if (failure !== null) throw new CliError(failure);
    },
  );
}
