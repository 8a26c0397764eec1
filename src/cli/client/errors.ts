/** A failure the command line reports as one line on stderr and an exit code (1 failure, 2 usage). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const NOT_RUNNING = 'server not running: start it with `claudeman web`';
