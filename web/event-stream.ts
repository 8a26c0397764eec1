import type { ServerEvent } from '../src/protocol/sse.js';
import { API_EVENT_TYPES, excludeQuery, TERMINAL_OUTPUT_EVENT_TYPES } from '../src/protocol/sse.js';
import type { Store } from './store.js';

/** The stream the page opens: everything but terminal output, which the terminal view has on its own
 * flow-controlled socket. Without it the stream is small enough to read on the page's thread. */
const STREAM_URL = `/api/events?${excludeQuery(TERMINAL_OUTPUT_EVENT_TYPES)}`;
const LISTENED = [
  'init',
  'resync',
  ...API_EVENT_TYPES.filter((type) => !TERMINAL_OUTPUT_EVENT_TYPES.includes(type)),
];

/**
 * The page's side of `/api/events`: applies each event and tracks the connection state. EventSource
 * reconnects by itself with `Last-Event-ID`; when the browser gives up (the server was down or
 * answered an error) the stream is opened again with backoff.
 */
export class EventStream {
  private source: EventSource | null = null;
  private retryMs = 500;
  private retry: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly store: Store,
    private readonly onEvent: (event: ServerEvent) => void,
  ) {}

  open(): void {
    const current = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = current;
    current.onopen = () => {
      this.retryMs = 500;
      this.store.setConnected(true);
    };
    current.onerror = () => {
      this.store.setConnected(false);
      if (current.readyState !== EventSource.CLOSED || this.source !== current) return;
      this.source = null;
      this.retry = setTimeout(() => this.open(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 15_000);
    };
    const deliver = (message: Event) => {
      if (!(message instanceof MessageEvent) || typeof message.data !== 'string') return;
      let event: ServerEvent;
      try {
        event = JSON.parse(message.data) as ServerEvent;
      } catch {
        return;
      }
      this.onEvent(event);
    };
    for (const type of LISTENED) current.addEventListener(type, deliver);
  }

  close(): void {
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    this.source?.close();
    this.source = null;
  }
}
