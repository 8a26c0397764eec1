// API: dead clients do not hold the client slots. A WebSocket client that answers no ping (a frozen
// process, a peer that stopped reading) is disconnected after the client timeout, on the standalone
// sticky-overseer, on /ws and on the terminal socket of claudeman web; a new client then gets in at
// the cap. A live client that only listens stays connected far beyond the timeout. An event stream
// whose writes stop draining is ended after the timeout as well.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { asObject, expectJson, pollAsync, useApiResources } from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { pollUntil } from '../helpers/poll.js';

const r = useApiResources();
/** The lowered client timeout of these tests (ms). */
const TIMEOUT_MS = 600;

/** How a dead client looks from the server: one that does not answer pings, or does not read at all. */
type Death = 'no-pong' | 'not-reading';

/** Opens a WebSocket and makes it dead in the given way; resolves once open. */
async function deadClient(url: string, death: Death): Promise<WebSocket> {
  const ws = new WebSocket(url, { autoPong: death !== 'no-pong' });
  r.onCleanup(() => ws.terminate());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // Not reading: the socket's data stays in the kernel, so no ping is ever seen (nor answered).
  if (death === 'not-reading') (ws as unknown as { _socket: { pause(): void } })._socket.pause();
  return ws;
}

async function liveClient(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  r.onCleanup(() => ws.terminate());
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

/** Resolves with the close code once the server has ended the socket (1006: no close frame). */
function closed(ws: WebSocket): Promise<number> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve(1006);
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('dead WebSocket clients', () => {
  it('on the standalone sticky-overseer: freed after the timeout; a live listener stays', async () => {
    const server = await startOverseer({ maxClients: 3, clientTimeoutMs: TIMEOUT_MS });
    r.onCleanup(() => server.close());
    const live = await liveClient(server.url);
    await deadClient(server.url, 'no-pong');
    await deadClient(server.url, 'not-reading');
    expect(server.running.hub.connectionCount).toBe(3);
    // Full: one more is refused for now.
    const refused = new WebSocket(server.url);
    r.onCleanup(() => refused.terminate());
    expect(await closed(refused)).toBe(1013);

    await pollUntil(() => server.running.hub.connectionCount === 1, 'the dead clients to be freed', 5_000);
    const newcomer = await liveClient(server.url);
    await sleep(TIMEOUT_MS * 3);
    expect(live.readyState).toBe(WebSocket.OPEN);
    expect(newcomer.readyState).toBe(WebSocket.OPEN);
    // The live one still gets answers.
    const reply = new Promise<string>((resolve) => live.once('message', (data) => resolve(String(data))));
    live.send(JSON.stringify({ type: 'list', id: 'alive' }));
    expect(await reply).toContain('"id":"alive"');
  });

  it('on claudeman web: /ws and terminal sockets are freed after the timeout; live ones stay', async () => {
    const s = await r.server({
      clientTimeoutMs: TIMEOUT_MS,
      clientLimits: { overseerClients: 2, terminalClients: 2 },
      terminalHost: 'pty',
    });
    const session = asObject((await expectJson(await s.send('POST', '/api/sessions', {}), 201)).session);
    await expectJson(await s.send('POST', `/api/sessions/${session.id}/interactive`, {}), 200);
    const ws = `ws://127.0.0.1:${s.port}/ws?token=${s.token}`;
    const terminal = `ws://127.0.0.1:${s.port}/ws/sessions/${session.id}/terminal?token=${s.token}`;

    const liveWs = await liveClient(ws);
    const liveTerminal = await liveClient(terminal);
    await deadClient(ws, 'not-reading');
    await deadClient(terminal, 'no-pong');
    const metric = async (kind: string): Promise<number> => {
      const text = await (await s.api('/metrics')).text();
      const line = text.split('\n').find((l) => l.startsWith(`claudeman_clients{kind="${kind}"} `));
      return Number(line?.split(' ')[1]);
    };
    expect(await metric('overseer_ws')).toBe(2);
    expect(await metric('terminal')).toBe(2);
    await pollAsync(
      async () => (await metric('overseer_ws')) === 1 && (await metric('terminal')) === 1,
      'the dead sockets to be freed',
      5_000,
    );
    await liveClient(ws);
    await liveClient(terminal);
    await sleep(TIMEOUT_MS * 3);
    expect(liveWs.readyState).toBe(WebSocket.OPEN);
    expect(liveTerminal.readyState).toBe(WebSocket.OPEN);
    const metrics = await (await s.api('/metrics')).text();
    expect(metrics).toContain(`claudeman_limit_client_timeout_seconds ${TIMEOUT_MS / 1000}`);
  });
});

/** An event stream of the server, closed after the test. */
async function openStream(s: ClaudemanTestServer): Promise<http.IncomingMessage> {
  const request = http.get({
    host: '127.0.0.1',
    port: s.port,
    path: '/api/events',
    headers: { authorization: `Bearer ${s.token}` },
    agent: false,
  });
  r.onCleanup(() => {
    request.destroy();
  });
  return new Promise((resolve) => request.once('response', resolve));
}

describe('a dead event stream', () => {
  it('is ended once what was written to it has not drained for the timeout', async () => {
    const s = await r.server({ clientTimeoutMs: TIMEOUT_MS });
    // A reader that stops reading after the head: its socket buffers fill, then our writes back up.
    const stalled = await openStream(s);
    expect(stalled.statusCode).toBe(200);
    stalled.pause();
    stalled.socket.pause();
    // A reader that keeps up, for comparison.
    let liveBytes = 0;
    (await openStream(s)).on('data', (chunk: Buffer) => {
      liveBytes += chunk.length;
    });
    await pollUntil(() => s.running.sse.clientCount === 2, 'both streams');

    // Events until the paused stream backs up: big one-shot outputs go out as session events.
    const session = asObject((await expectJson(await s.send('POST', '/api/sessions', {}), 201)).session);
    await pollAsync(
      async () => {
        if (s.running.sse.clientCount === 1) return true;
        const run = await s.send('POST', `/api/sessions/${session.id}/run`, { prompt: '[[big:2000000]]' });
        await run.text();
        await sleep(200);
        return s.running.sse.clientCount === 1;
      },
      'the stalled stream to be ended',
      20_000,
    );
    expect(liveBytes).toBeGreaterThan(1_000_000);
  }, 30_000);
});
