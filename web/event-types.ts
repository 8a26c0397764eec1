import type { ServerEventType } from './types.js';

/**
 * The events the page listens to. Terminal and raw output events are deliberately absent: the terminal
 * has its own WebSocket with flow control.
 */
export const HANDLED_EVENTS: readonly ServerEventType[] = [
  'init',
  'resync',
  'session:created',
  'session:updated',
  'session:deleted',
  'session:running',
  'session:message',
  'session:completion',
  'session:exit',
  'session:attention',
  'session:error',
  'case:created',
  'respawn:started',
  'respawn:stopped',
  'respawn:stateChanged',
  'respawn:cycleStarted',
  'respawn:cycleCompleted',
  'respawn:log',
  'respawn:configUpdated',
  'task:created',
  'task:updated',
  'task:completed',
  'task:failed',
  'task:deleted',
  'ralph:started',
  'ralph:stopped',
  'ralph:assigned',
  'ralph:completed',
  'scheduled:created',
  'scheduled:updated',
  'scheduled:log',
  'scheduled:completed',
  'scheduled:stopped',
];

/** Worker → page: connection state, and each handled event's JSON text (parsed on the page). */
export type WorkerMessage = { kind: 'open' } | { kind: 'error' } | { kind: 'event'; data: string };
