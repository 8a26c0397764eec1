import type { FastifyReply } from 'fastify';
import type { ApiErrorBody, ApiErrorCode } from '../../protocol/errors.js';

/** Sends the API's error body with a real status code. A refused upgrade closes its socket afterwards. */
export function sendApiError(
  reply: FastifyReply,
  status: number,
  code: ApiErrorCode,
  error: string,
): FastifyReply {
  const body: ApiErrorBody = { success: false, error, code };
  if (reply.request.headers.upgrade !== undefined) {
    const socket = reply.request.raw.socket;
    reply.raw.once('finish', () => socket.destroy());
  }
  return reply.code(status).header('content-type', 'application/json; charset=utf-8').send(body);
}
