// Property-based fuzzing of the REST API (spec/claudeman-api.md) against a real server in this process,
// with the fake `claude`. 10,000 requests to every endpoint that takes a body or path parameters:
// random JSON, valid bodies mutated (wrong types, missing fields, nulls, huge numbers, Unicode, nested
// garbage, duplicate and unknown keys, long strings), wrong content types, malformed JSON, bodies over
// the 1 MiB limit, and odd path ids (`..`, `%00`, malformed escapes, very long ids). Every reply must be
// well-formed: no 5xx except the documented ones, errors as `{success: false, error, code}` with a
// known code and its status, successes as JSON. Afterwards the server still answers, and the heap has
// not grown beyond a bound. Work that valid bodies start is cleaned up after every batch.
//
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run test/fuzz/rest-bodies.test.ts

import { Buffer } from 'node:buffer';
import http from 'node:http';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_ERROR_STATUS, ApiErrorCode, isApiErrorCode } from '../../src/protocol/errors.js';
import { BODY_LIMIT_BYTES } from '../../src/server/claudeman-app.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import {
  anyValue,
  Batch,
  collectGarbage,
  type Entry,
  encodeEntries,
  entry,
  hugeNumber,
  longString,
  Raw,
  runBounded,
  SEED,
  SPECIAL_NAMES,
  Tally,
  weirdShort,
} from './fuzz-support.js';

const TOTAL_REQUESTS = 10_000;
/** Requests per property run; the work they started is cleaned up after each run. */
const BATCH = 100;
const CONCURRENCY = 8;
/** Long-lived sessions that path ids point at, so that valid bodies reach the engine. */
const POOL_SIZE = 4;
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * Heap growth allowed after the run (after cleanup and a full GC). What the server legitimately keeps
 * is small: the pool sessions (terminal/text buffers bounded by their limits, a few MiB at most),
 * the cancelled scheduled runs (≤ 100 log lines each) and the cases; measured: 10-15 MiB (with
 * V8's own caches). What must not stay: the
 * hundreds of MiB of bodies and replies that went through, or the sessions, tasks and runs the
 * fuzzer created and deleted — one leaked copy of the over-limit bodies alone would be ~100 MiB.
 */
const HEAP_GROWTH_BOUND_BYTES = 64 * 1024 * 1024;
/** 5xx codes the API documents (src/protocol/errors.ts): a run that failed, a missing CLI, a full server. */
const DOCUMENTED_5XX: ReadonlySet<string> = new Set([
  ApiErrorCode.RUN_FAILED,
  ApiErrorCode.CLAUDE_NOT_FOUND,
  ApiErrorCode.TOO_MANY_CLIENTS,
]);
const ERROR_KEYS = ['code', 'error', 'success'];

// ---------------------------------------------------------------------------------------------------
// Requests

type IdKind = 'session' | 'createdSession' | 'task' | 'scheduled' | 'case';

interface Endpoint {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** With `:id` where the path parameter goes. */
  readonly path: string;
  readonly ids?: IdKind;
  /** A valid body, as entries (mutated later); none for endpoints without a body. */
  readonly body?: fc.Arbitrary<Entry[]>;
}

/** Where a path id comes from: one the server knows, or a literal (percent-encoded or sent raw). */
type PathId =
  | { readonly kind: 'known'; readonly index: number }
  | { readonly kind: 'encoded'; readonly text: string }
  | { readonly kind: 'raw'; readonly text: string };

type Encoding =
  | { readonly kind: 'json'; readonly contentType: string }
  | { readonly kind: 'malformed'; readonly text: string | Buffer }
  | { readonly kind: 'wrong-type'; readonly contentType: string | null; readonly text: string | Buffer }
  | { readonly kind: 'none' }
  | { readonly kind: 'oversized'; readonly bytes: number };

type Auth = 'token' | 'none' | 'wrong' | 'foreign-origin';

interface FuzzRequest {
  readonly endpoint: string;
  readonly method: string;
  readonly pathTemplate: string;
  readonly ids: IdKind | undefined;
  readonly pathId: PathId;
  readonly body: Entry[] | null;
  readonly encoding: Encoding;
  readonly auth: Auth;
}

/** Ids that must never reach the file system unescaped, sent as they are (no percent-encoding). */
const RAW_IDS = [
  '..',
  '.',
  '../',
  '..%2F..',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%00',
  'a%00b',
  '%',
  '%zz',
  '%C0%AE',
  '%ff',
  '%F0%9F%9A%80',
  '%ED%A0%80',
  '~',
  'null',
  'undefined',
  ';',
  'a;b=c',
  '?x=1',
  '#frag',
  'a%2Fb',
  '%20',
  '+',
  '*',
  "'",
  '"',
  '<script>',
  '{}',
  '\\',
  '..\\..\\',
  ...SPECIAL_NAMES,
];

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD on the way). */
function percentEncode(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const pathId: fc.Arbitrary<PathId> = fc.oneof(
  { weight: 10, arbitrary: fc.nat().map((index): PathId => ({ kind: 'known', index })) },
  { weight: 2, arbitrary: fc.uuid().map((text): PathId => ({ kind: 'encoded', text })) },
  { weight: 3, arbitrary: fc.constantFrom(...RAW_IDS).map((text): PathId => ({ kind: 'raw', text })) },
  { weight: 3, arbitrary: weirdShort.map((text): PathId => ({ kind: 'encoded', text })) },
  // Around the schemas' 200-character limit and the router's 256.
  {
    weight: 1,
    arbitrary: fc.integer({ min: 190, max: 270 }).map((n): PathId => ({ kind: 'raw', text: 'i'.repeat(n) })),
  },
  // Far beyond it, up to past Node's 16 KiB header limit.
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1_000, 8_000, 20_000)
      .map((n): PathId => ({ kind: 'raw', text: 'l'.repeat(n) })),
  },
);

