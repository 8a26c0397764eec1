// Property-based fuzzing of what surrounds the body of every HTTP request to a real `claudeman web`:
// query strings (malformed percent-encoding, repeated and empty keys, `token=%`, very long ones),
// headers and cookies (`claudeman_token_<port>=%`, malformed `Authorization`, odd `Host` and
// `Origin`, duplicates, bytes beyond ASCII, unknown methods). 10,000 requests are written byte for
// byte on raw sockets, so nothing is cleaned up by an HTTP client on the way. Every reply must be
// well-formed: no 500, and every refusal the API's error body `{success: false, error, code}` with a
// known code (or, for a browser navigation without the token, the token page). The server answers
// a fresh request afterwards.
//
// Reproduce a failure with the seed it prints: FUZZ_SEED=<seed> npx vitest run test/fuzz/http-requests.test.ts

import { Buffer } from 'node:buffer';
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isApiErrorCode } from '../../src/protocol/errors.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { Batch, runBounded, SEED, SPECIAL_NAMES, Tally } from './fuzz-support.js';

const TOTAL_REQUESTS = 10_000;
const BATCH = 50;
const PARALLEL = 8;

/** Paths of every face; `:id` is a known session id or garbage. */
const PATHS = [
  '/',
  '/assets/app.js',
  '/assets/nope.js',
  '/healthz',
  '/metrics',
  '/api/openapi.json',
  '/api/status',
  '/api/sessions',
  '/api/sessions/:id',
  '/api/sessions/:id/output',
  '/api/sessions/:id/terminal',
  '/api/sessions/:id/respawn',
  '/api/tasks',
  '/api/tasks/:id',
  '/api/scheduled',
  '/api/cases',
  '/api/ralph',
  '/api/overseer/tasks',
  '/api/events',
  '/ws',
  '/ws/sessions/:id/terminal',
  '/api/nope',
];

const percentJunk = fc.constantFrom(
  '%',
  '%z',
  '%zz',
  '%ff',
  '%00',
  '%C0%AE',
  '%ED%A0%80',
  '%%',
  '%2',
  '%E2%82',
);
/** Characters a request line may carry (no space, no CR/LF: those end the line). */
const urlChar = fc.oneof(
  fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  fc.constantFrom('&', '=', '?', '#', '+', ';', '[', ']', '%'),
);
const urlText = (max: number) => fc.string({ unit: fc.oneof(urlChar, percentJunk), maxLength: max });

function queryArb(token: string): fc.Arbitrary<string> {
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom('token', 'sessions', 'since', 'x', '', ...SPECIAL_NAMES), urlText(20)),
    fc.tuple(
      fc.constant('token'),
      fc.constantFrom('%', '%zz', token, `${token}%`, encodeURIComponent(token)),
    ),
    fc.tuple(urlText(10), urlText(30)),
  );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant('') },
    {
      weight: 6,
      arbitrary: fc
        .array(fc.tuple(pair, fc.boolean()), { maxLength: 6 })
        .map((pairs) => `?${pairs.map(([[k, v], bare]) => (bare ? k : `${k}=${v}`)).join('&')}`),
    },
    { weight: 2, arbitrary: urlText(200).map((junk) => `?${junk}`) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 8_000 }).map((n) => `?x=${'%41'.repeat(n / 3)}`) },
  );
}

/** Header values: printable ASCII, tabs, and bytes beyond ASCII (written as latin1). */
const headerValue = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 }),
  fc.string({ unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 10 }),
  fc.constantFrom('', ' ', '\t', '=', ';', '%', 'null', '"', '\\'),
);

function cookieArb(token: string, port: number): fc.Arbitrary<string | null> {
  const name = `claudeman_token_${port}`;
  const crumb = fc.oneof(
    fc.constantFrom(
      `${name}=%`,
      `${name}=%zz`,
      `${name}=${token}`,
      `${name}=${encodeURIComponent(token)}%`,
      `${name}=`,
      `${name}`,
      '=%',
      '=',
      `claudeman_token=${token}`,
      'claudeman_token=%',
      `claudeman_token_${port + 1}=${token}`,
      `${name}=${token}; ${name}=%`,
    ),
    fc.tuple(headerValue, headerValue).map(([k, v]) => `${k}=${v}`),
  );
  return fc.option(
    fc
      .array(crumb, { minLength: 1, maxLength: 4 })
      .map((crumbs) => crumbs.join(fc.sample(fc.constantFrom('; ', ';', ';;'), 1)[0])),
  );
}

