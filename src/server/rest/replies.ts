import type { TSchema } from 'typebox';
import { ApiErrorBody } from '../../protocol/errors.js';

/**
 * A route's response schemas: its own replies by status, plus the API's error body for every 4xx
 * and 5xx (bad input, the access checks, engine failures: any route can answer those). Fastify
 * compiles a serializer for each when the route is registered, never per request; a serializer
 * writes only the properties its schema names, so each schema must be the whole body.
 */
export function replies<Replies extends Record<number, TSchema>>(own: Replies) {
  return { ...own, '4xx': ApiErrorBody, '5xx': ApiErrorBody } as const;
}