const permissionMode = fc.constantFrom('skip', 'default', 'acceptEdits', 'plan', 'bypassPermissions');
const prompt = fc.oneof(
  fc.constantFrom(
    'hello',
    'Say hi',
    '[[crash]]',
    '[[error]]',
    '[[garbage]]',
    '[[tool]]',
    '[[exit:3]]',
    '[[big:5000]]',
  ),
  weirdShort.filter((s) => s.length > 0),
  fc.constantFrom(100_000, 100_001).map((n) => 'p'.repeat(n)),
);
const timeoutMs = fc.oneof(
  fc.integer({ min: 1_000, max: 60_000 }),
  fc.constantFrom(999, 86_400_000, 86_400_001),
);

/**
 * Working directories. Valid bodies reach the fake `claude`, whose respawn cycle runs `/init` (which
 * writes CLAUDE.md into its directory), and this runs as whatever user the CI uses: so no absolute
 * path outside the scratch directory is ever sent, except a few that are not directories. Relative
 * paths resolve under the cases root (the server refuses those that climb out: a few try).
 */
let scratch = '';
const workingDir = fc.oneof(
  fc.constantFrom('fuzz-case', '.', '..', '../..', '../../etc', 'no-such-dir', 'a\u0000b', '', ' '),
  fc.constantFrom('/etc/passwd', '/dev/null', '/nonexistent/x', '/proc/self/status'),
  weirdShort,
);
/** Keeps every `workingDir` string inside the scratch directory (see above), wherever it is in a body. */
function confine(value: unknown): unknown {
  if (value instanceof Raw) return value;
  if (Array.isArray(value)) return value.map(confine);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, k === 'workingDir' ? confinePath(v) : confine(v)]),
  );
}
const OUTSIDE_OK = new Set(['/etc/passwd', '/dev/null', '/nonexistent/x', '/proc/self/status']);
function confinePath(value: unknown): unknown {
  if (typeof value !== 'string') return confine(value);
  if (value.startsWith('/') && !OUTSIDE_OK.has(value)) return `${scratch}/${value.replaceAll('/', '_')}`;
  if (/(^|\/)\.\.(\/|$)/.test(value) && !['..', '../..', '../../etc'].includes(value)) {
    return value.replaceAll('..', '__');
  }
  return value;
}

