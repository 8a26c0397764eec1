import type { RetryPolicy } from './retry-policy.js';

/**
 * Client → server message of the overseer protocol after decoding: one shape for every `type`, with
 * Go's zero values for absent fields (empty string, null), exactly as the original decoded it.
 */
export interface IncomingMessage {
  readonly type: string;
  readonly id: string;
  readonly taskId: string;
  readonly command: string;
  readonly args: readonly string[] | null;
  readonly retryPolicy: RetryPolicy | null;
  readonly since: string;
}

export const MessageType = {
  start: 'start',
  list: 'list',
  stop: 'stop',
  reset: 'reset',
  replay: 'replay',
} as const;
