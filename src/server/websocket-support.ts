import type { Duplex } from 'node:stream';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RawData } from 'ws';
import { Limits } from './limits.js';

export interface WebSocketSupportOptions {
  /**
   * Answers an upgrade that `ws` refuses (no or a malformed Sec-WebSocket-Key, an unknown version)
   * on the raw socket, which is destroyed after; default: ws's own plain-text 400.
   */
  readonly onBadHandshake?: (socket: Duplex, message: string) => void;
}

/**
 * WebSocket routes for the whole app: frames over 1 MiB close the socket with 1009, no compression
 * (it costs CPU for nothing on local sockets), and a socket error ends that socket only. Text frames
 * that are not valid UTF-8 are not a protocol error that closes the socket (1007): each face answers
 * them with an error frame and keeps the connection — the overseer decodes the bytes as the original
 * did (invalid ones become U+FFFD), the terminal socket refuses the frame.
 */
export async function registerWebSocketSupport(
  app: FastifyInstance,
  options: WebSocketSupportOptions = {},
): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: Limits.maxFrameBytes, perMessageDeflate: false, skipUTF8Validation: true },
    errorHandler: (error, socket) => {
      app.log.debug({ err: error }, 'websocket error');
      socket.terminate();
    },
  });
  const { onBadHandshake } = options;
  if (onBadHandshake !== undefined) {
    app.websocketServer.on('wsClientError', (error: Error, socket: Duplex) => {
      onBadHandshake(socket, error.message);
      socket.destroy();
    });
  }
}

/** A frame's text: text and binary frames both carry JSON (the original overseer accepted either). */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