const respawnPatch = fc.record(
  {
    idleTimeoutMs: fc.oneof(fc.integer({ min: 100, max: 3_600_000 }), fc.constantFrom(99, 3_600_001, 0)),
    updatePrompt: fc.oneof(weirdShort, fc.constant('update the docs')),
    interStepDelayMs: fc.integer({ min: 0, max: 600_000 }),
    enabled: fc.boolean(),
    durationLimitMs: fc.oneof(
      fc.integer({ min: 1_000, max: 10_000_000 }),
      fc.constant(null),
      fc.constant(999),
    ),
  },
  { requiredKeys: [] },
);
const taskId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const taskBody = fc.record(
  {
    id: fc.oneof(taskId, weirdShort),
    prompt,
    workingDir: fc.oneof(workingDir, fc.constant(null)),
    priority: fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.constantFrom(1_000_001, 0.5)),
    dependsOn: fc.array(fc.oneof(taskId, weirdShort), { maxLength: 3 }),
    completionPhrase: fc.oneof(fc.stringMatching(/^[^<>"\r\n]{1,30}$/), weirdShort),
    timeoutMs: fc.oneof(timeoutMs, fc.constant(null)),
  },
  { requiredKeys: ['prompt'] },
);
const entries = <T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<Entry[]> =>
  arb.map((r) => Object.entries(r) as Entry[]);

const SESSION = '/api/sessions/:id';
const ENDPOINTS: Record<string, Endpoint> = {
  'POST /api/sessions': {
    method: 'POST',
    path: '/api/sessions',
    body: entries(fc.record({ workingDir, permissionMode }, { requiredKeys: [] })),
  },
  'GET /api/sessions/:id': { method: 'GET', path: SESSION, ids: 'session' },
  'DELETE /api/sessions/:id': { method: 'DELETE', path: SESSION, ids: 'createdSession' },
  'GET /api/sessions/:id/output': { method: 'GET', path: `${SESSION}/output`, ids: 'session' },
  'GET /api/sessions/:id/terminal': { method: 'GET', path: `${SESSION}/terminal`, ids: 'session' },
  'POST /api/sessions/:id/run': {
    method: 'POST',
    path: `${SESSION}/run`,
    ids: 'session',
    body: entries(fc.record({ prompt, permissionMode, timeoutMs }, { requiredKeys: ['prompt'] })),
  },
  'POST /api/sessions/:id/interactive': {
    method: 'POST',
    path: `${SESSION}/interactive`,
    ids: 'session',
    body: entries(
      fc.record(
        {
          cols: fc.integer({ min: 0, max: 501 }),
          rows: fc.integer({ min: 0, max: 201 }),
          permissionMode,
          resume: fc.boolean(),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  'POST /api/sessions/:id/input': {
    method: 'POST',
    path: `${SESSION}/input`,
    ids: 'session',
    body: entries(
      fc.record({
        input: fc.oneof(
          fc.constantFrom('hello\r', '\r', '\u0003', '\u001b', '/clear\r', '\u001b[200~x\u001b[201~'),
          weirdShort,
          fc.constantFrom(65_536, 65_537).map((n) => 'i'.repeat(n)),
        ),
      }),
    ),
  },
  'POST /api/sessions/:id/resize': {
    method: 'POST',
    path: `${SESSION}/resize`,
    ids: 'session',
    body: entries(
      fc.record({ cols: fc.integer({ min: -1, max: 501 }), rows: fc.integer({ min: -1, max: 201 }) }),
    ),
  },
  'POST /api/sessions/:id/interactive-respawn': {
    method: 'POST',
    path: `${SESSION}/interactive-respawn`,
    ids: 'session',
    body: entries(
      fc.record(
        {
          respawnConfig: respawnPatch,
          cols: fc.integer({ min: 1, max: 500 }),
          rows: fc.integer({ min: 1, max: 200 }),
          permissionMode,
        },
        { requiredKeys: [] },
      ),
    ),
  },
  'GET /api/sessions/:id/respawn': { method: 'GET', path: `${SESSION}/respawn`, ids: 'session' },
  'POST /api/sessions/:id/respawn/start': {
    method: 'POST',
    path: `${SESSION}/respawn/start`,
    ids: 'session',
    body: fc
      .tuple(fc.option(respawnPatch, { nil: undefined }), respawnPatch)
      .map(([config, top]) => [
        ...(config === undefined ? [] : [entry('config', config)]),
        ...Object.entries(top),
      ]),
  },
  'POST /api/sessions/:id/respawn/stop': { method: 'POST', path: `${SESSION}/respawn/stop`, ids: 'session' },
  'PUT /api/sessions/:id/respawn/config': {
    method: 'PUT',
    path: `${SESSION}/respawn/config`,
    ids: 'session',
    body: entries(respawnPatch),
  },
  'POST /api/scheduled': {
    method: 'POST',
    path: '/api/scheduled',
    body: entries(
      fc.record(
        {
          prompt,
          workingDir,
          durationMinutes: fc.oneof(
            fc.double({ min: 0.01, max: 10_080, noNaN: true }),
            fc.constantFrom(0, 10_081),
          ),
          maxCostUsd: fc.oneof(fc.double({ min: 0.01, max: 1000, noNaN: true }), fc.constantFrom(null, 0)),
        },
        { requiredKeys: ['prompt', 'durationMinutes'] },
      ),
    ),
  },
  'GET /api/scheduled/:id': { method: 'GET', path: '/api/scheduled/:id', ids: 'scheduled' },
  'DELETE /api/scheduled/:id': { method: 'DELETE', path: '/api/scheduled/:id', ids: 'scheduled' },
  'POST /api/cases': {
    method: 'POST',
    path: '/api/cases',
    body: entries(
      fc.record(
        {
          name: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), weirdShort, fc.constant('x'.repeat(65))),
          description: fc.oneof(
            weirdShort,
            fc.constantFrom(2_000, 2_001).map((n) => 'd'.repeat(n)),
          ),
        },
        { requiredKeys: ['name'] },
      ),
    ),
  },
  'GET /api/cases/:name': { method: 'GET', path: '/api/cases/:id', ids: 'case' },
  'POST /api/run': {
    method: 'POST',
    path: '/api/run',
    body: entries(fc.record({ prompt, workingDir, permissionMode, timeoutMs }, { requiredKeys: ['prompt'] })),
  },
  'POST /api/tasks': { method: 'POST', path: '/api/tasks', body: entries(taskBody) },
  'POST /api/tasks/batch': {
    method: 'POST',
    path: '/api/tasks/batch',
    body: fc.array(entries(taskBody), { minLength: 1, maxLength: 4 }).map((tasks) => [
      entry(
        'tasks',
        tasks.map((t) => Object.fromEntries(t)),
      ),
    ]),
  },
  'GET /api/tasks/:id': { method: 'GET', path: '/api/tasks/:id', ids: 'task' },
  'DELETE /api/tasks/:id': { method: 'DELETE', path: '/api/tasks/:id', ids: 'task' },
  'POST /api/ralph/start': {
    method: 'POST',
    path: '/api/ralph/start',
    body: entries(
      fc.record(
        {
          minDurationMinutes: fc.oneof(fc.double({ min: 0.01, max: 10_080, noNaN: true }), fc.constant(null)),
          sessionIds: fc.array(fc.oneof(fc.uuid(), weirdShort), { maxLength: 3 }),
          maxCostUsd: fc.oneof(fc.double({ min: 0.01, max: 100_000, noNaN: true }), fc.constant(null)),
          maxWorkers: fc.integer({ min: 0, max: 11 }),
        },
        { requiredKeys: [] },
      ),
    ),
  },
  'POST /api/ralph/stop': { method: 'POST', path: '/api/ralph/stop' },
  'POST /api/hooks/:sessionId': {
    method: 'POST',
    path: '/api/hooks/:id',
    ids: 'session',
    body: entries(
      fc.record(
        {
          hook_event_name: fc.constantFrom('Stop', 'Notification', 'SessionStart', 'x'),
          session_id: weirdShort,
        },
        { requiredKeys: [] },
      ),
    ),
  },
};

const FIELDS = [
  'workingDir',
  'permissionMode',
  'prompt',
  'timeoutMs',
  'cols',
  'rows',
  'resume',
  'input',
  'respawnConfig',
  'config',
  'idleTimeoutMs',
  'updatePrompt',
  'interStepDelayMs',
  'enabled',
  'durationLimitMs',
  'durationMinutes',
  'maxCostUsd',
  'name',
  'description',
  'id',
  'priority',
  'dependsOn',
  'completionPhrase',
  'tasks',
  'minDurationMinutes',
  'sessionIds',
  'maxWorkers',
];
const key = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...FIELDS) },
  { weight: 1, arbitrary: fc.constantFrom(...SPECIAL_NAMES, 'PROMPT', 'Prompt', 'workingdir') },
  { weight: 1, arbitrary: weirdShort },
);
const longValue = fc.oneof(
  fc.constantFrom(4_096, 4_097, 65_536, 65_537, 100_000, 100_001, 200_000).map((n) => 'L'.repeat(n)),
  longString(256 * 1024),
);

type Mutation = (e: Entry[]) => Entry[];
const at = (e: readonly Entry[], i: number): number => i % Math.max(e.length, 1);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(key, anyValue).map(
    ([k, v]): Mutation =>
      (e) =>
        e.some(([x]) => x === k) ? e.map(([x, y]) => entry(x, x === k ? v : y)) : [...e, entry(k, v)],
  ),
  fc.nat().map(
    (i): Mutation =>
      (e) =>
        e.filter((_, j) => j !== at(e, i)),
  ),
  fc.nat().map(
    (i): Mutation =>
      (e) =>
        e.map(([k, v], j) => entry(k, j === at(e, i) ? null : v)),
  ),
  fc.tuple(fc.nat(), anyValue, fc.boolean()).map(
    ([i, v, first]): Mutation =>
      (e) => {
        const original = e[at(e, i)];
        if (original === undefined) return e;
        return first ? [entry(original[0], v), ...e] : [...e, entry(original[0], v)];
      },
  ),
  fc.tuple(fc.nat(), key).map(
    ([i, k]): Mutation =>
      (e) =>
        e.map(([x, v], j) => entry(j === at(e, i) ? k : x, v)),
  ),
  fc.tuple(fc.constantFrom(...FIELDS), hugeNumber).map(
    ([k, v]): Mutation =>
      (e) => [...e, entry(k, v)],
  ),
  fc
    .tuple(
      fc.constantFrom('prompt', 'input', 'name', 'description', 'updatePrompt', 'workingDir', 'x'),
      longValue,
    )
    .map(
      ([k, v]): Mutation =>
        (e) => [...e.filter(([x]) => x !== k), entry(k, v)],
    ),
);

