// Property-based fuzzing of the terminal socket (`/ws/sessions/:id/terminal`) of a real `claudeman
// web` in this process, with a live interactive session of the fake claude behind it. 5,000 generated
// frames — random text and bytes, random JSON values (null, numbers, strings, arrays), and valid
// `input` (with and without `clientId`/`seq`)/`resize`/`ack` frames mutated in every way a client
// could get them wrong — go over four
// connections at once. The contract: every frame that is not a valid client frame is answered by
// exactly one `error` frame naming what is wrong; a valid one gets no error; no connection closes;
// the server never exits. Afterwards the same session still answers typed input, a fresh request is
// served, and the heap has not grown beyond a bound.
//
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run test/fuzz/terminal-frames.test.ts

import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from '../../src/protocol/limits.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import {
  anyValue,
  Batch,
  collectGarbage,
  encodeEntries,
  encodeValue,
  entry,
  hugeNumber,
  SEED,
  SPECIAL_NAMES,
  weirdShort,
} from './fuzz-support.js';

const TOTAL_FRAMES = 5_000;
const BATCH = 100;
const CONNECTIONS = 4;
const HEAP_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;
/** What an error frame's message starts with: the socket's documented refusals. */
const ERROR_MESSAGES = /^(invalid JSON|unknown or malformed message|input needs|resize needs|ack needs)/;

/** One generated frame and whether the contract makes it valid (decided here, independently). */
interface Frame {
  readonly data: string | Buffer;
  readonly valid: boolean;
}

/** Whether a frame's text is a valid client frame, by the contract in the README. */
function isValid(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const frame = value as Record<string, unknown>;
  const whole = (n: unknown, max: number) =>
    typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= max;
  if (frame.type === 'input') {
    if (typeof frame.data !== 'string') return false;
    // Sequence numbers: both or neither; a plain client id, a whole number ≥ 0.
    if (frame.clientId === undefined && frame.seq === undefined) return true;
    return (
      typeof frame.clientId === 'string' &&
      /^[A-Za-z0-9_-]{1,64}$/.test(frame.clientId) &&
      typeof frame.seq === 'number' &&
      Number.isSafeInteger(frame.seq) &&
      frame.seq >= 0
    );
  }
  if (frame.type === 'resize') {
    const clientIdOk =
      frame.clientId === undefined ||
      (typeof frame.clientId === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(frame.clientId));
    return whole(frame.cols, MAX_TERMINAL_COLS) && whole(frame.rows, MAX_TERMINAL_ROWS) && clientIdOk;
  }
  if (frame.type === 'refresh') return true;
  if (frame.type === 'ack') {
    // `chars`, or the old `bytes` of clients built before the rename; `chars` wins when both are there.
    const count = 'chars' in frame ? frame.chars : frame.bytes;
    return typeof count === 'number' && Number.isFinite(count) && count >= 0;
  }
  return false;
}

/** Typed text that cannot end the agent or answer its dialogs: no control characters. */
const harmlessText = weirdShort.map((text) =>
  [...text].filter((ch) => (ch.codePointAt(0) ?? 0) >= 0x20 && ch !== '\u007f').join(''),
);
const anyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  hugeNumber,
  fc.constantFrom(0, 1, 500, 501, 200, 201, -1, 1.5, 2 ** 53),
);
const fieldValue = fc.oneof(anyValue, anyNumber, harmlessText);
/** Client ids, mostly valid: the edges of the allowed set and length, and just past them. */
const clientIdArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  fc.constantFrom('', 'a', 'x'.repeat(64), 'x'.repeat(65), 'has space', 'ünï', 'a;b', '-_-'),
);

const mutatedFrame: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(fc.oneof(harmlessText, fieldValue), fc.boolean())
    .map(([data, extra]) =>
      encodeEntries([entry('type', 'input'), entry('data', data), ...(extra ? [entry('x', 1)] : [])]),
    ),
  fc
    .tuple(
      harmlessText,
      fc.option(fc.oneof(clientIdArb, fieldValue)),
      fc.option(fc.oneof(fc.nat(), anyNumber, fieldValue)),
    )
    .map(([data, clientId, seq]) =>
      encodeEntries([
        entry('type', 'input'),
        entry('data', data),
        entry('clientId', clientId ?? undefined),
        entry('seq', seq ?? undefined),
      ]),
    ),
  fc
    .tuple(fc.option(anyNumber), fc.option(anyNumber), fc.option(fc.oneof(clientIdArb, fieldValue)))
    .map(([cols, rows, clientId]) =>
      encodeEntries([
        entry('type', 'resize'),
        entry('cols', cols ?? undefined),
        entry('rows', rows ?? undefined),
        entry('clientId', clientId ?? undefined),
      ]),
    ),
  fc
    .tuple(fc.option(fc.oneof(anyNumber, fieldValue)), fc.option(fc.oneof(anyNumber, fieldValue)))
    .map(([chars, bytes]) =>
      encodeEntries([
        entry('type', 'ack'),
        entry('chars', chars ?? undefined),
        entry('bytes', bytes ?? undefined),
      ]),
    ),
  fc
    .tuple(
      fc.oneof(fc.constantFrom(...SPECIAL_NAMES, 'INPUT', 'exit', 'replay', 'output', ''), fieldValue),
      fieldValue,
    )
    .map(([type, data]) => encodeEntries([entry('type', type), entry('data', data)])),
  // `refresh` asks for the opening again: valid with anything beside its type.
  fieldValue.map((extra) => encodeEntries([entry('type', 'refresh'), entry('x', extra)])),
  // Duplicate keys: the last one wins in JSON.parse.
  harmlessText.map((data) => encodeEntries([entry('type', 'input'), entry('data', 5), entry('data', data)])),
);

