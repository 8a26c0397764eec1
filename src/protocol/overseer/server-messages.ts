import type { TaskInfo } from './task-info.js';

/**
 * What the overseer sends a client on `/ws` (server/overseer/encode.ts writes exactly these keys, by
 * hand, in this order). `id` echoes the request's id on replies; events broadcast to everyone have
 * none. Times are RFC 3339 strings with nanoseconds, durations Go duration strings.
 */
export type OverseerServerMessage =
  | {
      readonly type: 'started';
      readonly id?: string;
      readonly task_id: string;
      readonly pid: number;
      /** The previous worker's pid, on automatic restarts. */
      readonly restart_of?: number;
      readonly ts: string;
    }
  | {
      readonly type: 'output';
      readonly task_id: string;
      readonly pid: number;
      readonly stream: 'stdout' | 'stderr';
      readonly data: string;
      readonly ts: string;
    }
  | {
      readonly type: 'exited';
      readonly task_id: string;
      readonly pid: number;
      readonly exit_code: number;
      readonly intentional: boolean;
      readonly ts: string;
    }
  | {
      readonly type: 'restarting';
      readonly task_id: string;
      readonly pid: number;
      readonly restart_delay: string;
      readonly attempt: number;
      readonly ts: string;
    }
  | {
      readonly type: 'errored';
      readonly task_id: string;
      readonly pid: number;
      readonly exit_count: number;
      readonly ts: string;
    }
  | { readonly type: 'error'; readonly id?: string; readonly message: string }
  | { readonly type: 'tasks'; readonly id?: string; readonly tasks: TaskInfo[] };

type KeysOf<U> = U extends unknown ? keyof U : never;
type ValueOf<U, K extends PropertyKey> = U extends { readonly [P in K]?: infer V } ? V : never;

/**
 * A server message as a client that switches on `type` reads it: every key any message has, each
 * optional. Derived from the union above, so it cannot drift from it.
 */
export type OverseerFrame = { readonly type: OverseerServerMessage['type'] } & {
  readonly [K in Exclude<KeysOf<OverseerServerMessage>, 'type'>]?: ValueOf<OverseerServerMessage, K>;
};
