import { type Command, InvalidArgumentError } from 'commander';
import { ApiClient } from './http.js';
import { type LocateOptions, locateServer } from './locate.js';

/** Options of every client command. */
export interface ClientOptions extends LocateOptions {
  readonly json?: boolean;
}

/** A subcommand that talks to the running server: `--url`, `--token`, `--data-dir` and (reads) `--json`. */
export function clientCommand(
  parent: Command,
  nameAndArgs: string,
  description: string,
  json = true,
): Command {
  const command = parent
    .command(nameAndArgs)
    .description(description)
    .option(
      '--url <url>',
      'server address, e.g. http://127.0.0.1:3000 (env CLAUDEMAN_URL; default: from the data directory)',
    )
    .option('--token <token>', 'access token (env CLAUDEMAN_TOKEN; default: <data dir>/token)')
    .option('--data-dir <dir>', 'the server’s data directory (env CLAUDEMAN_HOME; default ~/.claudeman)');
  if (json) command.option('--json', 'print the API response as JSON, exactly as returned');
  return command;
}

/** Sets the action: the client for the located server, the parsed options and the positional arguments. */
export function onRun<O extends ClientOptions>(
  command: Command,
  action: (client: ApiClient, options: O, args: string[]) => Promise<void>,
): Command {
  return command.action(async function (this: Command) {
    const options = this.opts<O>();
    const client = new ApiClient(locateServer(options, process.env));
    await action(client, options, this.processedArgs as string[]);
  });
}

/** Parsers for numeric options; a bad value is a usage error (exit 2). */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return parsed;
  };
}

export function positiveNumber(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
    throw new InvalidArgumentError('expected a number above 0');
  }
  return parsed;
}

/** For repeatable options (`--after a --after b`, or `--after a b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