const frameArb: fc.Arbitrary<Frame> = fc
  .oneof(
    { weight: 5, arbitrary: mutatedFrame.map((text) => ({ text, binary: false })) },
    { weight: 3, arbitrary: anyValue.map((value) => ({ text: encodeValue(value), binary: false })) },
    { weight: 2, arbitrary: weirdShort.map((text) => ({ text, binary: false })) },
    { weight: 1, arbitrary: mutatedFrame.map((text) => ({ text, binary: true })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => ({ bytes: Buffer.from(bytes) })),
    },
  )
  .map((generated): Frame => {
    if ('bytes' in generated)
      return { data: generated.bytes, valid: isValid(generated.bytes.toString('utf8')) };
    // What the server decodes: text frames are UTF-8 on the wire (a lone surrogate becomes U+FFFD).
    const wire = Buffer.from(generated.text, 'utf8').toString('utf8');
    return {
      data: generated.binary ? Buffer.from(generated.text, 'utf8') : generated.text,
      valid: isValid(wire),
    };
  });

interface Connection {
  readonly ws: WebSocket;
  errors: string[];
  closed: boolean;
}

async function connect(server: ClaudemanTestServer, sessionId: string): Promise<Connection> {
  const ws = new WebSocket(
    `ws://127.0.0.1:${server.port}/ws/sessions/${sessionId}/terminal?token=${server.token}`,
  );
  const connection: Connection = { ws, errors: [], closed: false };
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as {
      type: string;
      message?: string;
      code?: string;
      data?: string;
    };
    // Errors with a code come from the session (e.g. input after the agent exited), not the decoder.
    if (frame.type === 'error' && frame.code === undefined) connection.errors.push(String(frame.message));
    if ((frame.type === 'output' || frame.type === 'replay') && frame.data !== undefined) {
      ws.send(JSON.stringify({ type: 'ack', chars: frame.data.length }));
    }
  });
  ws.on('close', () => {
    connection.closed = true;
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return connection;
}

describe('fuzzing the terminal socket with 5,000 frames', () => {
  let server: ClaudemanTestServer;
  let sessionId: string;
  let connections: Connection[];
  let heapBefore = 0;

  beforeAll(async () => {
    server = await startClaudeman({
      terminalHost: 'pty',
      env: { ...process.env, FAKE_CLAUDE_WORK_MS: '20', FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
    });
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    sessionId = created.session.id;
    expect((await server.send('POST', `/api/sessions/${sessionId}/interactive`, {})).status).toBe(200);
    await pollUntil(
      () => server.running.sessions.get(sessionId)?.terminal.toString().includes('❯') === true,
      'the prompt',
    );
    connections = await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(server, sessionId)));
    await collectGarbage();
    heapBefore = process.memoryUsage().heapUsed;
  }, 30_000);

  afterAll(async () => {
    for (const connection of connections ?? []) connection.ws.terminate();
    await server?.close();
  });

  it('answers each invalid frame with one error frame, and no valid one; every connection stays open', async () => {
    let expectedErrors = 0;
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArb, { minLength: BATCH, maxLength: BATCH }).map((frames) => new Batch(frames)),
        async (batch) => {
          batch.items.forEach((frame, index) => {
            const connection = connections[index % CONNECTIONS] as Connection;
            connection.ws.send(frame.data, { binary: Buffer.isBuffer(frame.data) });
            if (!frame.valid) expectedErrors++;
          });
          sent += batch.items.length;
          await pollUntil(
            () => connections.reduce((n, c) => n + c.errors.length, 0) >= expectedErrors,
            `${expectedErrors} error frames after ${sent} frames`,
            15_000,
          );
          expect(connections.filter((c) => c.closed)).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: TOTAL_FRAMES / BATCH, endOnFailure: true },
    );
    // Nothing more than one error per invalid frame arrives late.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const errors = connections.flatMap((c) => c.errors);
    expect(errors).toHaveLength(expectedErrors);
    for (const message of errors) expect(message).toMatch(ERROR_MESSAGES);
    console.log(`terminal fuzz: ${sent} frames, ${expectedErrors} refused`);
  }, 120_000);

  it('leaves the session working, the server serving, and the heap bounded', async () => {
    const typist = connections[0] as Connection;
    const screen: string[] = [];
    typist.ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; data?: string };
      if (frame.type === 'output' && frame.data !== undefined) screen.push(frame.data);
    });
    // Whatever the fuzz typed is cleared first (Ctrl-U), then one prompt is sent.
    typist.ws.send(JSON.stringify({ type: 'input', data: '\u0015' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    typist.ws.send(JSON.stringify({ type: 'input', data: 'still alive' }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    typist.ws.send(JSON.stringify({ type: 'input', data: '\r' }));
    await pollUntil(() => screen.join('').includes('Echo: still alive'), 'the echo', 20_000);
    expect((await server.api('/api/status')).status).toBe(200);
    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.log(`terminal fuzz: heap growth ${(growth / 1024 / 1024).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
  }, 60_000);
});