const JSON_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/json; charset=latin1',
  'application/json;charset=UTF-16',
  'application/json ; x=y',
  'application/vnd.api+json',
  'text/json',
  'application/json, text/plain',
];
const WRONG_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/octet-stream',
  'application/xml',
  '',
  null,
];
const malformedJson = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '{',
    '}',
    '{"prompt":',
    '{"prompt":"x",}',
    "{'prompt':'x'}",
    '{"prompt":NaN}',
    '{"prompt":Infinity}',
    '{"a":1}{"b":2}',
    '/* c */ {}',
    '\ufeff{"prompt":"x"}',
    'null',
    '[]',
    '"str"',
    '1',
    'true',
    '{"prompt":"\\ud800"}',
    '{"prompt":"\\x41"}',
  ),
  fc.uint8Array({ minLength: 1, maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 100 }),
);
const encoding: fc.Arbitrary<Encoding> = fc.oneof(
  { weight: 60, arbitrary: fc.constant<Encoding>({ kind: 'json', contentType: 'application/json' }) },
  {
    weight: 6,
    arbitrary: fc.constantFrom(...JSON_TYPES).map((contentType): Encoding => ({ kind: 'json', contentType })),
  },
  { weight: 10, arbitrary: malformedJson.map((text): Encoding => ({ kind: 'malformed', text })) },
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        fc.constantFrom(...WRONG_TYPES),
        fc.oneof(fc.constant('a=1&b=2'), malformedJson, fc.constant('{}')),
      )
      .map(([contentType, text]): Encoding => ({ kind: 'wrong-type', contentType, text })),
  },
  { weight: 5, arbitrary: fc.constant<Encoding>({ kind: 'none' }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(BODY_LIMIT_BYTES + 1, BODY_LIMIT_BYTES + 4096, 2 * BODY_LIMIT_BYTES)
      .map((bytes): Encoding => ({ kind: 'oversized', bytes })),
  },
);
const auth = fc.oneof(
  { weight: 97, arbitrary: fc.constant<Auth>('token') },
  { weight: 1, arbitrary: fc.constantFrom<Auth>('none', 'wrong', 'foreign-origin') },
);
const otherMethod = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');

