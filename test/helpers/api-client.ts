// Helpers for the REST/SSE API suite (test/api): typed JSON access, exact error-body checks, an SSE
// client that keeps every frame with its raw lines, raw HTTP requests (custom Host/Origin/local
// address), polling of async conditions, and per-test tracking of servers, streams and temp dirs.

import { realpathSync } from 'node:fs';
import http from 'node:http';
import { afterEach, expect } from 'vitest';
import { type ClaudemanTestServer, type StartClaudemanOptions, startClaudeman } from './claudeman-server.js';
import { makeTempDir } from './temp-dir.js';

export type Json = Record<string, unknown>;

function describeValue(value: unknown): string {
  const s = JSON.stringify(value);
  if (s === undefined) return String(value);
  return s.length > 400 ? `${s.slice(0, 400)}…` : s;
}

/** The value as a plain object; fails the test otherwise. */
export function asObject(value: unknown, what = 'value'): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} is not a JSON object: ${describeValue(value)}`);
  }
  return value as Json;
}

export function asArray(value: unknown, what = 'value'): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not an array: ${describeValue(value)}`);
  return value;
}

export function asString(value: unknown, what = 'value'): string {
  if (typeof value !== 'string') throw new Error(`${what} is not a string: ${describeValue(value)}`);
  return value;
}

export function asNumber(value: unknown, what = 'value'): number {
  if (typeof value !== 'number') throw new Error(`${what} is not a number: ${describeValue(value)}`);
  return value;
}

/** The response body parsed as JSON (with the text in the error when it is not JSON). */
export async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Error(`HTTP ${res.status}: body is not JSON: ${text.slice(0, 400)}`);
  }
}

/** Asserts the status and returns the body as an object. */
export async function expectJson(res: Response, status: number): Promise<Json> {
  const body = await readJson(res);
  expect(res.status, `HTTP status (body ${describeValue(body)})`).toBe(status);
  expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
  return asObject(body, 'response body');
}

/** Asserts the status and returns the body as an array. */
export async function expectJsonArray(res: Response, status = 200): Promise<unknown[]> {
  const body = await readJson(res);
  expect(res.status, `HTTP status (body ${describeValue(body)})`).toBe(status);
  return asArray(body, 'response body');
}

/** Asserts the API's error body `{success: false, error, code}` (exactly these keys) and the status. */
export async function expectApiError(res: Response, status: number, code: string): Promise<Json> {
  const body = await expectJson(res, status);
  expectErrorBody(body, code);
  return body;
}

export function expectErrorBody(body: Json, code: string): void {
  expect(Object.keys(body).sort(), `error body keys of ${describeValue(body)}`).toEqual([
    'code',
    'error',
    'success',
  ]);
  expect(body.success).toBe(false);
  expect(body.code, `error code of ${describeValue(body)}`).toBe(code);
  expect(typeof body.error).toBe('string');
  expect(asString(body.error).length).toBeGreaterThan(0);
}

