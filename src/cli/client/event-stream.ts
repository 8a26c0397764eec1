import { parseSseFrame, type StreamedEvent } from '../../protocol/sse.js';
import { CliError } from './errors.js';
import type { ApiClient } from './http.js';

/**
 * Follows `/api/events` (optionally for some sessions), calling `onEvent` for each event until it
 * returns true or the stream ends. Resolves once the stream is open, so a caller can subscribe first
 * and then start what it wants to watch; `done` settles when following ends.
 */
export async function followEvents(
  client: ApiClient,
  sessionIds: readonly string[],
  onEvent: (event: StreamedEvent) => boolean,
): Promise<{ done: Promise<void>; close(): void }> {
  const controller = new AbortController();
  const query = sessionIds.length === 0 ? '' : `?sessions=${sessionIds.map(encodeURIComponent).join(',')}`;
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (client.server.token !== undefined) headers.authorization = `Bearer ${client.server.token}`;
  const response = await fetch(`${client.server.url}/api/events${query}`, {
    headers,
    signal: controller.signal,
  });
  if (!response.ok || response.body === null) {
    throw new CliError(`event stream refused: HTTP ${response.status}`);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += value;
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          const frame = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          boundary = buffer.indexOf('\n\n');
          const event = parseSseFrame(frame);
          if (event !== null && onEvent(event)) return;
        }
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    } finally {
      controller.abort();
    }
  })();
  return { done, close: () => controller.abort() };
}