const request: fc.Arbitrary<FuzzRequest> = fc.constantFrom(...Object.keys(ENDPOINTS)).chain((name) => {
  const endpoint = ENDPOINTS[name] as Endpoint;
  const body: fc.Arbitrary<Entry[] | null> =
    endpoint.body === undefined
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constant<Entry[] | null>(null) },
          { weight: 1, arbitrary: fc.constant<Entry[] | null>([]) },
        )
      : fc
          .tuple(
            endpoint.body,
            fc.oneof(
              fc.constant([]),
              fc.array(mutation, { minLength: 1, maxLength: 3 }),
              fc.array(mutation, { minLength: 1, maxLength: 3 }),
            ),
          )
          .map(([valid, mutations]) => mutations.reduce((e, m) => m(e), valid));
  return fc.record({
    endpoint: fc.constant(name),
    method: fc.oneof(
      { weight: 19, arbitrary: fc.constant(endpoint.method) },
      { weight: 1, arbitrary: otherMethod },
    ),
    pathTemplate: fc.constant(endpoint.path),
    ids: fc.constant(endpoint.ids),
    pathId,
    body,
    encoding,
    auth,
  });
});

// ---------------------------------------------------------------------------------------------------
// Sending

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

interface Wire {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer | null;
}

function preview(data: Buffer | string | null): string {
  if (data === null) return '(no body)';
  const text = typeof data === 'string' ? data : data.toString('utf8');
  return text.length > 200
    ? `${JSON.stringify(text.slice(0, 200))}… (${Buffer.byteLength(text)} bytes)`
    : JSON.stringify(text);
}

class Known {
  readonly pool: string[] = [];
  createdSessions: string[] = [];
  tasks: string[] = [];
  scheduled: string[] = [];
  readonly cases: string[] = ['fuzz-case'];

