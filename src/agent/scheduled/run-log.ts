import type { ScheduledLogLine } from '../../protocol/rest/scheduled.js';
import { ScheduledLimits } from './limits.js';

/** The log with `message` added at `ts`: the most recent ScheduledLimits.logLines lines, each cut to size. */
export function appendLog(
  logs: readonly ScheduledLogLine[],
  ts: number,
  message: string,
): ScheduledLogLine[] {
  const line = { ts, message: truncate(message, ScheduledLimits.logMessageChars) };
  return [...logs, line].slice(-ScheduledLimits.logLines);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
