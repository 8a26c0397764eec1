import pino from 'pino';

export type Logger = pino.Logger;

/** JSON lines on stderr (stdout stays free for what a command prints); `silent` for tests. */
export function createLogger(level: pino.LevelWithSilent = 'info'): Logger {
  return pino({ level, base: undefined }, pino.destination(2));
}

/** The small structured-log shape the engine and faces accept, backed by pino. */
export function logAdapter(logger: Logger) {
  return {
    info: (message: string, detail: Record<string, unknown> = {}) => logger.info(detail, message),
    warn: (message: string, detail: Record<string, unknown> = {}) => logger.warn(detail, message),
    error: (message: string, detail: Record<string, unknown> = {}) => logger.error(detail, message),
  };
}