function authorizationArb(token: string): fc.Arbitrary<string | null> {
  return fc.option(
    fc.oneof(
      fc.constant(`Bearer ${token}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        `Bearer  ${token}`,
        `bearer ${token}`,
        `Basic ${token}`,
        token,
        `Bearer ${token} x`,
      ),
      headerValue.map((v) => `Bearer ${v}`),
      headerValue,
    ),
  );
}

function hostArb(port: number): fc.Arbitrary<readonly string[]> {
  return fc.oneof(
    { weight: 8, arbitrary: fc.constant([`127.0.0.1:${port}`]) },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(
          `localhost:${port}`,
          'localhost',
          '',
          '[::1',
          `127.0.0.1:${port}:1`,
          'evil.example',
          `${'a'.repeat(300)}:${port}`,
          `127.0.0.1:${port}/x`,
          '%',
        )
        .map((h) => [h]),
    },
    { weight: 1, arbitrary: fc.constant([`127.0.0.1:${port}`, 'evil.example']) },
    { weight: 1, arbitrary: fc.constant([]) },
  );
}

interface HttpFuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly hosts: readonly string[];
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly navigation: boolean;
}

function requestArb(server: ClaudemanTestServer, sessionId: string): fc.Arbitrary<HttpFuzzRequest> {
  const { token, port } = server;
  return fc
    .record({
      method: fc.oneof(
        { weight: 8, arbitrary: fc.constant('GET') },
        { weight: 2, arbitrary: fc.constantFrom('POST', 'DELETE', 'PUT', 'HEAD', 'OPTIONS') },
        { weight: 1, arbitrary: fc.constantFrom('PROPFIND', 'PATCH', 'TRACE', 'get', 'G-T') },
      ),
      path: fc.constantFrom(...PATHS),
      id: fc.oneof(fc.constant(sessionId), urlText(40), fc.constantFrom('%', '..', '%2e%2e', '__proto__')),
      query: queryArb(token),
      hosts: hostArb(port),
      cookie: cookieArb(token, port),
      authorization: authorizationArb(token),
      origin: fc.option(fc.oneof(fc.constant(`http://127.0.0.1:${port}`), fc.constant('null'), headerValue)),
      navigation: fc.boolean(),
      extra: fc.array(
        fc.tuple(
          fc.constantFrom('x-fuzz', 'sec-fetch-mode', 'accept', 'content-type', 'last-event-id', 'upgrade'),
          headerValue,
        ),
        {
          maxLength: 3,
        },
      ),
    })
    .map(({ method, path, id, query, hosts, cookie, authorization, origin, navigation, extra }) => {
      const headers: Array<readonly [string, string]> = [];
      if (cookie !== null) headers.push(['cookie', cookie]);
      if (authorization !== null) headers.push(['authorization', authorization]);
      if (origin !== null) headers.push(['origin', origin]);
      if (navigation) headers.push(['accept', 'text/html'], ['sec-fetch-mode', 'navigate']);
      headers.push(...extra);
      return { method, path: path.replace(':id', id), query, hosts, headers, navigation };
    });
}

interface RawReply {
  readonly status: number;
  readonly headers: Map<string, string>;
  readonly body: string;
}

/** Writes the request byte for byte (latin1) and reads the reply until the server closes. */
function send(port: number, request: HttpFuzzRequest): Promise<RawReply> {
  const lines = [`${request.method} ${request.path}${request.query} HTTP/1.1`];
  for (const host of request.hosts) lines.push(`Host: ${host}`);
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`);
  lines.push('Connection: close');
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(
      () => socket.destroy(new Error(`no reply within 10 s to ${head.toString('latin1').slice(0, 600)}`)),
      10_000,
    );
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      // A stream (the event stream, an accepted upgrade) never ends by itself: its head is enough.
      const text = Buffer.concat(chunks).toString('latin1');
      if (
        /^HTTP\/1\.1 (200|101)/.test(text) &&
        /content-type: text\/event-stream|upgrade: websocket/i.test(text)
      ) {
        socket.destroy();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      const headers = new Map<string, string>();
      for (const line of text.slice(0, end).split('\r\n').slice(1)) {
        const colon = line.indexOf(':');
        headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      let body = end === -1 ? '' : text.slice(end + 4);
      if (headers.get('transfer-encoding') === 'chunked') body = dechunk(body);
      resolve({ status, headers, body });
    });
    socket.on('error', reject);
    // write, not end: a half-closed socket makes Node drop a reply still streaming from a file.
    socket.write(head);
  });
}

function dechunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const lineEnd = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, lineEnd), 16);
    if (!Number.isFinite(size) || size === 0) return out;
    out += rest.slice(lineEnd + 2, lineEnd + 2 + size);
    rest = rest.slice(lineEnd + 4 + size);
  }
}

/** What is wrong with a reply, or null when it is one the API documents. */
function problem(request: HttpFuzzRequest, reply: RawReply): string | null {
  if (reply.status === 0) return 'no HTTP reply';
  if (reply.status >= 500 && reply.status !== 503)
    return `status ${reply.status}: ${reply.body.slice(0, 300)}`;
  if (reply.status < 400) return null;
  const type = reply.headers.get('content-type') ?? '';
  if (reply.status === 401 && type.startsWith('text/html')) {
    return request.method === 'GET' ? null : `token page for ${request.method}`;
  }
  if (request.method === 'HEAD') return null;
  // The overseer protocol's own refusal of a plain GET /ws, kept byte for byte (spec: Transport).
  if (
    reply.status === 400 &&
    request.path === '/ws' &&
    reply.body.includes('not using the websocket protocol')
  ) {
    return null;
  }
  let body: unknown;
  try {
    body = JSON.parse(reply.body);
  } catch {
    return `status ${reply.status} without a JSON error body: ${JSON.stringify(reply.body.slice(0, 200))}`;
  }
  const error = body as { success?: unknown; error?: unknown; code?: unknown };
  const keys = Object.keys(error).sort().join(',');
  if (keys !== 'code,error,success' || error.success !== false || typeof error.error !== 'string') {
    return `malformed error body ${reply.body.slice(0, 200)}`;
  }
  if (typeof error.code !== 'string' || !isApiErrorCode(error.code))
    return `unknown code ${String(error.code)}`;
  return null;
}

describe('fuzzing query strings, headers and cookies with 10,000 raw requests', () => {
  let server: ClaudemanTestServer;
  let sessionId: string;

  beforeAll(async () => {
    server = await startClaudeman({ terminalHost: 'pty' });
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    sessionId = created.session.id;
  }, 30_000);

  afterAll(async () => {
    await server?.close();
  });

  it('answers every request well-formed, never with a 500', async () => {
    const outcomes = new Tally();
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(requestArb(server, sessionId), { minLength: BATCH, maxLength: BATCH })
          .map((items) => new Batch(items)),
        async (batch) => {
          const failures: string[] = [];
          await runBounded(batch.items, PARALLEL, async (request) => {
            const reply = await send(server.port, request);
            const wrong = problem(request, reply);
            let code = '';
            try {
              code =
                reply.status >= 400
                  ? ` ${String((JSON.parse(reply.body) as { code?: string }).code ?? '')}`
                  : '';
            } catch {
              code = reply.status >= 400 ? ' (html)' : '';
            }
            outcomes.add(`${reply.status}${code}`);
            if (wrong !== null) {
              failures.push(
                `${request.method} ${request.path}${request.query.slice(0, 200)} ${JSON.stringify(request.headers).slice(0, 300)} hosts=${JSON.stringify(request.hosts)}: ${wrong}`,
              );
            }
          });
          expect(failures).toEqual([]);
        },
      ),
      { seed: SEED, numRuns: TOTAL_REQUESTS / BATCH, endOnFailure: true },
    );
    console.log(`http fuzz: outcomes ${outcomes}`);
    // The cookie that answered 500 before is a plain 401 now.
    const percent = await send(server.port, {
      method: 'GET',
      path: '/api/status',
      query: '',
      hosts: [`127.0.0.1:${server.port}`],
      headers: [['cookie', `claudeman_token_${server.port}=%`]],
      navigation: false,
    });
    expect(percent.status).toBe(401);
    expect((await server.api('/api/status')).status).toBe(200);
  }, 180_000);
});
