import type { WorkerMessage } from './event-types.js';
import type { Store } from './store.js';
import type { ServerEvent } from './types.js';

/**
 * The page's side of `/api/events`: the stream is read by a worker (events-worker.ts) that forwards
 * only the events the page handles; this applies them and tracks the connection state.
 */
export class EventStream {
  private worker: Worker | null = null;

  constructor(
    private readonly store: Store,
    private readonly onEvent: (event: ServerEvent) => void,
  ) {}

  open(): void {
    const worker = new Worker('/assets/events-worker.js', { type: 'module', name: 'claudeman-events' });
    this.worker = worker;
    worker.onmessage = (message: MessageEvent<WorkerMessage>) => {
      const data = message.data;
      if (data.kind === 'open') this.store.setConnected(true);
      else if (data.kind === 'error') this.store.setConnected(false);
      else {
        let event: ServerEvent;
        try {
          event = JSON.parse(data.data) as ServerEvent;
        } catch {
          return;
        }
        this.onEvent(event);
      }
    };
  }

  close(): void {
    this.worker?.terminate();
    this.worker = null;
  }
}
