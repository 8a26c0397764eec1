import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RawData } from 'ws';
import { Limits } from './limits.js';

/**
 * WebSocket routes for the whole app: frames over 1 MiB close the socket with 1009, no compression
 * (it costs CPU for nothing on local sockets), and a socket error ends that socket only.
 */
export async function registerWebSocketSupport(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    options: { maxPayload: Limits.maxFrameBytes, perMessageDeflate: false },
    errorHandler: (error, socket) => {
      app.log.debug({ err: error }, 'websocket error');
      socket.terminate();
    },
  });
}

/** A frame's text: text and binary frames both carry JSON (the original overseer accepted either). */
export function frameText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
