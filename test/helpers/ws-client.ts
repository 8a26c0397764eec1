// A small WebSocket test client plus protocol helpers for the overseer conformance suite.
//
// The client records every received frame (parsed as JSON) in arrival order. `next`/`waitFor` return
// the first not-yet-consumed message matching a predicate and mark it consumed; `expectNoMessage` is
// the only helper that waits for a fixed (short, bounded) time, for negative routing checks.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import type { RawData } from 'ws';
import WebSocket from 'ws';

export type Message = Record<string, unknown>;
export type Predicate = (m: Message) => boolean;

export interface ReceivedFrame {
  /** The parsed JSON object, or `{ __unparsable: text }` when the frame was not a JSON object. */
  msg: Message;
  /** The frame payload as text. */
  raw: string;
  /** True when the server sent a binary frame. */
  binary: boolean;
  consumed: boolean;
}

export interface ConnectOptions {
  headers?: Record<string, string>;
  localAddress?: string;
  /** Cap for the opening handshake (default 5000 ms). */
  timeoutMs?: number;
}

export interface CloseInfo {
  code: number;
  reason: string;
}

interface Waiter {
  predicate: Predicate;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

interface Watcher {
  predicate: Predicate;
  onMatch: (m: Message) => void;
}

export const DEFAULT_TIMEOUT_MS = 5000;

function rawToText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function parseFrame(text: string): Message {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Message;
  } catch {
    // fall through
  }
  return { __unparsable: text };
}

