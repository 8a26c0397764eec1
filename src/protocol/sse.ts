/**
 * The `/api/events` stream on the wire: how an engine event is framed (`{type, sessionId?, data}` in
 * the `data:` line of an SSE event named after its type), the catalogue of event types, and the
 * opt-out filter. The server frames with it, the browser and the CLI read with it.
 */
import type { ApiEvent } from './events.js';
import type { StatusSnapshot } from './rest/status.js';

export type ApiEventType = ApiEvent['kind'];

/** How the stream frames an engine event: `{type, sessionId?, data}`. */
export type SseEnvelope<E = ApiEvent> = E extends { readonly kind: infer K; readonly data: infer D }
  ? E extends { readonly sessionId: string }
    ? { readonly type: K; readonly sessionId: string; readonly data: D }
    : { readonly type: K; readonly data: D }
  : never;

/**
 * Every event a reader of the stream gets: the catalogue's, and the stream's own — the whole state
 * (`init`) and "what you had is stale, the whole state follows" (`resync`).
 */
export type ServerEvent =
  | SseEnvelope
  | { readonly type: 'init'; readonly data: StatusSnapshot }
  | { readonly type: 'resync'; readonly data: Record<string, never> };

/**
 * Every event type of the catalogue, as a table the compiler checks against the union: a new event
 * kind cannot be added without deciding here whether it carries terminal output.
 */
const CATALOGUE: Readonly<Record<ApiEventType, { readonly terminalOutput: boolean }>> = {
  'session:created': { terminalOutput: false },
  'session:updated': { terminalOutput: false },
  'session:deleted': { terminalOutput: false },
  'session:running': { terminalOutput: false },
  'session:output': { terminalOutput: true },
  'session:terminal': { terminalOutput: true },
  'session:message': { terminalOutput: false },
  'session:completion': { terminalOutput: false },
  'session:exit': { terminalOutput: false },
  'session:idle': { terminalOutput: false },
  'session:working': { terminalOutput: false },
  'session:interactive': { terminalOutput: false },
  'session:attention': { terminalOutput: false },
  'session:error': { terminalOutput: false },
  'session:state': { terminalOutput: false },
  'session:limited': { terminalOutput: false },
  'session:cost': { terminalOutput: false },
  'session:transcript': { terminalOutput: false },
  'case:created': { terminalOutput: false },
  'respawn:started': { terminalOutput: false },
  'respawn:stopped': { terminalOutput: false },
  'respawn:stateChanged': { terminalOutput: false },
  'respawn:cycleStarted': { terminalOutput: false },
  'respawn:cycleCompleted': { terminalOutput: false },
  'respawn:stepSent': { terminalOutput: false },
  'respawn:stepCompleted': { terminalOutput: false },
  'respawn:log': { terminalOutput: false },
  'respawn:configUpdated': { terminalOutput: false },
  'task:created': { terminalOutput: false },
  'task:updated': { terminalOutput: false },
  'task:completed': { terminalOutput: false },
  'task:failed': { terminalOutput: false },
  'task:deleted': { terminalOutput: false },
  'ralph:started': { terminalOutput: false },
  'ralph:stopped': { terminalOutput: false },
  'ralph:paused': { terminalOutput: false },
  'ralph:resumed': { terminalOutput: false },
  'ralph:assigned': { terminalOutput: false },
  'ralph:completed': { terminalOutput: false },
  'scheduled:created': { terminalOutput: false },
  'scheduled:updated': { terminalOutput: false },
  'scheduled:log': { terminalOutput: false },
  'scheduled:completed': { terminalOutput: false },
  'scheduled:stopped': { terminalOutput: false },
};

export const API_EVENT_TYPES = Object.keys(CATALOGUE) as readonly ApiEventType[];

/**
 * The events that carry a session's terminal output. A client that shows terminals has them on the
 * terminal socket (with flow control) and leaves them out of its stream: `?exclude=` these.
 */
export const TERMINAL_OUTPUT_EVENT_TYPES: readonly ApiEventType[] = API_EVENT_TYPES.filter(
  (type) => CATALOGUE[type].terminalOutput,
);

export function isApiEventType(type: string): type is ApiEventType {
  return Object.hasOwn(CATALOGUE, type);
}

/** The `?exclude=` value of a stream without the given event types. */
export function excludeQuery(types: readonly ApiEventType[]): string {
  return `exclude=${types.map(encodeURIComponent).join(',')}`;
}

/** The `{type, sessionId?, data}` payload of an engine event. */
export function sseEnvelope(event: ApiEvent): SseEnvelope {
  return (
    'sessionId' in event
      ? { type: event.kind, sessionId: event.sessionId, data: event.data }
      : { type: event.kind, data: event.data }
  ) as SseEnvelope;
}

/** One event as a reader of the stream gets it: its type and its envelope's `data`. */
export interface StreamedEvent {
  readonly type: string;
  readonly sessionId?: string;
  readonly data: Record<string, unknown>;
}

/**
 * The envelope in one SSE frame (the text between blank lines), or null for a frame without data
 * (a keep-alive comment). Throws on a data line that is not the JSON of an envelope.
 */
export function parseSseFrame(frame: string): StreamedEvent | null {
  const dataLine = frame.split('\n').find((line) => line.startsWith('data: '));
  if (dataLine === undefined) return null;
  const payload = JSON.parse(dataLine.slice('data: '.length)) as {
    type?: unknown;
    sessionId?: unknown;
    data?: Record<string, unknown>;
  };
  if (typeof payload.type !== 'string') throw new Error('an event without a type');
  const event: StreamedEvent = { type: payload.type, data: payload.data ?? {} };
  return typeof payload.sessionId === 'string' ? { ...event, sessionId: payload.sessionId } : event;
}
