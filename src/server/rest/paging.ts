import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { ApiErrorCode } from '../../protocol/errors.js';
import { sendApiError } from './error-reply.js';

/**
 * Paged lists. A list's body stays what it always was, a JSON array; when more items follow, the
 * answer says where the next page is, in two headers:
 *
 *     X-Next-Cursor: <cursor>
 *     Link: </api/tasks?limit=1000&cursor=<cursor>>; rel="next"
 *
 * and the last page has neither. A page ends at `limit` items or at PageLimits.maxChars of JSON,
 * whichever comes first (it always holds at least one item), so no answer is ever built as one
 * unbounded string: 6,000 tasks of 100 KB prompts would make a 600 MB one, past V8's string limit.
 * A small list is one page, exactly as before.
 */
export const PageLimits = {
  /** Items per page unless `?limit=` says otherwise: more than most lists ever hold. */
  defaultItems: 1_000,
  /** Most items one page may be asked for. */
  maxItems: 1_000,
  /**
   * Most characters of JSON in one page (one item larger than this still gets a page of its own):
   * 8 Mi characters is some 80 tasks with 100 KB prompts, and a few milliseconds to send on loopback.
   */
  maxChars: 8 * 1024 * 1024,
} as const;

/** The query string of a paged list, for the OpenAPI document (checked by parsePage, not by the schema). */
export const PageQuery = Type.Object({
  limit: Type.Optional(
    Type.String({
      description: `items per page, 1 to ${PageLimits.maxItems} (default ${PageLimits.defaultItems})`,
    }),
  ),
  cursor: Type.Optional(
    Type.String({ description: 'where the page starts: the X-Next-Cursor of the page before' }),
  ),
});

/** The response headers of a paged list, for the OpenAPI document. */
export const PageHeaders = {
  'x-next-cursor': { type: 'string', description: 'the cursor of the next page; absent on the last page' },
  link: {
    type: 'string',
    description: 'RFC 8288 `<url>; rel="next"` of the next page; absent on the last page',
  },
} as const;

export interface PageRequest {
  readonly limit: number;
  /** The cursor as the client sent it (each list checks its own form), or null for the first page. */
  readonly cursor: string | null;
}

/** One item of a list, in order: its JSON and the cursor of the page that starts after it. */
export interface PageEntry {
  readonly cursor: string;
  readonly json: string;
}

const DIGITS = /^[0-9]{1,4}$/;

/** Reads `?limit=` and `?cursor=`; a bad limit is answered (400 INVALID_LIMIT) and null returned. */
export function parsePage(request: FastifyRequest, reply: FastifyReply): PageRequest | null {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const { limit: limitText, cursor } = query;
  let limit: number = PageLimits.defaultItems;
  if (limitText !== undefined) {
    limit = typeof limitText === 'string' && DIGITS.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= PageLimits.maxItems)) {
      sendApiError(
        reply,
        ApiErrorCode.INVALID_LIMIT,
        `limit must be an integer from 1 to ${PageLimits.maxItems}, got ${JSON.stringify(limitText)}`,
      );
      return null;
    }
  }
  if (cursor !== undefined && (typeof cursor !== 'string' || cursor === '')) {
    invalidCursor(reply, cursor);
    return null;
  }
  return { limit, cursor: cursor ?? null };
}

/** Answers 400 INVALID_CURSOR: a cursor this list never gave out. */
export function invalidCursor(reply: FastifyReply, cursor: unknown): FastifyReply {
  return sendApiError(
    reply,
    ApiErrorCode.INVALID_CURSOR,
    `invalid cursor ${JSON.stringify(cursor)}: use the X-Next-Cursor of the page before`,
  );
}

/** Sends one page of `entries` (which start after the cursor) with the headers of the next one. */
export function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  page: PageRequest,
  entries: Iterable<PageEntry>,
): FastifyReply {
  const parts: string[] = [];
  let chars = 2;
  let last: PageEntry | null = null;
  let more = false;
  for (const entry of entries) {
    const full =
      parts.length >= page.limit || (parts.length > 0 && chars + entry.json.length + 1 > PageLimits.maxChars);
    if (full) {
      more = true;
      break;
    }
    parts.push(entry.json);
    chars += entry.json.length + 1;
    last = entry;
  }
  if (more && last !== null) {
    const path = request.url.split('?', 1)[0] ?? '';
    const next = `${path}?limit=${page.limit}&cursor=${encodeURIComponent(last.cursor)}`;
    reply.header('x-next-cursor', last.cursor).header('link', `<${next}>; rel="next"`);
  }
  return reply.type('application/json; charset=utf-8').send(`[${parts.join(',')}]`);
}
