import type { FastifyReply } from 'fastify';
import { API_ERROR_STATUS, type ApiErrorBody, type ApiErrorCode } from '../../protocol/errors.js';

/**
 * Sends the API's error body with the status of its code (API_ERROR_STATUS, the one table of them).
 * A refused upgrade closes its socket afterwards.
 */
export function sendApiError(
  reply: FastifyReply,
  code: ApiErrorCode,
  error: string,
  files?: readonly string[],
): FastifyReply {
  return sendErrorBody(reply, API_ERROR_STATUS[code], code, error, files);
}

/**
 * The same body with a status the HTTP layer chose, not the API (Fastify's own 4xx, e.g. 415 for a
 * content type no parser takes): the one reply whose status does not come from its code.
 */
export function sendHttpLayerError(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode,
  error: string,
): FastifyReply {
  return sendErrorBody(reply, status, code, error);
}

function sendErrorBody(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode,
  error: string,
  files?: readonly string[],
): FastifyReply {
  const body: ApiErrorBody = {
    success: false,
    error,
    code,
    ...(files === undefined ? {} : { files: [...files] }),
  };
  if (reply.request.headers.upgrade !== undefined) {
    const socket = reply.request.raw.socket;
    reply.raw.once('finish', () => socket.destroy());
  }
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}
