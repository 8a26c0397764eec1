import type { ApiEvent } from '../protocol/events.js';
import type { SupervisedTaskEvent } from '../supervisor/events.js';

/**
 * Everything published on the server's bus (events/bus.ts), one union: the events of the REST API's
 * catalogue (which the SSE stream sends) and the supervisor's process events (which the overseer face
 * encodes for `/ws`). Every face subscribes to this and picks its own. It lives with the composition,
 * not in events/: the bus is generic, and only the server puts the engine's publishers on one bus.
 */
export type EngineEvent = ApiEvent | SupervisedTaskEvent;
