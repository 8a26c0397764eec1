import { type RetryPolicy, retryPolicyToWire } from '../../protocol/overseer/retry-policy.js';
import type { SupervisedTaskEvent } from '../../supervisor/events.js';
import type { Started, TaskSnapshot } from '../../supervisor/supervisor.js';
import { formatGoDuration } from '../../util/go-duration.js';
import { formatRfc3339 } from '../../util/rfc3339.js';

/**
 * Server → client messages as JSON text, built by hand in the original's key order. Events are
 * encoded once and the same string goes to every connection and to the event log.
 *
 * Strings are escaped like Go's encoding/json does by default (`<`, `>`, `&`, U+2028, U+2029 as
 * \u escapes), so a byte-level comparison with the original matches.
 */

const GO_ESCAPED = /[<>&\u2028\u2029]/;
const GO_ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};
const GO_ESCAPED_GLOBAL = /[<>&\u2028\u2029]/g;

export function jsonString(value: string): string {
  const json = JSON.stringify(value);
  return GO_ESCAPED.test(json) ? json.replace(GO_ESCAPED_GLOBAL, (c) => GO_ESCAPES[c] ?? c) : json;
}

/** Consecutive events usually share a timestamp (one chunk of output): format it once. */
let lastTsMs = Number.NaN;
let lastTsText = '';
function timestamp(ms: number): string {
  if (ms !== lastTsMs) {
    lastTsMs = ms;
    lastTsText = `"${formatRfc3339(ms)}"`;
  }
  return lastTsText;
}

function idPart(id: string | undefined): string {
  return id ? `,"id":${jsonString(id)}` : '';
}

/**
 * Broadcast and replayed events: each supervisor `process:*` event becomes the protocol message of the
 * same name (`process:output` → `output`, …). `started` from a request carries the requester's `id`.
 */
export function encodeEvent(event: SupervisedTaskEvent, id?: string): string {
  switch (event.kind) {
    case 'process:output':
      return `{"type":"output","task_id":${jsonString(event.taskId)},"pid":${event.pid},"stream":"${event.stream}","data":${jsonString(event.data)},"ts":${timestamp(event.ts)}}`;
    case 'process:exited':
      return `{"type":"exited","task_id":${jsonString(event.taskId)},"pid":${event.pid},"exit_code":${event.exitCode},"intentional":${event.intentional},"ts":${timestamp(event.ts)}}`;
    case 'process:started': {
      const restartOf = event.restartOf === undefined ? '' : `,"restart_of":${event.restartOf}`;
      return `{"type":"started"${idPart(id)},"task_id":${jsonString(event.taskId)},"pid":${event.pid}${restartOf},"ts":${timestamp(event.ts)}}`;
    }
    case 'process:restarting':
      return `{"type":"restarting","task_id":${jsonString(event.taskId)},"pid":${event.pid},"restart_delay":"${formatGoDuration(event.restartDelayNs)}","attempt":${event.attempt},"ts":${timestamp(event.ts)}}`;
    case 'process:errored':
      return `{"type":"errored","task_id":${jsonString(event.taskId)},"pid":${event.pid},"exit_count":${event.exitCount},"ts":${timestamp(event.ts)}}`;
  }
}

export function encodeStartedReply(started: Started, id: string): string {
  return encodeEvent({ kind: 'process:started', cause: 'request', ...started }, id);
}

export function encodeError(message: string, id: string): string {
  return `{"type":"error"${idPart(id)},"message":${jsonString(message)}}`;
}

/**
 * The original omitted zero durations and a zero threshold (omitempty); the opt-in extensions follow
 * its keys, each only when set, so a policy without them encodes byte for byte as before. Numbers
 * print as Go prints a float64 / int (JSON.stringify's shortest round-trip form for these ranges).
 */
function encodeRetryPolicy(policy: RetryPolicy): string {
  return JSON.stringify(retryPolicyToWire(policy, { omitEmpty: true }));
}

/** One TaskInfo (src/protocol/overseer/task-info.ts), as in the `tasks` reply and `GET /api/overseer/tasks`. */
export function encodeTaskInfo(task: TaskSnapshot): string {
  let out = `{"task_id":${jsonString(task.taskId)},"command":${jsonString(task.command)},"args":[${task.args.map(jsonString).join(',')}],"state":"${task.state}"`;
  if (task.retryPolicy !== null) out += `,"retry_policy":${encodeRetryPolicy(task.retryPolicy)}`;
  if (task.currentPid !== null && task.currentPid !== 0) out += `,"current_pid":${task.currentPid}`;
  if (task.workerState !== null) out += `,"worker_state":"${task.workerState}"`;
  out += `,"restart_count":${task.restartCount},"created_at":${timestamp(task.createdAt)}`;
  if (task.lastStartedAt !== null) out += `,"last_started_at":${timestamp(task.lastStartedAt)}`;
  if (task.lastExitedAt !== null) out += `,"last_exited_at":${timestamp(task.lastExitedAt)}`;
  if (task.lastExitCode !== null) out += `,"last_exit_code":${task.lastExitCode}`;
  if (task.errorMessage) out += `,"error_message":${jsonString(task.errorMessage)}`;
  return `${out}}`;
}

export function encodeTasks(tasks: readonly TaskSnapshot[], id: string): string {
  return `{"type":"tasks"${idPart(id)},"tasks":[${tasks.map(encodeTaskInfo).join(',')}]}`;
}
