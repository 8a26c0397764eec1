/**
 * Server-Sent Events framing. JSON text never holds a raw CR or LF (JSON.stringify escapes them), so
 * each event's data is one `data:` line; the event name and id are checked, since a line break there
 * would let data inject fields of its own.
 */
export const SSE_KEEP_ALIVE = ': keep-alive\n\n';

const LINE_BREAK = /[\r\n]/;

export function formatSseEvent(id: number, event: string, payload: unknown): string {
  if (LINE_BREAK.test(event))
    throw new Error(`SSE event name contains a line break: ${JSON.stringify(event)}`);
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
}

/** A `Last-Event-ID` value: a non-negative integer, else null (start afresh). */
export function parseLastEventId(value: string | undefined): number | null {
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return null;
  return Number(value.trim());
}
