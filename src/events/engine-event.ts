import type { ApiEvent } from '../protocol/events.js';
import type { SupervisedTaskEvent } from '../supervisor/events.js';

/**
 * Everything published on the engine's bus, one union: the events of the REST API's catalogue (which
 * the SSE stream sends) and the supervisor's process events (which the overseer face encodes for
 * `/ws`). Every face subscribes to this and picks its own.
 */
export type EngineEvent = ApiEvent | SupervisedTaskEvent;
