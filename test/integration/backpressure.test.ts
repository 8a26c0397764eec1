import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type OverseerTestServer, startOverseer } from '../helpers/overseer-server.js';
import { pollUntil } from '../helpers/poll.js';

const FLOOD = fileURLToPath(new URL('../fixtures/flood.sh', import.meta.url));

interface Counter {
  ws: WebSocket;
  lines: number;
  exited: boolean;
  close: { code: number; reason: string } | null;
}

async function connect(url: string): Promise<Counter> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const counter: Counter = { ws, lines: 0, exited: false, close: null };
  ws.on('message', (data) => {
    const text = data.toString();
    if (text.startsWith('{"type":"output"')) counter.lines++;
    else if (text.startsWith('{"type":"exited"')) counter.exited = true;
  });
  ws.on('close', (code, reason) => {
    counter.close = { code, reason: reason.toString() };
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return counter;
}

/** The TCP socket under a ws client: pausing it makes the client stop reading, as a stalled peer does. */
function tcp(ws: WebSocket): { pause(): void; resume(): void } {
  const socket = (ws as unknown as { _socket?: { pause(): void; resume(): void } })._socket;
  if (socket === undefined) throw new Error('no socket');
  return socket;
}

describe('backpressure from clients to children', () => {
  let server: OverseerTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('a sole client that reads in fits and starts gets every line and is never disconnected', async () => {
    server = await startOverseer();
    const client = await connect(server.url);
    const lines = 150_000; // 15 MB: far more than the 1 MiB high-water mark
    client.ws.send(JSON.stringify({ type: 'start', command: FLOOD, args: [String(lines)] }));
    // From the start, stop reading for 300 ms out of every 400 ms while the flood runs.
    const socket = tcp(client.ws);
    socket.pause();
    let tick = 0;
    const stutter = setInterval(() => {
      tick++;
      if (tick % 4 === 3) socket.resume();
      else socket.pause();
    }, 100);
    try {
      await pollUntil(() => client.exited || client.close !== null, 'the flood to finish', 60_000);
    } finally {
      clearInterval(stutter);
      socket.resume();
    }
    expect(client.close).toBeNull();
    expect(client.lines).toBe(lines);
  });

  it('a sole stalled client holds the child only for the stall period, then is disconnected', async () => {
    server = await startOverseer();
    const { supervisor, hub } = server.running;
    const stalled = await connect(server.url);
    stalled.ws.send(JSON.stringify({ type: 'start', task_id: 'flood', command: FLOOD, args: ['200000'] }));
    tcp(stalled.ws).pause();
    await pollUntil(() => supervisor.isOutputPaused, 'output to be held for the client', 10_000);
    const pausedAt = Date.now();
    expect(supervisor.get('flood')?.workerState).toBe('running');
    await pollUntil(() => hub.openConnectionCount === 0, 'the stalled client to be disconnected', 10_000);
    expect(Date.now() - pausedAt).toBeGreaterThanOrEqual(1_500);
    expect(supervisor.isOutputPaused).toBe(false);
    await pollUntil(
      () => supervisor.get('flood')?.workerState === 'exited',
      'the child to run to its end',
      30_000,
    );
    expect(supervisor.get('flood')?.lastExitCode).toBe(0);
    // Once it reads again it gets what was in flight, then the close frame with the reason.
    tcp(stalled.ws).resume();
    await pollUntil(() => stalled.close !== null, 'the stalled client to see its connection end', 10_000);
    expect(stalled.close).toEqual({
      code: 1013,
      reason: 'client stalled: took no data while output was held for it',
    });
    expect(stalled.lines).toBeLessThan(200_000);
  });

  it('a stalled client does not hold back a client that keeps reading', async () => {
    server = await startOverseer();
    const stalled = await connect(server.url);
    const reader = await connect(server.url);
    tcp(stalled.ws).pause();
    const lines = 250_000; // 25 MB: past the stalled client's 16 MiB backlog limit
    reader.ws.send(JSON.stringify({ type: 'start', command: FLOOD, args: [String(lines)] }));
    await pollUntil(() => reader.exited, 'the reader to get the whole flood', 60_000);
    expect(reader.lines).toBe(lines);
    expect(reader.close).toBeNull();
    tcp(stalled.ws).resume();
    await pollUntil(() => stalled.close !== null, 'the stalled client to be disconnected', 10_000);
    expect(stalled.close?.code).toBe(1013);
    expect(stalled.close?.reason).toMatch(/^client too slow: \d+ bytes unsent$/);
  });
});