/** Polls an (async) condition every `intervalMs` until it holds; fails after `timeoutMs`. */
export async function pollAsync(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

// ---------------------------------------------------------------------------------------------------
// Sessions

/**
 * Every key of a Session object: the spec's fields plus permissionMode, lastError, exitCode, attention,
 * and what structure tells of the agent (state, cost, context, model, budget).
 */
export const SESSION_KEYS = [
  'attention',
  'bufferStats',
  'claudeSessionId',
  'contextUsedPct',
  'cost',
  'createdAt',
  'currentTaskId',
  'exitCode',
  'id',
  'isWorking',
  'lastActivityAt',
  'lastError',
  'lastPromptTime',
  'limitedUntil',
  'maxCostUsd',
  'messageCount',
  'mode',
  'model',
  'permissionMode',
  'pid',
  'state',
  'stateReason',
  'stateSince',
  'status',
  'terminalHost',
  'totalCost',
  'workingDir',
];
export const BUFFER_STATS_KEYS = [
  'messages',
  'messagesLimit',
  'terminalBytes',
  'terminalLimit',
  'textBytes',
  'textLimit',
];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function nullOr(value: unknown, type: 'string' | 'number'): boolean {
  return value === null || typeof value === type;
}

/** Asserts the exact Session shape (keys and types, no buffers) and returns it. */
export function expectSession(value: unknown, what = 'session'): Json {
  const s = asObject(value, what);
  expect(Object.keys(s).sort(), `keys of ${what}`).toEqual(SESSION_KEYS);
  expect(s.id, `${what}.id`).toMatch(UUID_RE);
  expect(nullOr(s.pid, 'number'), `${what}.pid number|null`).toBe(true);
  expect(['idle', 'busy', 'stopped', 'error']).toContain(s.status);
  expect(['none', 'oneshot', 'interactive']).toContain(s.mode);
  expect([null, 'tmux', 'pty'], `${what}.terminalHost`).toContain(s.terminalHost);
  expect(typeof s.workingDir).toBe('string');
  expect(nullOr(s.currentTaskId, 'string'), `${what}.currentTaskId`).toBe(true);
  expect(typeof s.createdAt).toBe('number');
  expect(typeof s.lastActivityAt).toBe('number');
  expect(nullOr(s.claudeSessionId, 'string'), `${what}.claudeSessionId`).toBe(true);
  expect(typeof s.totalCost).toBe('number');
  expect(Number.isInteger(s.messageCount), `${what}.messageCount integer`).toBe(true);
  expect(typeof s.isWorking).toBe('boolean');
  expect(s.isWorking, `${what}.isWorking iff busy`).toBe(s.status === 'busy');
  expect(nullOr(s.lastPromptTime, 'number'), `${what}.lastPromptTime`).toBe(true);
  expect(nullOr(s.lastError, 'string'), `${what}.lastError`).toBe(true);
  expect(nullOr(s.exitCode, 'number'), `${what}.exitCode`).toBe(true);
  expect(s.attention === null || typeof s.attention === 'object', `${what}.attention`).toBe(true);
  const stats = asObject(s.bufferStats, `${what}.bufferStats`);
  expect(Object.keys(stats).sort(), `keys of ${what}.bufferStats`).toEqual(BUFFER_STATS_KEYS);
  for (const key of BUFFER_STATS_KEYS) {
    expect(Number.isInteger(stats[key]), `${what}.bufferStats.${key} integer`).toBe(true);
  }
  expect(asNumber(stats.terminalLimit)).toBeGreaterThan(0);
  expect(asNumber(stats.textLimit)).toBeGreaterThan(0);
  expect(asNumber(stats.messagesLimit)).toBeGreaterThan(0);
  expect(asNumber(stats.terminalBytes)).toBeLessThanOrEqual(asNumber(stats.terminalLimit));
  expect(asNumber(stats.textBytes)).toBeLessThanOrEqual(asNumber(stats.textLimit));
  expect(asNumber(stats.messages)).toBeLessThanOrEqual(asNumber(stats.messagesLimit));
  return s;
}

/** POST /api/sessions; asserts 201 `{success: true, session}` and returns the session. */
export async function createSession(server: ClaudemanTestServer, body: Json = {}): Promise<Json> {
  const created = await expectJson(await server.send('POST', '/api/sessions', body), 201);
  expect(Object.keys(created).sort()).toEqual(['session', 'success']);
  expect(created.success).toBe(true);
  return expectSession(created.session);
}

export async function getSession(server: ClaudemanTestServer, id: string): Promise<Json> {
  return expectSession(await expectJson(await server.api(`/api/sessions/${id}`), 200));
}

/** Polls GET /api/sessions/:id until `predicate` holds; returns that session. */
export async function waitForSession(
  server: ClaudemanTestServer,
  id: string,
  predicate: (session: Json) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Json> {
  let last: Json | null = null;
  try {
    await pollAsync(
      async () => {
        last = await getSession(server, id);
        return predicate(last);
      },
      what,
      timeoutMs,
      50,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last session: ${describeValue(last)}`);
  }
  if (last === null) throw new Error(`no session read for ${what}`);
  return last;
}

/** GET /api/sessions/:id/terminal as `{terminalBuffer, status}`. */
export async function getTerminal(
  server: ClaudemanTestServer,
  id: string,
): Promise<{ terminalBuffer: string; status: string }> {
  const body = await expectJson(await server.api(`/api/sessions/${id}/terminal`), 200);
  expect(Object.keys(body).sort()).toEqual(['status', 'terminalBuffer']);
  return { terminalBuffer: asString(body.terminalBuffer), status: asString(body.status) };
}

/** Polls the terminal buffer until it contains `text`; returns the buffer. */
export async function waitForTerminal(
  server: ClaudemanTestServer,
  id: string,
  text: string,
  timeoutMs = 10_000,
): Promise<string> {
  let buffer = '';
  try {
    await pollAsync(
      async () => {
        buffer = (await getTerminal(server, id)).terminalBuffer;
        return buffer.includes(text);
      },
      `terminal of ${id} to contain ${JSON.stringify(text)}`,
      timeoutMs,
      50,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; buffer tail: ${JSON.stringify(buffer.slice(-600))}`);
  }
  return buffer;
}

/** The realpath of a directory, as the server reports working directories. */
export function real(path: string): string {
  return realpathSync(path);
}

/** The whole body of a response as text. */
export function readBody(response: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.once('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------------
// Server-Sent Events

export interface SseFrame {
  /** The `id:` field as text (undefined when absent). */
  readonly idText: string | undefined;
  /** The `id:` field as a number (NaN when absent or not numeric). */
  readonly id: number;
  readonly event: string | undefined;
  /** The joined `data:` lines. */
  readonly dataText: string;
  /** Every line of the frame, as received (comment lines excluded). */
  readonly lines: readonly string[];
  /** `data` parsed as a JSON object (empty object when it is not one). */
  readonly payload: Json;
  /** payload.type */
  readonly type: string | undefined;
  /** payload.sessionId */
  readonly sessionId: string | undefined;
  /** payload.data as an object (empty object when absent). */
  readonly data: Json;
}

export type FramePredicate = (frame: SseFrame) => boolean;

interface FrameWaiter {
  predicate: FramePredicate;
  resolve: (frame: SseFrame) => void;
  reject: (error: Error) => void;
}

function parsePayload(text: string): Json {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Json;
  } catch {
    // not JSON: framing checks report it
  }
  return {};
}

function toFrame(lines: string[]): SseFrame {
  let idText: string | undefined;
  let event: string | undefined;
  const data: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'id') idText = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  const dataText = data.join('\n');
  const payload = parsePayload(dataText);
  const rawData = payload.data;
  return {
    idText,
    id: idText !== undefined && /^\d+$/.test(idText) ? Number(idText) : Number.NaN,
    event,
    dataText,
    lines,
    payload,
    type: typeof payload.type === 'string' ? payload.type : undefined,
    sessionId: typeof payload.sessionId === 'string' ? payload.sessionId : undefined,
    data: typeof rawData === 'object' && rawData !== null && !Array.isArray(rawData) ? (rawData as Json) : {},
  };
}

export interface SseOpenOptions {
  /** Query string without `?` (e.g. `sessions=a,b`). */
  query?: string;
  headers?: Record<string, string>;
  /** Send the bearer token (default true). */
  auth?: boolean;
}

/**
 * A reader of `GET /api/events`: keeps every frame (and comment) in arrival order. Uses node:http
 * (one socket per stream, destroyed on close): fetch keeps an aborted stream's socket open for
 * seconds, which would hold up the server's close.
 */
export class SseClient {
  readonly frames: SseFrame[] = [];
  readonly comments: string[] = [];
  private readonly consumed = new Set<SseFrame>();
  private readonly waiters: FrameWaiter[] = [];
  private ended = false;
  private endError: Error | null = null;
  private buffer = '';
  private pending: string[] = [];

  private constructor(
    readonly response: http.IncomingMessage,
    private readonly request: http.ClientRequest,
  ) {}

  /** Opens the stream; fails unless the server answers 200 with `text/event-stream`. */
  static async open(server: ClaudemanTestServer, options: SseOpenOptions = {}): Promise<SseClient> {
    const { request, response } = await SseClient.request(server, options);
    if (response.statusCode !== 200) {
      const text = await readBody(response);
      request.destroy();
      throw new Error(`GET /api/events answered ${response.statusCode ?? '?'}: ${text.slice(0, 300)}`);
    }
    expect(response.headers['content-type'] ?? '').toMatch(/^text\/event-stream/);
    const client = new SseClient(response, request);
    client.pump();
    return client;
  }

  /** The raw response of `GET /api/events` (for refusals); the caller must read it or destroy the request. */
  static request(
    server: ClaudemanTestServer,
    options: SseOpenOptions = {},
  ): Promise<{ request: http.ClientRequest; response: http.IncomingMessage }> {
    const headers: Record<string, string> = { accept: 'text/event-stream', ...(options.headers ?? {}) };
    if (options.auth !== false && !Object.keys(headers).some((k) => k.toLowerCase() === 'authorization')) {
      headers.authorization = `Bearer ${server.token}`;
    }
    const path = `/api/events${options.query ? `?${options.query}` : ''}`;
    return new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port: server.port, path, headers, agent: false });
      request.once('response', (response) => resolve({ request, response }));
      request.once('error', reject);
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }

  /** Every frame whose payload type is `type`. */
  ofType(type: string): SseFrame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** The first not-yet-consumed frame matching `predicate`, waiting up to `timeoutMs`; consumes it. */
  next(predicate: FramePredicate = () => true, timeoutMs = 10_000): Promise<SseFrame> {
    const found = this.frames.find((f) => !this.consumed.has(f) && predicate(f));
    if (found !== undefined) {
      this.consumed.add(found);
      return Promise.resolve(found);
    }
    if (this.ended) {
      return Promise.reject(
        new Error(`event stream ended (${this.endError?.message ?? 'closed'}) before a matching frame`),
      );
    }
    return new Promise<SseFrame>((resolve, reject) => {
      const waiter: FrameWaiter = {
        predicate,
        resolve: (frame) => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        const recent = this.frames
          .slice(-10)
          .map((f) => `  ${f.dataText.slice(0, 200)}`)
          .join('\n');
        reject(
          new Error(
            `no matching event within ${timeoutMs} ms (${this.frames.length} frames); last:\n${recent || '  (none)'}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for an event of `type` (about `sessionId` when given). */
  nextOf(type: string, sessionId?: string, timeoutMs = 10_000): Promise<SseFrame> {
    return this.next(
      (f) => f.type === type && (sessionId === undefined || f.sessionId === sessionId),
      timeoutMs,
    );
  }

  /** Stops reading from the socket (the server's writes back up, as with a stalled client). */
  pause(): void {
    this.response.pause();
  }

  resume(): void {
    this.response.resume();
  }

  /** Stops reading and closes the connection. */
  async close(): Promise<void> {
    if (!this.ended) this.request.destroy();
    await pollAsync(() => this.ended, 'event stream to end', 5_000, 10);
  }

  private pump(): void {
    this.response.setEncoding('utf8');
    this.response.on('data', (text: string) => this.feed(text));
    this.response.once('end', () => this.finish(null));
    this.response.once('close', () => this.finish(null));
    this.response.once('error', (error: Error) => this.finish(error));
  }

  private feed(text: string): void {
    this.buffer += text;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (match === null) break;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === '') {
      if (this.pending.length > 0) this.dispatch(toFrame(this.pending));
      this.pending = [];
      return;
    }
    if (line.startsWith(':')) {
      this.comments.push(line);
      return;
    }
    this.pending.push(line);
  }

  private dispatch(frame: SseFrame): void {
    this.frames.push(frame);
    const index = this.waiters.findIndex((w) => w.predicate(frame));
    if (index >= 0) {
      const [waiter] = this.waiters.splice(index, 1);
      this.consumed.add(frame);
      waiter?.resolve(frame);
    }
  }

  private finish(error: Error | null): void {
    if (this.ended) return;
    this.ended = true;
    this.endError = error;
    for (const waiter of this.waiters.splice(0)) {
      waiter.reject(new Error(`event stream ended (${error?.message ?? 'closed'}) while waiting`));
    }
  }
}

/** Asserts the framing of one event: `id:`, `event:`, `data:` lines in this order, data one JSON line. */
export function expectFraming(frame: SseFrame): void {
  const what = `frame ${JSON.stringify(frame.lines).slice(0, 300)}`;
  expect(frame.lines.length, `${what}: three lines`).toBe(3);
  expect(frame.lines[0], what).toMatch(/^id: \d+$/);
  expect(frame.lines[1], what).toMatch(/^event: \S+$/);
  expect(frame.lines[2]?.startsWith('data: '), what).toBe(true);
  const payload = JSON.parse(frame.dataText) as unknown;
  const obj = asObject(payload, `${what} data`);
  expect(frame.event, `${what}: event equals data.type`).toBe(obj.type);
  const isSessionEvent = typeof obj.type === 'string' && obj.type.startsWith('session:');
  expect(Object.keys(obj).sort(), `${what}: payload keys`).toEqual(
    isSessionEvent ? ['data', 'sessionId', 'type'] : ['data', 'type'],
  );
  if (isSessionEvent) expect(obj.sessionId, `${what}: sessionId`).toMatch(UUID_RE);
  asObject(obj.data, `${what} data.data`);
}

// ---------------------------------------------------------------------------------------------------
// Raw HTTP (custom Host, Origin, cookies, local address)

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** True when the server switched protocols (WebSocket accepted). */
  upgraded: boolean;
}

export interface RawRequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  localAddress?: string;
  /** Add WebSocket upgrade headers. */
  upgrade?: boolean;
}

/** One HTTP request with exactly the given headers (Node adds Host unless one is given). */
export function rawRequest(port: number, options: RawRequestOptions): Promise<RawResponse> {
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (options.upgrade) {
    headers.connection = 'Upgrade';
    headers.upgrade = 'websocket';
    headers['sec-websocket-version'] = '13';
    headers['sec-websocket-key'] = Buffer.from('0123456789abcdef').toString('base64');
  }
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise<RawResponse>((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers,
        agent: false,
        ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            upgraded: false,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, headers: res.headers, body: '', upgraded: true });
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('HTTP request timed out')));
    req.end(options.body);
  });
}

/** Parses a raw response body as the API's error body and checks it. */
export function expectRawApiError(res: RawResponse, status: number, code: string): void {
  expect(res.status, `status (body ${res.body.slice(0, 300)})`).toBe(status);
  expect(res.headers['content-type'] ?? '').toMatch(/^application\/json/);
  expectErrorBody(asObject(JSON.parse(res.body) as unknown, 'error body'), code);
}

// ---------------------------------------------------------------------------------------------------
// Per-test resources

export interface ApiResources {
  /** Starts a server that is closed after the test (unless closed before with closeServer). */
  server(options?: StartClaudemanOptions): Promise<ClaudemanTestServer>;
  /**
   * Closes a server now (e.g. before restarting on the same data directory); `keepSessions` leaves
   * its agents in tmux running for the next server to adopt.
   */
  closeServer(server: ClaudemanTestServer, options?: { keepSessions?: boolean }): Promise<void>;
  /** Opens an event stream that is closed after the test. */
  sse(server: ClaudemanTestServer, options?: SseOpenOptions): Promise<SseClient>;
  /** A temp directory removed after the test (after the servers are closed). */
  tempDir(prefix?: string): string;
  onCleanup(fn: () => void | Promise<void>): void;
}

/** Registers the afterEach hook closing streams, then servers, then other cleanups. Call once per file. */
export function useApiResources(): ApiResources {
  const servers = new Set<ClaudemanTestServer>();
  const streams: SseClient[] = [];
  const cleanups: Array<() => void | Promise<void>> = [];

  afterEach(async () => {
    const errors: unknown[] = [];
    for (const stream of streams.splice(0)) await stream.close().catch((e: unknown) => errors.push(e));
    for (const server of [...servers]) {
      servers.delete(server);
      await server.close().catch((e: unknown) => errors.push(e));
    }
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  });

  return {
    async server(options?: StartClaudemanOptions) {
      const server = await startClaudeman(options);
      servers.add(server);
      return server;
    },
    async closeServer(server, options) {
      servers.delete(server);
      await server.close(options);
    },
    async sse(server, options) {
      const stream = await SseClient.open(server, options);
      streams.push(stream);
      return stream;
    },
    tempDir(prefix = 'claudeman-api-') {
      const dir = makeTempDir(prefix);
      cleanups.push(() => dir.remove());
      return dir.path;
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
  };
}
