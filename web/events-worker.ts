/**
 * The event stream, read off the page's main thread. `/api/events` carries every session's terminal
 * output too (the terminal view has its own flow-controlled socket for that); parsing a flood of it on
 * the main thread would compete with clicks and drawing, so this worker reads the stream and posts only
 * the events the page handles. EventSource itself reconnects with `Last-Event-ID`.
 */
import { HANDLED_EVENTS, type WorkerMessage } from './event-types.js';

interface WorkerScope {
  postMessage(message: WorkerMessage): void;
}
const scope = self as unknown as WorkerScope;

let source: EventSource | null = null;
let retryMs = 500;

function open(): void {
  const current = new EventSource('/api/events', { withCredentials: true });
  source = current;
  current.onopen = () => {
    retryMs = 500;
    scope.postMessage({ kind: 'open' });
  };
  current.onerror = () => {
    scope.postMessage({ kind: 'error' });
    if (current.readyState !== EventSource.CLOSED || source !== current) return;
    // The browser gave up (the server was down or answered an error): start again with backoff.
    source = null;
    setTimeout(open, retryMs);
    retryMs = Math.min(retryMs * 2, 15_000);
  };
  for (const type of HANDLED_EVENTS) {
    current.addEventListener(type, (message) => {
      if (message instanceof MessageEvent && typeof message.data === 'string') {
        scope.postMessage({ kind: 'event', data: message.data });
      }
    });
  }
}

open();
