import type { Command } from 'commander';
import { RespawnTimingLimits } from '../../protocol/limits.js';
import type { RespawnConfigPatch, RespawnStatus } from '../../protocol/rest/respawn.js';
import { type ClientOptions, clientCommand, integer, onRun } from '../client/command.js';
import { enc } from '../client/http.js';
import { status as colourStatus, details, out, printRaw, time } from '../client/output.js';

interface ConfigOptions extends ClientOptions {
  idleMs?: number;
  prompt?: string;
  delayMs?: number;
}

function withConfigOptions(command: Command): Command {
  return command
    .option(
      '--idle-ms <ms>',
      'quiet time after the prompt before the session counts as idle',
      integer(RespawnTimingLimits.minIdleTimeoutMs, RespawnTimingLimits.maxIdleTimeoutMs),
    )
    .option('--prompt <text>', 'what is typed to have the agent update its docs before /clear')
    .option(
      '--delay-ms <ms>',
      'pause between the steps of a cycle',
      integer(0, RespawnTimingLimits.maxInterStepDelayMs),
    );
}

function patchOf(options: ConfigOptions): RespawnConfigPatch {
  return {
    ...(options.idleMs === undefined ? {} : { idleTimeoutMs: options.idleMs }),
    ...(options.prompt === undefined ? {} : { updatePrompt: options.prompt }),
    ...(options.delayMs === undefined ? {} : { interStepDelayMs: options.delayMs }),
  };
}

function printStatus(status: RespawnStatus | { enabled: false; status: null }): void {
  if (!('state' in status)) {
    out('respawn: not configured for this session');
    return;
  }
  details([
    ['enabled', status.enabled ? 'yes' : 'no'],
    ['state', colourStatus(status.state)],
    ['cycles', String(status.cycleCount)],
    ['started', time(status.startedAt)],
    ['last activity', time(status.lastActivityTime)],
    ['idle after', `${status.config.idleTimeoutMs} ms`],
    ['step delay', `${status.config.interStepDelayMs} ms`],
    ['update prompt', status.config.updatePrompt],
    ['stop reason', status.stopReason ?? '-'],
  ]);
}

export function registerRespawn(program: Command): void {
  const respawn = program
    .command('respawn')
    .description('the respawn controller of an interactive session: update docs, /clear, go on, when idle');

  onRun<ConfigOptions>(
    withConfigOptions(
      clientCommand(respawn, 'start <session>', 'start the controller (the session must be interactive)'),
    ),
    async (client, options, [id = '']) => {
      const { value, text } = await client.post<{ status: RespawnStatus }>(
        `/api/sessions/${enc(id)}/respawn/start`,
        { config: patchOf(options) },
      );
      if (options.json === true) return printRaw(text);
      printStatus(value.status);
    },
  );

  onRun(
    clientCommand(respawn, 'stop <session>', 'stop the controller', false),
    async (client, _options, [id = '']) => {
      await client.post(`/api/sessions/${enc(id)}/respawn/stop`);
      out(`respawn stopped for ${id}`);
    },
  );

  onRun(
    clientCommand(respawn, 'status <session>', 'the controller’s state'),
    async (client, options, [id = '']) => {
      const { value, text } = await client.get<RespawnStatus | { enabled: false; status: null }>(
        `/api/sessions/${enc(id)}/respawn`,
      );
      if (options.json === true) return printRaw(text);
      printStatus(value);
    },
  );

  onRun<ConfigOptions>(
    withConfigOptions(clientCommand(respawn, 'config <session>', 'change the running controller’s settings')),
    async (client, options, [id = '']) => {
      const patch = patchOf(options);
      const { text, value } = await client.put<{ config: RespawnStatus['config'] }>(
        `/api/sessions/${enc(id)}/respawn/config`,
        patch,
      );
      if (options.json === true) return printRaw(text);
      details([
        ['idle after', `${value.config.idleTimeoutMs} ms`],
        ['step delay', `${value.config.interStepDelayMs} ms`],
        ['update prompt', value.config.updatePrompt],
      ]);
    },
  );
}