function describe(m: Message): string {
  const s = JSON.stringify(m);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

export class WsClient {
  readonly frames: ReceivedFrame[] = [];
  closeInfo: CloseInfo | undefined;
  private readonly waiters: Waiter[] = [];
  private readonly watchers = new Set<Watcher>();
  private readonly closeListeners: Array<(c: CloseInfo) => void> = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const raw = rawToText(data);
      const frame: ReceivedFrame = { msg: parseFrame(raw), raw, binary: isBinary, consumed: false };
      this.frames.push(frame);
      for (const w of this.watchers) {
        if (w.predicate(frame.msg)) w.onMatch(frame.msg);
      }
      const idx = this.waiters.findIndex((w) => w.predicate(frame.msg));
      if (idx >= 0) {
        const [w] = this.waiters.splice(idx, 1);
        frame.consumed = true;
        w?.resolve(frame.msg);
      }
    });
    ws.on('close', (code: number, reason: Buffer) => {
      const info = { code, reason: reason.toString('utf8') };
      this.closeInfo = info;
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`connection closed (code ${code}, reason "${info.reason}") while waiting`));
      }
      for (const l of this.closeListeners.splice(0)) l(info);
    });
    ws.on('error', () => {
      // Errors are followed by 'close'; the close info is what tests inspect.
    });
  }

  /** Opens a connection; rejects when the upgrade is refused or the handshake does not finish in time. */
  static connect(url: string, opts: ConnectOptions = {}): Promise<WsClient> {
    return new Promise<WsClient>((resolve, reject) => {
      const wsOpts: WebSocket.ClientOptions = { perMessageDeflate: false };
      if (opts.headers) wsOpts.headers = opts.headers;
      if (opts.localAddress) wsOpts.localAddress = opts.localAddress;
      const ws = new WebSocket(url, wsOpts);
      const client = new WsClient(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(
          new Error(`handshake with ${url} did not finish within ${opts.timeoutMs ?? DEFAULT_TIMEOUT_MS} ms`),
        );
      }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(client);
      });
      ws.once('unexpected-response', (req, res) => {
        clearTimeout(timer);
        res.resume();
        req.destroy();
        reject(new Error(`upgrade refused with HTTP ${res.statusCode ?? '?'}`));
      });
      ws.once('error', (e: Error) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Every received message, in order (consumed or not). */
  get messages(): Message[] {
    return this.frames.map((f) => f.msg);
  }

  /** Received messages matching a predicate, in order (consumed or not). */
  received(predicate: Predicate = () => true): Message[] {
    return this.frames.filter((f) => predicate(f.msg)).map((f) => f.msg);
  }

  /** Marks every message received so far as consumed (e.g. before a negative check of later traffic). */
  consumeAll(): void {
    for (const f of this.frames) f.consumed = true;
  }

  send(obj: unknown): void {
    this.ws.send(JSON.stringify(obj));
  }

  sendRaw(data: string | Buffer, opts: { binary?: boolean } = {}): void {
    this.ws.send(data, { binary: opts.binary ?? false });
  }

  /** The first not-yet-consumed message matching `predicate` (default: any), waiting up to `timeoutMs`. */
  next(predicate: Predicate = () => true, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<Message> {
    const found = this.frames.find((f) => !f.consumed && predicate(f.msg));
    if (found) {
      found.consumed = true;
      return Promise.resolve(found.msg);
    }
    if (this.closeInfo) {
      return Promise.reject(
        new Error(`connection already closed (code ${this.closeInfo.code}); no matching message`),
      );
    }
    return new Promise<Message>((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        const recent = this.frames
          .filter((f) => !f.consumed)
          .slice(-8)
          .map((f) => `  ${describe(f.msg)}`)
          .join('\n');
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms (${this.frames.length} received); ` +
              `last unconsumed:\n${recent || '  (none)'}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  waitFor(predicate: Predicate, timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<Message> {
    return this.next(predicate, timeoutMs);
  }

  /**
   * Fails when a not-yet-consumed message matching `predicate` has been received or arrives within
   * `withinMs`. Does not consume anything. The only helper with a fixed wait (for negative checks).
   */
  expectNoMessage(predicate: Predicate, withinMs = 400): Promise<void> {
    const already = this.frames.find((f) => !f.consumed && predicate(f.msg));
    if (already) {
      return Promise.reject(new Error(`unexpected message received: ${describe(already.msg)}`));
    }
    return new Promise<void>((resolve, reject) => {
      const watcher: Watcher = {
        predicate,
        onMatch: (m) => {
          clearTimeout(timer);
          this.watchers.delete(watcher);
          reject(new Error(`unexpected message received: ${describe(m)}`));
        },
      };
      const timer = setTimeout(() => {
        this.watchers.delete(watcher);
        resolve();
      }, withinMs);
      this.watchers.add(watcher);
    });
  }

  /** Resolves with the close code/reason once the connection is closed (by either side). */
  waitClose(timeoutMs: number = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    if (this.closeInfo) return Promise.resolve(this.closeInfo);
    return new Promise<CloseInfo>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`connection not closed within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.closeListeners.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  /** Closes the connection (normal closure) and waits for it; terminates the socket if that hangs. */
  async close(): Promise<void> {
    if (this.closeInfo) return;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) {
      this.ws.close(1000);
    }
    try {
      await this.waitClose(2000);
    } catch {
      this.ws.terminate();
      await this.waitClose(2000).catch(() => undefined);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Predicates and typed accessors

/** Matches messages of `type` whose listed fields are strictly equal to the given values. */
let requestSeq = 0;

/** Sends `list` (with `extra` fields, e.g. `since`) under a fresh id; returns the `tasks` reply. */
export async function listTasks(c: WsClient, extra: Record<string, unknown> = {}): Promise<Message> {
  const id = `list-${++requestSeq}`;
  c.send({ type: 'list', id, ...extra });
  return c.next(is('tasks', { id }));
}

/** Sends `start` under a fresh id; returns the `started` reply. */
export async function startTask(c: WsClient, body: Record<string, unknown>): Promise<Message> {
  const id = `start-${++requestSeq}`;
  c.send({ type: 'start', id, ...body });
  return c.next(is('started', { id }), 10_000);
}

export function is(type: string, fields: Record<string, unknown> = {}): Predicate {
  return (m) => m.type === type && Object.entries(fields).every(([k, v]) => m[k] === v);
}

export function num(m: Message, key: string): number {
  const v = m[key];
  if (typeof v !== 'number') throw new Error(`field "${key}" is not a number in ${describe(m)}`);
  return v;
}

export function str(m: Message, key: string): string {
  const v = m[key];
  if (typeof v !== 'string') throw new Error(`field "${key}" is not a string in ${describe(m)}`);
  return v;
}

export function obj(m: Message, key: string): Message {
  const v = m[key];
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new Error(`field "${key}" is not an object in ${describe(m)}`);
  }
  return v as Message;
}

/** The `tasks` array of a `tasks` reply, each entry checked to be an object. */
export function tasksOf(m: Message): Message[] {
  const v = m.tasks;
  if (!Array.isArray(v)) throw new Error(`"tasks" is not an array in ${describe(m)}`);
  return v.map((t: unknown) => {
    if (typeof t !== 'object' || t === null || Array.isArray(t))
      throw new Error('task entry is not an object');
    return t as Message;
  });
}

/** The single TaskInfo with `taskId` in a `tasks` reply. */
export function taskIn(m: Message, taskId: string): Message {
  const found = tasksOf(m).filter((t) => t.task_id === taskId);
  if (found.length !== 1) throw new Error(`expected exactly one task "${taskId}", got ${found.length}`);
  const [t] = found;
  if (!t) throw new Error('unreachable');
  return t;
}

// ---------------------------------------------------------------------------------------------------
// Assertions

/** Lower-case UUID version 4 (RFC 4122 variant). */
export const UUID_V4_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** RFC 3339 in UTC, up to nanoseconds, trailing zeros of the fraction trimmed (Go's RFC3339Nano). */
export const TS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{0,8}[1-9])?Z$/;

/** Nanoseconds since the epoch of an RFC 3339 UTC timestamp as produced by the server. */
export function tsToNs(ts: string): bigint {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(ts);
  if (!m || m[1] === undefined) throw new Error(`not an RFC 3339 UTC timestamp: ${ts}`);
  const secs = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(secs)) throw new Error(`not a timestamp: ${ts}`);
  const frac = (m[2] ?? '').padEnd(9, '0');
  return BigInt(secs) * 1_000_000n + BigInt(frac);
}

/** Asserts the value is a server timestamp in canonical form and within `toleranceMs` of now. */
export function expectTs(value: unknown, toleranceMs = 120_000): string {
  expect(typeof value, `timestamp ${String(value)}`).toBe('string');
  const s = String(value);
  expect(s, 'timestamp format (RFC 3339 UTC, trailing zeros trimmed)').toMatch(TS_RE);
  const ms = Number(tsToNs(s) / 1_000_000n);
  expect(Math.abs(ms - Date.now()), `timestamp ${s} is close to now`).toBeLessThan(toleranceMs);
  return s;
}

/**
 * Asserts the exact key set and order of `m`. `pattern` lists keys in the expected order; a key with a
 * trailing `?` may be absent. `extensions` are extra keys the spec allows (e.g. `seq`), ignored.
 */
export function expectKeys(m: Message, pattern: string[], extensions: string[] = []): void {
  const actual = Object.keys(m).filter((k) => !extensions.includes(k));
  const required = pattern.filter((p) => !p.endsWith('?'));
  const all = pattern.map((p) => (p.endsWith('?') ? p.slice(0, -1) : p));
  const ok =
    required.every((k) => actual.includes(k)) &&
    actual.every((k) => all.includes(k)) &&
    actual.every((k, i) => i === 0 || all.indexOf(actual[i - 1] ?? '') < all.indexOf(k));
  if (!ok) {
    expect(actual, `keys of ${describe(m)} (pattern ${pattern.join(', ')})`).toEqual(
      all.filter((k) => actual.includes(k) || required.includes(k)),
    );
  }
  expect(ok, `keys of ${describe(m)} match pattern ${pattern.join(', ')}`).toBe(true);
}

/**
 * Asserts a TaskInfo `retry_policy`: keys in the order restart_delay, error_window, error_threshold, no
 * other key, non-zero values exactly as expected. A zero value ("0s" / 0) may be written or left out
 * (the spec does not say whether the policy object omits zero fields).
 */
export function expectRetryPolicy(actual: unknown, expected: Record<string, string | number>): void {
  expect(typeof actual === 'object' && actual !== null && !Array.isArray(actual), 'retry_policy object').toBe(
    true,
  );
  const rp = actual as Message;
  const order = ['restart_delay', 'error_window', 'error_threshold'];
  const keys = Object.keys(rp);
  expect(
    keys.every((k) => order.includes(k)),
    `retry_policy keys ${keys.join(', ')}`,
  ).toBe(true);
  expect(keys, 'retry_policy key order').toEqual(order.filter((k) => keys.includes(k)));
  for (const k of order) {
    const want = expected[k];
    const isZero = want === undefined || want === '0s' || want === 0;
    if (isZero && !(k in rp)) continue;
    expect(rp[k], `retry_policy.${k}`).toEqual(want ?? (k === 'error_threshold' ? 0 : '0s'));
  }
}

export const STARTED_KEYS = ['type', 'id?', 'task_id', 'pid', 'restart_of?', 'ts'];
export const OUTPUT_KEYS = ['type', 'task_id', 'pid', 'stream', 'data', 'ts'];
export const EXITED_KEYS = ['type', 'task_id', 'pid', 'exit_code', 'intentional', 'ts'];
export const RESTARTING_KEYS = ['type', 'task_id', 'pid', 'restart_delay', 'attempt', 'ts'];
export const ERRORED_KEYS = ['type', 'task_id', 'pid', 'exit_count', 'ts'];
export const TASK_INFO_KEYS = [
  'task_id',
  'command',
  'args',
  'state',
  'retry_policy?',
  'current_pid?',
  'worker_state?',
  'restart_count',
  'created_at',
  'last_started_at?',
  'last_exited_at?',
  'last_exit_code?',
  'error_message?',
];
/** Extension keys the spec explicitly allows on `output` events (gap detection). */
export const OUTPUT_EXTENSIONS = ['seq'];

// ---------------------------------------------------------------------------------------------------
// Processes, files, polling

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

/** Polls `cond` every `intervalMs` until it holds; fails after `timeoutMs`. */
export async function waitUntil(
  cond: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export interface HttpResult {
  status: number;
  body: string;
  upgraded: boolean;
}

/** A raw HTTP GET (optionally with WebSocket upgrade headers) that reports status and body. */
export function httpGet(
  url: string,
  opts: { upgrade?: boolean; headers?: Record<string, string>; localAddress?: string } = {},
): Promise<HttpResult> {
  const u = new URL(url.replace(/^ws/, 'http'));
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.upgrade) {
    headers.Connection = 'Upgrade';
    headers.Upgrade = 'websocket';
    headers['Sec-WebSocket-Version'] = '13';
    headers['Sec-WebSocket-Key'] = randomBytes(16).toString('base64');
  }
  return new Promise<HttpResult>((resolve, reject) => {
    const req = http.get(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        headers,
        agent: false,
        ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            upgraded: false,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '', upgraded: true });
    });
    req.on('error', reject);
    req.setTimeout(DEFAULT_TIMEOUT_MS, () => req.destroy(new Error('HTTP request timed out')));
  });
}

export type UpgradeResult = { opened: true } | { opened: false; status: number; body: string };

/**
 * Attempts a WebSocket connection (closing it again at once when it opens) and reports a refused upgrade
 * (status and body) instead of throwing.
 */
export function tryConnect(url: string, opts: ConnectOptions = {}): Promise<UpgradeResult> {
  return new Promise<UpgradeResult>((resolve, reject) => {
    const wsOpts: WebSocket.ClientOptions = { perMessageDeflate: false };
    if (opts.headers) wsOpts.headers = opts.headers;
    if (opts.localAddress) wsOpts.localAddress = opts.localAddress;
    const ws = new WebSocket(url, wsOpts);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('handshake did not finish in time'));
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      ws.close(1000);
      resolve({ opened: true });
    });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        req.destroy();
        resolve({ opened: false, status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    ws.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// ---------------------------------------------------------------------------------------------------
// Per-test resource tracking

interface Closable {
  url: string;
  close(): Promise<void>;
}

/**
 * Registers an afterEach hook that closes every client, then every server, then runs extra cleanups
 * (temp dirs, stray processes). Call once at module level of a test file.
 */
export function useResources<S extends Closable, O>(start: (opts?: O) => Promise<S>) {
  const clients: WsClient[] = [];
  const servers = new Set<S>();
  const cleanups: Array<() => void | Promise<void>> = [];

  afterEach(async () => {
    const errors: unknown[] = [];
    for (const c of clients.splice(0)) await c.close().catch((e: unknown) => errors.push(e));
    for (const s of [...servers]) {
      servers.delete(s);
      await s.close().catch((e: unknown) => errors.push(e));
    }
    for (const fn of cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  });

  return {
    async server(opts?: O): Promise<S> {
      const s = await start(opts);
      servers.add(s);
      return s;
    },
    /** Gracefully closes a server started through `server()` (e.g. before a restart on the same db). */
    async closeServer(s: S): Promise<void> {
      servers.delete(s);
      await s.close();
    },
    async client(s: Closable | string, opts?: ConnectOptions): Promise<WsClient> {
      const c = await WsClient.connect(typeof s === 'string' ? s : s.url, opts);
      clients.push(c);
      return c;
    },
    /** Tracks a client created elsewhere so that it is closed after the test. */
    track(c: WsClient): WsClient {
      clients.push(c);
      return c;
    },
    tempDir(): string {
      const dir = mkdtempSync(join(tmpdir(), 'overseer-conformance-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      return dir;
    },
    /** Kills `pid` (SIGKILL) after the test if it is still alive. */
    killAfter(pid: number): void {
      cleanups.push(() => killQuietly(pid));
    },
    onCleanup(fn: () => void | Promise<void>): void {
      cleanups.push(fn);
    },
  };
}