  of(kind: IdKind): readonly string[] {
    switch (kind) {
      case 'session':
        return this.pool;
      case 'createdSession':
        return this.createdSessions;
      case 'task':
        return this.tasks;
      case 'scheduled':
        return this.scheduled;
      case 'case':
        return this.cases;
    }
  }
}

function toWire(r: FuzzRequest, known: Known, token: string): Wire {
  let id: string;
  const choices = r.ids === undefined ? [] : known.of(r.ids);
  if (r.pathId.kind === 'known')
    id = choices.length > 0 ? (choices[r.pathId.index % choices.length] as string) : 'none';
  else if (r.pathId.kind === 'encoded') id = percentEncode(r.pathId.text);
  else id = r.pathId.text;
  const path = r.pathTemplate.replace(':id', id);
  const headers: Record<string, string> = {};
  if (r.auth === 'token' || r.auth === 'foreign-origin') headers.authorization = `Bearer ${token}`;
  if (r.auth === 'wrong') headers.authorization = 'Bearer wrong-token-0123456789';
  if (r.auth === 'foreign-origin') headers.origin = 'http://evil.example';
  let body: Buffer | null = null;
  const e = r.encoding;
  if (e.kind === 'json') {
    if (r.body !== null) {
      body = Buffer.from(
        encodeEntries(r.body.map(([k, v]) => entry(k, k === 'workingDir' ? confinePath(v) : confine(v)))),
      );
      headers['content-type'] = e.contentType;
    }
  } else if (e.kind === 'malformed') {
    body = Buffer.from(e.text);
    headers['content-type'] = 'application/json';
  } else if (e.kind === 'wrong-type') {
    body = Buffer.from(e.text);
    if (e.contentType !== null) headers['content-type'] = e.contentType;
  } else if (e.kind === 'oversized') {
    // A GET body is never read; a large one unread while a large reply goes out ends in a TCP reset
    // that can cut the reply short (Node closes without lingering), so GETs get one under the limit.
    const bytes = r.method === 'GET' ? 100_000 : e.bytes;
    const head = '{"prompt":"';
    body = Buffer.alloc(bytes, 0x78);
    body.write(head, 0);
    body.write('"}', bytes - 2);
    headers['content-type'] = 'application/json';
  }
  if (body !== null) headers['content-length'] = String(body.length);
  return { method: r.method, path, headers, body };
}

function describeWire(w: Wire): string {
  const path = w.path.length > 200 ? `${w.path.slice(0, 200)}… (${w.path.length} chars)` : w.path;
  return `${w.method} ${path} [${w.headers['content-type'] ?? 'no content-type'}${w.headers.authorization ? '' : ', no token'}${w.headers.origin ? ', foreign origin' : ''}] ${preview(w.body)}`;
}

function send(port: number, agent: http.Agent | false, w: Wire): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: w.method, path: w.path, headers: w.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type'] ?? ''),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(new Error(`no reply within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end(w.body ?? undefined);
  });
}

// ---------------------------------------------------------------------------------------------------
// Checking

/** What is wrong with a reply (empty when it is well-formed). */
function replyProblems(reply: Reply, method: string): string[] {
  const p: string[] = [];
  if (!/^application\/json/.test(reply.contentType))
    p.push(`content-type ${JSON.stringify(reply.contentType)}`);
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return [...p, `body is not JSON: ${preview(reply.body)}`];
  }
  if (reply.status >= 400) {
    const b = body as Record<string, unknown>;
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return [...p, 'error body is not an object'];
    if (JSON.stringify(Object.keys(b).sort()) !== JSON.stringify(ERROR_KEYS))
      p.push(`error body keys ${Object.keys(b)}`);
    if (b.success !== false) p.push('success is not false');
    if (typeof b.error !== 'string' || b.error === '') p.push('error is not a message');
    const code = b.code;
    if (typeof code !== 'string' || !isApiErrorCode(code)) p.push(`unknown code ${JSON.stringify(code)}`);
    else if (
      code === ApiErrorCode.BAD_REQUEST ? reply.status >= 500 : API_ERROR_STATUS[code] !== reply.status
    ) {
      p.push(`status ${reply.status} for code ${code}`);
    }
    if (reply.status >= 500 && !(typeof code === 'string' && DOCUMENTED_5XX.has(code))) {
      p.push(`undocumented ${reply.status}`);
    }
  } else if (reply.status >= 200 && reply.status < 300) {
    if (typeof body !== 'object' || body === null) p.push('success body is not an object or array');
    else if (method !== 'GET' && !Array.isArray(body) && (body as Record<string, unknown>).success !== true) {
      p.push('success body without success: true');
    }
  } else {
    p.push(`status ${reply.status}`);
  }
  return p;
}

