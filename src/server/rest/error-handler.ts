import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance } from 'fastify';
import { type ApiErrorBody, ApiErrorCode } from '../../protocol/errors.js';
import { isStorageError } from '../../store/storage-errors.js';
import { BROWSER_HEADERS } from '../security/browser-headers.js';
import { sendApiError, sendHttpLayerError } from './error-reply.js';

/**
 * Every failure of the REST API as `{success: false, error, code}` with a real status code: invalid
 * input 400, too large 413, unknown route 404, a store that cannot write 507 (full) or 503, anything
 * unexpected 500 (logged, never crashing).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.validation) {
      return sendApiError(reply, ApiErrorCode.BAD_REQUEST, `invalid request: ${error.message}`);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return sendApiError(reply, ApiErrorCode.BODY_TOO_LARGE, 'request body too large');
    }
    if (
      error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
      (error.statusCode === 400 && error instanceof SyntaxError)
    ) {
      return sendApiError(reply, ApiErrorCode.INVALID_JSON, `malformed JSON body: ${error.message}`);
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return sendHttpLayerError(reply, error.statusCode, ApiErrorCode.BAD_REQUEST, error.message);
    }
    // A write that a route did not turn into a result itself still gets its storage code.
    if (isStorageError(error)) return sendApiError(reply, error.code, error.message);
    if ((error as NodeJS.ErrnoException).code === 'ENOSPC') {
      request.log.warn({ err: error }, 'disk full');
      return sendApiError(
        reply,
        ApiErrorCode.STORAGE_FULL,
        `the disk is full: nothing was saved (${error.message})`,
      );
    }
    request.log.error({ err: error }, 'request failed');
    return sendApiError(reply, ApiErrorCode.INTERNAL, 'internal error; see the server log');
  });
  app.setNotFoundHandler((request, reply) =>
    sendApiError(reply, ApiErrorCode.NOT_FOUND, `no route ${request.method} ${request.url.split('?', 1)[0]}`),
  );
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route runs (headers or
 * URL over its 16 KiB limit, a malformed request, a request timeout) gets the API's error body too,
 * not Fastify's `{error, message, statusCode}`, with `Connection: close` (the parser cannot go on, so
 * a keep-alive client must not send its next request on this socket).
 */
export function apiClientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'request headers too large (the URL counts too): at most 16 KiB']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request timed out']
        : [400, 'malformed HTTP request'];
  writeRawApiError(socket, status, message);
  socket.destroy(error);
}

/** The browser-facing headers as raw header lines, for replies written straight to a socket. */
const RAW_BROWSER_HEADERS = Object.entries(BROWSER_HEADERS)
  .map(([name, value]) => `${name}: ${value}\r\n`)
  .join('');

/**
 * Writes a whole API error response (`BAD_REQUEST` with `status`) to a socket no Fastify reply owns —
 * one the HTTP parser gave up on, or a WebSocket handshake that `ws` refuses — with `Connection:
 * close`; the caller destroys the socket after.
 */
export function writeRawApiError(socket: Duplex, status: number, message: string): void {
  const body: ApiErrorBody = { success: false, error: message, code: ApiErrorCode.BAD_REQUEST };
  const text = JSON.stringify(body);
  if (!socket.writable) return;
  socket.write(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\n${RAW_BROWSER_HEADERS}Connection: close\r\n\r\n${text}`,
  );
}