function parseObject(reply: Reply): Record<string, unknown> {
  const value: unknown = JSON.parse(reply.body);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

describe('fuzzing the REST API with 10,000 requests', () => {
  let server: ClaudemanTestServer;
  let previousCwd = '';
  let removeScratch: () => void = () => {};
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const known = new Known();
  const perEndpoint = new Tally();
  const outcomes = new Tally();
  const cleanupOutcomes = new Tally();
  let heapBefore = 0;

  /** A request made by the test itself (setup, cleanup), checked like the fuzzed ones. */
  async function call(method: string, path: string, body?: unknown): Promise<Reply> {
    const data = body === undefined ? null : Buffer.from(JSON.stringify(body));
    const w: Wire = {
      method,
      path,
      headers: {
        authorization: `Bearer ${server.token}`,
        ...(data === null
          ? {}
          : { 'content-type': 'application/json', 'content-length': String(data.length) }),
      },
      body: data,
    };
    const reply = await send(server.port, agent, w);
    const problems = replyProblems(reply, method);
    if (problems.length > 0)
      throw new Error(`${describeWire(w)}\n  → ${reply.status}: ${problems.join('; ')}`);
    cleanupOutcomes.add(
      `${reply.status} ${reply.status >= 400 ? String(parseObject(reply).code) : ''}`.trim(),
    );
    return reply;
  }

  async function ensurePool(): Promise<void> {
    const listed = JSON.parse((await call('GET', '/api/sessions')).body) as Array<{ id: string }>;
    const alive = new Set(listed.map((s) => s.id));
    for (let i = known.pool.length - 1; i >= 0; i--)
      if (!alive.has(known.pool[i] as string)) known.pool.splice(i, 1);
    while (known.pool.length < POOL_SIZE) {
      const created = parseObject(
        await call('POST', '/api/sessions', { workingDir: join(scratch, 'cases') }),
      );
      known.pool.push(String((created.session as Record<string, unknown>).id));
    }
  }

  /** Stops what valid bodies started: Ralph, scheduled runs, respawn controllers, sessions, tasks. */
  async function cleanUp(): Promise<void> {
    await call('POST', '/api/ralph/stop');
    const runs = JSON.parse((await call('GET', '/api/scheduled')).body) as Array<{
      id: string;
      status: string;
    }>;
    for (const run of runs) if (run.status === 'running') await call('DELETE', `/api/scheduled/${run.id}`);
    const sessions = JSON.parse((await call('GET', '/api/sessions')).body) as Array<{ id: string }>;
    await runBounded(sessions, CONCURRENCY, async ({ id }) => {
      if (known.pool.includes(id)) await call('POST', `/api/sessions/${id}/respawn/stop`);
      else await call('DELETE', `/api/sessions/${id}`);
    });
    for (let round = 0; round < 3; round++) {
      const tasks = JSON.parse((await call('GET', '/api/tasks')).body) as Array<{ id: string }>;
      if (tasks.length === 0) break;
      // Dependents first (reverse creation order), so most deletions succeed in one round.
      for (const task of tasks.reverse()) await call('DELETE', `/api/tasks/${encodeURIComponent(task.id)}`);
    }
    known.createdSessions = [];
    known.tasks = [];
    known.scheduled = [];
    await ensurePool();
  }

  beforeAll(async () => {
    const dir = makeTempDir('claudeman-fuzz-');
    scratch = dir.path;
    removeScratch = dir.remove;
    // A session created without workingDir runs in the server's working directory: make that scratch.
    previousCwd = process.cwd();
    process.chdir(scratch);
    server = await startClaudeman({
      casesDir: join(scratch, 'cases'),
      terminalHost: 'pty',
      oneShotTimeoutMs: 20_000,
      env: {
        ...process.env,
        FAKE_CLAUDE_WORK_MS: '50',
        FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
        FAKE_CLAUDE_STDIN_TIMEOUT_MS: '200',
      },
    });
    await call('POST', '/api/cases', { name: 'fuzz-case' });
    await ensurePool();
    await collectGarbage();
    heapBefore = process.memoryUsage().heapUsed;
  });

  afterAll(async () => {
    try {
      if (server !== undefined) {
        await cleanUp().catch(() => undefined);
        await server.close();
      }
    } finally {
      agent.destroy();
      if (previousCwd !== '') process.chdir(previousCwd);
      removeScratch();
    }
  }, 60_000);

  it('answers every request with a well-formed reply and no undocumented 5xx', async () => {
    let runs = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(request, { minLength: BATCH, maxLength: BATCH }).map((r) => new Batch(r)),
          async ({ items }) => {
            runs++;
            const failures: string[] = [];
            await runBounded(items, CONCURRENCY, async (r) => {
              const w = toWire(r, known, server.token);
              perEndpoint.add(r.endpoint);
              // Bodies over the limit may be answered before they are read: a connection of their own.
              const reply = await send(server.port, r.encoding.kind === 'oversized' ? false : agent, w).catch(
                (error: Error) => error,
              );
              if (reply instanceof Error) {
                failures.push(`${describeWire(w)}\n  → ${reply.message}`);
                return;
              }
              outcomes.add(
                `${reply.status} ${reply.status >= 400 ? String(parseObject(reply).code) : ''}`.trim(),
              );
              const problems = replyProblems(reply, w.method);
              // (GET bodies are never read, whatever their size.)
              if (r.encoding.kind === 'oversized' && w.method !== 'GET' && reply.status < 400) {
                problems.push('over-limit body accepted');
              }
              if (problems.length > 0) {
                failures.push(
                  `${describeWire(w)}\n  → ${reply.status} ${preview(reply.body)}: ${problems.join('; ')}`,
                );
                return;
              }
              // Remember what was created, so that later path ids find it.
              if (reply.status === 201 || (reply.status === 200 && w.method === 'POST')) {
                const b = parseObject(reply);
                const session = b.session as Record<string, unknown> | undefined;
                if (r.endpoint === 'POST /api/sessions' && typeof session?.id === 'string') {
                  known.createdSessions.push(session.id);
                }
                const task = b.task as Record<string, unknown> | undefined;
                if (typeof task?.id === 'string') known.tasks.push(task.id);
                if (Array.isArray(b.tasks)) {
                  for (const t of b.tasks as Array<Record<string, unknown>>) {
                    if (typeof t.id === 'string') known.tasks.push(t.id);
                  }
                }
                const run = b.run as Record<string, unknown> | undefined;
                if (typeof run?.id === 'string') known.scheduled.push(run.id);
                const created = b.case as Record<string, unknown> | undefined;
                if (typeof created?.name === 'string') known.cases.push(created.name);
              }
            });
            await cleanUp();
            if (failures.length > 0) throw new Error(failures.slice(0, 5).join('\n'));
          },
        ),
        { numRuns: TOTAL_REQUESTS / BATCH, seed: SEED, endOnFailure: true, includeErrorInReport: true },
      );
    } catch (error) {
      throw new Error(`FUZZ_SEED=${SEED} reproduces this (run ${runs}):\n${(error as Error).message}`);
    }
    console.info(`rest fuzz: ${perEndpoint.total} requests ${perEndpoint}`);
    console.info(`rest fuzz: outcomes ${outcomes}; cleanup ${cleanupOutcomes}`);
    expect(perEndpoint.total).toBe(TOTAL_REQUESTS);
  }, 180_000);

  it('answers a request line over the 16 KiB header limit with the API error body (fuzzing found)', async () => {
    // Fastify's default answer was `{error, message, statusCode}` without `Connection: close`, so a
    // keep-alive client sent its next request on the dead socket ("socket hang up").
    const single = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const headers = { authorization: `Bearer ${server.token}` };
      const long = await send(server.port, single, {
        method: 'GET',
        path: `/api/sessions/${'l'.repeat(20_000)}`,
        headers,
        body: null,
      });
      expect(long.status).toBe(431);
      expect(replyProblems(long, 'GET')).toEqual([]);
      expect(parseObject(long).code).toBe(ApiErrorCode.BAD_REQUEST);
      const next = await send(server.port, single, {
        method: 'GET',
        path: '/api/status',
        headers,
        body: null,
      });
      expect(next.status).toBe(200);
    } finally {
      single.destroy();
    }
  });

  it('still answers GET /api/status, and the heap has not grown beyond the bound', async () => {
    await cleanUp();
    const status = parseObject(await call('GET', '/api/status'));
    expect(Object.keys(status).sort()).toEqual([
      'casesRoot',
      'costs',
      'respawnStatus',
      'scheduledRuns',
      'sessions',
      'timestamp',
    ]);
    expect((status.sessions as unknown[]).length).toBe(POOL_SIZE);
    await collectGarbage();
    const growth = process.memoryUsage().heapUsed - heapBefore;
    console.info(`rest fuzz: heap growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
    expect(growth).toBeLessThan(HEAP_GROWTH_BOUND_BYTES);
  }, 60_000);
});
