// API: hostile clients, on every face of the server (REST, the SSE stream, /ws and the terminal
// WebSocket) and on the standalone sticky-overseer. Extends security.test.ts (which covers the basic
// token, Host and Origin refusals of HTTP, SSE and /ws) with: cross-site upgrades of both sockets,
// foreign Host headers on the terminal socket, every way of giving a token on every face, a peer
// outside a `127.0.0.1/32` allowlist, path traversal in case names and working directories (nothing
// created outside the data directory), and shell metacharacters in prompts, input, queued tasks,
// working directories and overseer arguments (inert, and received byte for byte).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptAsWritten } from '../../src/agent/ralph/task-prompt.js';
import { DEFAULT_COMPLETION_PHRASE } from '../../src/protocol/rest/tasks.js';
import {
  asObject,
  expectApiError,
  expectJson,
  expectJsonArray,
  expectRawApiError,
  type Json,
  pollAsync,
  rawRequest,
  readBody,
  SseClient,
  useApiResources,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { httpGet, is, type Message, tryConnect, WsClient } from '../helpers/ws-client.js';

const r = useApiResources();
const WRONG = 'wrong-token-0123456789';
/** Loopback, but outside a `127.0.0.1/32` allowlist. */
const OUTSIDER = '127.0.0.2';

// ─── helpers ────────────────────────────────────────────────────────────────────────────────────

/** A new session's id (its shape is checked in sessions.test.ts). */
async function newSession(s: ClaudemanTestServer, body: Json = {}): Promise<Json> {
  const created = await expectJson(await s.send('POST', '/api/sessions', body), 201);
  return asObject(created.session);
}

/** The two WebSocket faces of a server, by name, with `query` (e.g. the token) appended. */
function socketUrls(s: ClaudemanTestServer, sessionId: string, query = ''): Record<string, string> {
  const q = query === '' ? '' : `?${query}`;
  return {
    '/ws': `ws://127.0.0.1:${s.port}/ws${q}`,
    terminal: `ws://127.0.0.1:${s.port}/ws/sessions/${sessionId}/terminal${q}`,
  };
}

/** Connected clients of one kind (`sse`, `overseer_ws`, `terminal`), as /metrics shows them. */
async function clientCount(s: ClaudemanTestServer, kind: string): Promise<number> {
  const text = await (await s.api('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`claudeman_clients{kind="${kind}"} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

async function expectNoClients(s: ClaudemanTestServer): Promise<void> {
  await pollAsync(
    async () =>
      (await clientCount(s, 'sse')) === 0 &&
      (await clientCount(s, 'overseer_ws')) === 0 &&
      (await clientCount(s, 'terminal')) === 0,
    'no client to be left connected',
  );
}

/** Every path under `root` (relative, sorted), skipping the directories named in `skip`. */
function tree(root: string, skip: readonly string[] = []): string[] {
  const paths: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(root, path);
      if (skip.includes(rel)) continue;
      paths.push(rel);
      if (entry.isDirectory() && !entry.isSymbolicLink()) walk(path);
    }
  };
  walk(root);
  return paths.sort();
}

// ─── 1. cross-site WebSockets ───────────────────────────────────────────────────────────────────

describe('cross-site WebSocket upgrades (Origin)', () => {
  it('refuses another origin at the upgrade of /ws and of the terminal socket with 403 ORIGIN_NOT_ALLOWED', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    const port = s.port;
    const foreign = [
      'http://evil.example',
      `http://evil.example:${port}`,
      `https://evil.example:${port}`,
      'null',
      `http://localhost:${port}`,
      `http://127.0.0.1:${port + 1}`,
      `http://127.0.0.2:${port}`,
      `http://attacker.localhost:${port}`,
      'file://',
      'not a url',
    ];
    for (const [face, url] of Object.entries(socketUrls(s, id, `token=${s.token}`))) {
      for (const origin of foreign) {
        const result = await tryConnect(url, { headers: { origin } });
        expect(result.opened, `${face} from Origin ${origin}`).toBe(false);
        if (!result.opened) {
          expect(result.status, `${face} from ${origin}`).toBe(403);
          expect(JSON.parse(result.body)).toMatchObject({ success: false, code: 'ORIGIN_NOT_ALLOWED' });
        }
      }
    }
    await expectNoClients(s);
  });

  it('accepts our own origin (as the Host names it) and clients that send no Origin, on both sockets', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    for (const [face, url] of Object.entries(socketUrls(s, id, `token=${s.token}`))) {
      expect(await tryConnect(url, { headers: { origin: `http://127.0.0.1:${s.port}` } }), face).toEqual({
        opened: true,
      });
      // The page was loaded from http://localhost:PORT: its Host and Origin agree.
      const viaLocalhost = { host: `localhost:${s.port}`, origin: `http://localhost:${s.port}` };
      expect(await tryConnect(url, { headers: viaLocalhost }), face).toEqual({ opened: true });
      expect(await tryConnect(url), face).toEqual({ opened: true });
    }
  });
});

// ─── 2. DNS rebinding ───────────────────────────────────────────────────────────────────────────

describe('a foreign Host header (DNS rebinding)', () => {
  it('is refused with 403 HOST_NOT_ALLOWED on HTTP, SSE, /ws and the terminal socket, token or not', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    const auth = { authorization: `Bearer ${s.token}` };
    const hosts = [
      'evil.example',
      `evil.example:${s.port}`,
      `127.0.0.1.evil.example:${s.port}`,
      `localhost.evil.example:${s.port}`,
      `attacker.localhost:${s.port}`,
      `[::2]:${s.port}`,
    ];
    for (const host of hosts) {
      const headers = { ...auth, host };
      expectRawApiError(await rawRequest(s.port, { path: '/api/status', headers }), 403, 'HOST_NOT_ALLOWED');
      expectRawApiError(
        await rawRequest(s.port, {
          method: 'POST',
          path: '/api/sessions',
          headers: { ...headers, 'content-type': 'application/json' },
          body: '{}',
        }),
        403,
        'HOST_NOT_ALLOWED',
      );
      expectRawApiError(await rawRequest(s.port, { path: '/api/events', headers }), 403, 'HOST_NOT_ALLOWED');
      for (const path of ['/ws', `/ws/sessions/${id}/terminal`]) {
        const upgrade = await rawRequest(s.port, {
          path: `${path}?token=${s.token}`,
          headers,
          upgrade: true,
        });
        expect(upgrade.upgraded, `${path} with Host ${host}`).toBe(false);
        expectRawApiError(upgrade, 403, 'HOST_NOT_ALLOWED');
      }
    }
    expect(await expectJsonArray(await s.api('/api/sessions'))).toHaveLength(1);
    await expectNoClients(s);
  });

  it('lets our own names through on every face', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    const host = `localhost:${s.port}`;
    const ok = await rawRequest(s.port, {
      path: '/api/status',
      headers: { authorization: `Bearer ${s.token}`, host },
    });
    expect(ok.status).toBe(200);
    const { request, response } = await SseClient.request(s, { headers: { host } });
    expect(response.statusCode).toBe(200);
    request.destroy();
    for (const [face, url] of Object.entries(socketUrls(s, id, `token=${s.token}`))) {
      expect(await tryConnect(url, { headers: { host } }), face).toEqual({ opened: true });
    }
  });
  it('on the standalone sticky-overseer: 403 before the upgrade, nothing started; our names and OVERSEER_ALLOWED_HOSTS pass', async () => {
    const server = await startOverseer({ allowedHosts: ['box.lan'] });
    r.onCleanup(() => server.close());
    for (const host of [
      `rebind.example:${server.port}`,
      'rebind.example',
      `127.0.0.1.rebind.example:${server.port}`,
      `attacker.localhost:${server.port}`,
      `0.0.0.0:${server.port}`,
    ]) {
      const origin = `http://${host}`;
      const upgrade = await httpGet(server.url, { upgrade: true, headers: { host, origin } });
      expect(upgrade, host).toMatchObject({
        status: 403,
        body: 'forbidden: host not allowed\n',
        upgraded: false,
      });
      expect(await tryConnect(server.url, { headers: { host } }), host).toMatchObject({
        opened: false,
        status: 403,
      });
    }
    expect(server.running.hub.connectionCount).toBe(0);
    expect(server.running.supervisor.list()).toEqual([]);

    for (const host of [
      `127.0.0.1:${server.port}`,
      `localhost:${server.port}`,
      `[::1]:${server.port}`,
      `${hostname()}:${server.port}`,
      `BOX.lan:${server.port}`,
    ]) {
      expect(await tryConnect(server.url, { headers: { host } }), host).toEqual({ opened: true });
    }
  });
});

describe('WebSocket frames and handshakes that are not by the book', () => {
  it('a text frame that is not UTF-8 gets an error frame on /ws (as the original) and the socket stays', async () => {
    const s = await r.server();
    const client = await WsClient.connect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    r.onCleanup(() => client.close());
    client.sendRaw(Buffer.from([0x7b, 0xff, 0xfe]), { binary: false });
    expect(await client.next(is('error'))).toMatchObject({ message: 'invalid JSON' });
    client.send({ type: 'list', id: 'after' });
    expect((await client.next(is('tasks', { id: 'after' }))).tasks).toEqual([]);
  });

  it("a malformed upgrade (no Sec-WebSocket-Key) gets the API error body, not ws's plain text", async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    for (const path of ['/ws', `/ws/sessions/${id}/terminal`]) {
      const res = await rawRequest(s.port, {
        path: `${path}?token=${s.token}`,
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13' },
      });
      expect(res.upgraded, path).toBe(false);
      expectRawApiError(res, 400, 'BAD_REQUEST');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    expect((await s.api('/api/status')).status).toBe(200);
  });
});

// ─── 3. the token ───────────────────────────────────────────────────────────────────────────────

interface Credentials {
  readonly what: string;
  readonly headers: Record<string, string>;
  readonly query: string;
}

function wrongCredentials(token: string, port: number): Credentials[] {
  const cookie = `claudeman_token_${port}`;
  return [
    { what: 'no token', headers: {}, query: '' },
    { what: 'a wrong bearer', headers: { authorization: `Bearer ${WRONG}` }, query: '' },
    { what: 'the token plus one character', headers: { authorization: `Bearer ${token}x` }, query: '' },
    { what: 'a prefix of the token', headers: { authorization: `Bearer ${token.slice(0, 8)}` }, query: '' },
    { what: 'an empty bearer', headers: { authorization: 'Bearer ' }, query: '' },
    { what: 'the token as Basic', headers: { authorization: `Basic ${token}` }, query: '' },
    { what: 'the token without a scheme', headers: { authorization: token }, query: '' },
    { what: 'a wrong cookie', headers: { cookie: `${cookie}=${WRONG}` }, query: '' },
    { what: 'a cookie that is not percent-encoding', headers: { cookie: `${cookie}=%` }, query: '' },
    { what: 'a cookie with a bad escape', headers: { cookie: `${cookie}=%zz${token}` }, query: '' },
    // The name of another port's server, or the unported name of earlier versions, is not ours.
    { what: "another port's cookie", headers: { cookie: `claudeman_token_${port + 1}=${token}` }, query: '' },
    { what: 'the unported cookie name', headers: { cookie: `claudeman_token=${token}` }, query: '' },
    { what: 'the token in another cookie', headers: { cookie: `other_token=${token}` }, query: '' },
    { what: 'a wrong ?token=', headers: {}, query: `token=${WRONG}` },
    { what: 'an empty ?token=', headers: {}, query: 'token=' },
    { what: 'the token in another parameter', headers: {}, query: `access_token=${token}` },
    // The bearer header wins over the query and the cookie: a wrong one is not rescued by them.
    {
      what: 'a wrong bearer beside the right cookie',
      headers: { authorization: `Bearer ${WRONG}`, cookie: `${cookie}=${token}` },
      query: '',
    },
  ];
}

function rightCredentials(token: string, port: number): Credentials[] {
  const cookie = `claudeman_token_${port}`;
  return [
    { what: 'the bearer header', headers: { authorization: `Bearer ${token}` }, query: '' },
    { what: 'the cookie', headers: { cookie: `a=1; ${cookie}=${token}; b=2` }, query: '' },
    {
      what: 'the cookie percent-encoded',
      headers: { cookie: `${cookie}=${encodeURIComponent(token).replace(/t/g, '%74')}` },
      query: '',
    },
    { what: '?token=', headers: {}, query: `token=${token}` },
  ];
}

describe('the access token on every face', () => {
  it('refuses a missing or wrong token with 401 UNAUTHORIZED on HTTP, SSE, /ws and the terminal socket', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    for (const { what, headers, query } of wrongCredentials(s.token, s.port)) {
      const q = query === '' ? '' : `?${query}`;
      expectRawApiError(await rawRequest(s.port, { path: `/api/status${q}`, headers }), 401, 'UNAUTHORIZED');
      expectRawApiError(
        await rawRequest(s.port, {
          method: 'DELETE',
          path: `/api/sessions/${id}${q}`,
          headers,
        }),
        401,
        'UNAUTHORIZED',
      );
      const { request, response } = await SseClient.request(s, { auth: false, headers, query });
      expect(response.statusCode, `SSE with ${what}`).toBe(401);
      expect(JSON.parse(await readBody(response))).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      request.destroy();
      for (const [face, url] of Object.entries(socketUrls(s, id, query))) {
        const result = await tryConnect(url, { headers });
        expect(result.opened, `${face} with ${what}`).toBe(false);
        if (!result.opened) {
          expect(result.status, `${face} with ${what}`).toBe(401);
          expect(JSON.parse(result.body)).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
        }
      }
    }
    // The DELETEs did nothing; nobody got in.
    expect((await s.api(`/api/sessions/${id}`)).status).toBe(200);
    await expectNoClients(s);
  });

  it('accepts the right token as a bearer header, the cookie, or ?token= on every face', async () => {
    const s = await r.server();
    const id = String((await newSession(s)).id);
    for (const { what, headers, query } of rightCredentials(s.token, s.port)) {
      const q = query === '' ? '' : `?${query}`;
      const http = await rawRequest(s.port, { path: `/api/status${q}`, headers });
      expect(http.status, `HTTP with ${what}`).toBe(200);
      const stream = await r.sse(s, { auth: false, headers, query });
      await stream.nextOf('init');
      await stream.close();
      for (const [face, url] of Object.entries(socketUrls(s, id, query))) {
        expect(await tryConnect(url, { headers }), `${face} with ${what}`).toEqual({ opened: true });
      }
    }
  });
});

// ─── 4. the trusted-CIDR allowlist ──────────────────────────────────────────────────────────────

describe('a peer outside the allowlist (trusted CIDRs 127.0.0.1/32)', () => {
  it('is refused with 403 forbidden\\n on HTTP, SSE, /ws and the terminal socket, even with the token', async () => {
    const s = await r.server({ trustedCidrs: '127.0.0.1/32' });
    const id = String((await newSession(s)).id);
    const auth = { authorization: `Bearer ${s.token}` };
    const forbidden = (res: { status: number; body: string }, what: string): void => {
      expect(res.status, what).toBe(403);
      expect(res.body, what).toBe('forbidden\n');
    };
    for (const path of ['/healthz', '/api/status', '/api/sessions', '/api/events', '/metrics', '/']) {
      forbidden(await rawRequest(s.port, { path, headers: auth, localAddress: OUTSIDER }), path);
    }
    forbidden(
      await rawRequest(s.port, {
        method: 'POST',
        path: '/api/sessions',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{}',
        localAddress: OUTSIDER,
      }),
      'POST /api/sessions',
    );
    for (const [face, url] of Object.entries(socketUrls(s, id, `token=${s.token}`))) {
      expect(await tryConnect(url, { localAddress: OUTSIDER }), face).toEqual({
        opened: false,
        status: 403,
        body: 'forbidden\n',
      });
      expect(await tryConnect(url, { localAddress: OUTSIDER, headers: auth }), face).toEqual({
        opened: false,
        status: 403,
        body: 'forbidden\n',
      });
    }
    expect(await expectJsonArray(await s.api('/api/sessions'))).toHaveLength(1);
    await expectNoClients(s);
  });

  it('lets 127.0.0.1 itself in on every face', async () => {
    const s = await r.server({ trustedCidrs: '127.0.0.1/32' });
    const id = String((await newSession(s)).id);
    const res = await rawRequest(s.port, {
      path: '/api/status',
      headers: { authorization: `Bearer ${s.token}` },
      localAddress: '127.0.0.1',
    });
    expect(res.status).toBe(200);
    const stream = await r.sse(s);
    await stream.nextOf('init');
    for (const [face, url] of Object.entries(socketUrls(s, id, `token=${s.token}`))) {
      expect(await tryConnect(url, { localAddress: '127.0.0.1' }), face).toEqual({ opened: true });
    }
  });

  it('on the standalone sticky-overseer: 403 forbidden\\n from 127.0.0.2 (upgrade or not), 127.0.0.1 served', async () => {
    const server = await startOverseer({ trustedCidrs: '127.0.0.1/32' });
    r.onCleanup(() => server.close());
    expect(await tryConnect(server.url, { localAddress: OUTSIDER })).toEqual({
      opened: false,
      status: 403,
      body: 'forbidden\n',
    });
    const plain = await httpGet(server.url, { localAddress: OUTSIDER });
    expect(plain).toMatchObject({ status: 403, body: 'forbidden\n', upgraded: false });
    const upgrade = await httpGet(server.url, { upgrade: true, localAddress: OUTSIDER });
    expect(upgrade).toMatchObject({ status: 403, body: 'forbidden\n', upgraded: false });
    expect(server.running.hub.connectionCount).toBe(0);

    const client = await WsClient.connect(server.url, { localAddress: '127.0.0.1' });
    r.onCleanup(() => client.close());
    client.send({ type: 'list', id: 'in' });
    expect((await client.next(is('tasks', { id: 'in' }))).tasks).toEqual([]);
  });
});

// ─── 5. path traversal ──────────────────────────────────────────────────────────────────────────

describe('path traversal', () => {
  it('case names: 400 INVALID_CASE_NAME (BAD_REQUEST past the schema length), nothing created', async () => {
    const s = await r.server();
    const root = dirname(s.casesDir);
    const absolute = join(r.tempDir('claudeman-evil-'), 'case');
    const before = tree(root, ['data']);
    const invalid = [
      '../x',
      '../../x',
      'a/b',
      '..',
      '.',
      '.hidden',
      absolute,
      '/etc',
      'x\u0000y',
      '\u0000',
      '..\\x',
      '%2e%2e',
      'a'.repeat(65),
      'a'.repeat(200),
    ];
    for (const name of invalid) {
      const res = await s.send('POST', '/api/cases', { name });
      await expectApiError(res, 400, 'INVALID_CASE_NAME');
    }
    for (const name of ['a'.repeat(201), 'a'.repeat(100_000)]) {
      await expectApiError(await s.send('POST', '/api/cases', { name }), 400, 'BAD_REQUEST');
    }
    // The same names in the URL (raw, so that nothing normalises them on the way).
    for (const name of ['..%2Fx', 'a%2Fb', '%2E%2E', '%2Fetc', 'x%00y', 'a'.repeat(65), '..%5Cx']) {
      const res = await rawRequest(s.port, {
        path: `/api/cases/${name}`,
        headers: { authorization: `Bearer ${s.token}` },
      });
      expectRawApiError(res, 400, 'INVALID_CASE_NAME');
    }
    const long = await rawRequest(s.port, {
      path: `/api/cases/${'a'.repeat(201)}`,
      headers: { authorization: `Bearer ${s.token}` },
    });
    expectRawApiError(long, 400, 'BAD_REQUEST');

    expect(existsSync(absolute)).toBe(false);
    expect(existsSync(join(root, 'x'))).toBe(false);
    expect(readdirSync(s.casesDir)).toEqual([]);
    expect(tree(root, ['data'])).toEqual(before);
    expect(await expectJsonArray(await s.api('/api/cases'))).toEqual([]);
  });

  it('working directories: relative ones stay inside the cases root (symbolic links resolved), 400 INVALID_PATH otherwise', async () => {
    const s = await r.server();
    const root = dirname(s.casesDir);
    const outside = r.tempDir('claudeman-outside-');
    mkdirSync(join(outside, 'sub'));
    mkdirSync(join(s.casesDir, 'inside', 'deeper'), { recursive: true });
    symlinkSync(outside, join(s.casesDir, 'escape'));
    symlinkSync(join(s.casesDir, 'inside'), join(s.casesDir, 'alias'));
    const before = tree(root, ['data']);

    const refused = [
      '../../etc',
      '..',
      '../cases/../..',
      'inside/../../..',
      'inside/deeper/../../../data',
      'escape',
      'escape/sub',
      'escape/../..',
      'alias/../..',
      'no-such-dir',
      'x\u0000',
      `${s.casesDir}\u0000/../..`,
      '/no/such/dir',
    ];
    // Every route that takes a working directory applies the same rule.
    const routes: Array<[string, (workingDir: string) => Json]> = [
      ['/api/sessions', (workingDir) => ({ workingDir })],
      ['/api/run', (workingDir) => ({ workingDir, prompt: 'hi' })],
      ['/api/tasks', (workingDir) => ({ workingDir, prompt: 'hi' })],
      ['/api/scheduled', (workingDir) => ({ workingDir, prompt: 'hi', durationMinutes: 1 })],
    ];
    for (const [path, body] of routes) {
      for (const workingDir of refused) {
        const res = await s.send('POST', path, body(workingDir));
        const error = await expectApiError(res, 400, 'INVALID_PATH');
        expect(String(error.error), `${path} ${JSON.stringify(workingDir)}`).not.toBe('');
      }
      await expectApiError(await s.send('POST', path, body('a'.repeat(4_097))), 400, 'BAD_REQUEST');
    }
    expect(await expectJsonArray(await s.api('/api/sessions'))).toEqual([]);
    expect(await expectJsonArray(await s.api('/api/tasks'))).toEqual([]);
    expect(await expectJsonArray(await s.api('/api/scheduled'))).toEqual([]);
    expect(tree(root, ['data'])).toEqual(before);
    expect(readdirSync(outside)).toEqual(['sub']);

    // What the contract allows: a relative path inside (also through a link that stays inside), and
    // an absolute directory anywhere (the user's own machine, behind the token), as its real path.
    expect((await newSession(s, { workingDir: 'inside/deeper' })).workingDir).toBe(
      realpathSync(join(s.casesDir, 'inside', 'deeper')),
    );
    expect((await newSession(s, { workingDir: 'alias' })).workingDir).toBe(
      realpathSync(join(s.casesDir, 'inside')),
    );
    expect((await newSession(s, { workingDir: 'inside/deeper/..' })).workingDir).toBe(
      realpathSync(join(s.casesDir, 'inside')),
    );
    expect((await newSession(s, { workingDir: join(outside, 'sub') })).workingDir).toBe(
      realpathSync(join(outside, 'sub')),
    );
    expect(tree(root, ['data'])).toEqual(before);
  });
});

// ─── 6. shell metacharacters ────────────────────────────────────────────────────────────────────

/**
 * Prompts that would create a marker file if any part of the path to the CLI went through a shell:
 * with the marker's absolute path, and with a relative name (created in the shell's directory).
 */
function hostilePrompts(marker: string, name: string): string[] {
  return [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    `| touch ${marker}`,
    `&& touch ${marker}`,
    `x || touch ${marker} & touch ${marker} > ${marker}`,
    `$(touch ${name}) \`touch ${name}\` ; touch ${name} | touch ${name} && touch ${name}`,
    `quote ' double " backslash \\ newline\nsecond line $HOME \${PATH} %s %n * ~ ! # <(touch ${marker})`,
    `'"\n'"`,
  ];
}

interface Recorded {
  readonly event: string;
  readonly text?: string | null;
  readonly cwd?: string;
  readonly argv?: string[];
}

/** What the fake claude recorded (FAKE_CLAUDE_RECORD), one entry per event. */
function recorded(file: string): Recorded[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Recorded);
}

function submitted(file: string): string[] {
  return recorded(file)
    .filter((entry) => entry.event === 'submit')
    .map((entry) => String(entry.text));
}

interface MetaSetup {
  readonly s: ClaudemanTestServer;
  readonly record: string;
  /** The sessions' working directory. */
  readonly work: string;
  /** Where the absolute markers would appear. */
  readonly marker: string;
  /** A unique relative marker name. */
  readonly name: string;
  /** Asserts that no marker exists anywhere a shell could have made one. */
  expectNoMarker(): void;
}

/** Interactive sessions run in a plain PTY, or in tmux through a generated shell script. */
const TERMINAL_HOSTS = ['pty', 'tmux'] as const;
type TerminalHost = (typeof TERMINAL_HOSTS)[number];
const HAS_TMUX = spawnSync('tmux', ['-V']).status === 0;

async function metaSetup(terminalHost: TerminalHost = 'pty'): Promise<MetaSetup> {
  const record = join(r.tempDir('claudeman-record-'), 'record.jsonl');
  const s = await r.server({
    terminalHost,
    env: {
      ...process.env,
      FAKE_CLAUDE_RECORD: record,
      FAKE_CLAUDE_WORK_MS: '50',
      FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
    },
  });
  const work = r.tempDir('claudeman-work-');
  const markerDir = r.tempDir('claudeman-marker-');
  const name = `MARKER-${randomBytes(6).toString('hex')}`;
  const marker = join(markerDir, 'MARKER');
  const places = [markerDir, work, dirname(work), s.dataDir, s.casesDir, dirname(s.casesDir), process.cwd()];
  return {
    s,
    record,
    work,
    marker,
    name,
    expectNoMarker: () => {
      expect(readdirSync(markerDir)).toEqual([]);
      for (const place of places) {
        expect(existsSync(join(place, name)), `${name} in ${place}`).toBe(false);
        expect(existsSync(join(place, 'MARKER')), `MARKER in ${place}`).toBe(false);
      }
    },
  };
}

async function waitForSubmitted(record: string, count: number, what: string): Promise<void> {
  await pollAsync(() => submitted(record).length >= count, what, 20_000);
}

async function waitForPrompt(s: ClaudemanTestServer, id: string): Promise<void> {
  await pollAsync(
    async () => {
      const body = await expectJson(await s.api(`/api/sessions/${id}/terminal`), 200);
      return String(body.terminalBuffer).includes('\u276f');
    },
    'the CLI prompt',
    20_000,
  );
}

describe('shell metacharacters are inert and reach the CLI byte for byte', () => {
  it('in POST /api/run and POST /api/sessions/:id/run', async () => {
    const m = await metaSetup();
    const prompts = hostilePrompts(m.marker, m.name);
    for (const prompt of prompts) {
      const body = await expectJson(await m.s.send('POST', '/api/run', { prompt, workingDir: m.work }), 200);
      expect(body.success).toBe(true);
    }
    expect(submitted(m.record)).toEqual(prompts);

    const id = String((await newSession(m.s, { workingDir: m.work })).id);
    for (const prompt of prompts) {
      const started = await m.s.send('POST', `/api/sessions/${id}/run`, { prompt });
      expect(await expectJson(started, 200)).toEqual({ success: true, message: 'Prompt started' });
      await pollAsync(
        async () => {
          const session = await expectJson(await m.s.api(`/api/sessions/${id}`), 200);
          return session.status !== 'busy' && session.pid === null;
        },
        'the run to end',
        20_000,
      );
    }
    expect(submitted(m.record)).toEqual([...prompts, ...prompts]);
    // The prompt goes on stdin, never into the argument list.
    for (const start of recorded(m.record).filter((entry) => entry.event === 'start')) {
      for (const prompt of prompts) expect(start.argv ?? []).not.toContain(prompt);
      expect(start.cwd).toBe(realpathSync(m.work));
    }
    m.expectNoMarker();
  });

  it.each(TERMINAL_HOSTS)(
    'in interactive input (REST and terminal socket) and in a queued task run by the Ralph loop (%s)',
    async (host) => {
      if (host === 'tmux' && !HAS_TMUX) return;
      const m = await metaSetup(host);
      const prompts = hostilePrompts(m.marker, m.name);
      const id = String((await newSession(m.s, { workingDir: m.work })).id);
      await expectJson(await m.s.send('POST', `/api/sessions/${id}/interactive`, {}), 200);
      await waitForPrompt(m.s, id);

      // REST input: the text and Enter in one request.
      let count = 0;
      for (const prompt of prompts) {
        await expectJson(await m.s.send('POST', `/api/sessions/${id}/input`, { input: `${prompt}\r` }), 200);
        await waitForSubmitted(m.record, ++count, `REST input ${JSON.stringify(prompt)}`);
      }
      expect(submitted(m.record)).toEqual(prompts);

      // The terminal socket: keystrokes as typed, then Enter on its own.
      const terminal = await WsClient.connect(
        `ws://127.0.0.1:${m.s.port}/ws/sessions/${id}/terminal?token=${m.s.token}`,
      );
      r.onCleanup(() => terminal.close());
      await terminal.next((frame: Message) => frame.type === 'replay');
      for (const prompt of prompts) {
        terminal.send({ type: 'input', data: prompt });
        await new Promise((resolve) => setTimeout(resolve, 60));
        terminal.send({ type: 'input', data: '\r' });
        await waitForSubmitted(m.record, ++count, `terminal input ${JSON.stringify(prompt)}`);
      }
      expect(submitted(m.record)).toEqual([...prompts, ...prompts]);
      expect(terminal.received((frame) => frame.type === 'error')).toEqual([]);

      // A queued task: stored as given, typed into the session as its task prompt.
      const taskPrompt = `${prompts.join(' ')} [[promise:${DEFAULT_COMPLETION_PHRASE}]]`;
      const created = await expectJson(await m.s.send('POST', '/api/tasks', { prompt: taskPrompt }), 201);
      const task = asObject(created.task);
      expect(task.prompt).toBe(taskPrompt);
      await expectJson(await m.s.send('POST', '/api/ralph/start', { sessionIds: [id] }), 200);
      await pollAsync(
        async () => {
          const current = await expectJson(await m.s.api(`/api/tasks/${String(task.id)}`), 200);
          if (current.status === 'failed') throw new Error(`task failed: ${String(current.error)}`);
          return current.status === 'completed';
        },
        'the task to complete',
        60_000,
        100,
      );
      // The CLI reports its turns: the prompt goes as written, the instruction appended.
      expect(submitted(m.record)).toContain(promptAsWritten(taskPrompt, DEFAULT_COMPLETION_PHRASE));
      m.expectNoMarker();
    },
    120_000,
  );

  it.each(TERMINAL_HOSTS)(
    'in a working directory whose name is full of them (one-shot and interactive, %s)',
    async (host) => {
      if (host === 'tmux' && !HAS_TMUX) return;
      const m = await metaSetup(host);
      const dir = join(m.work, `wd $(touch ${m.name}) ; touch ${m.name} \`touch ${m.name}\` 'q" | & \\ *`);
      mkdirSync(dir);
      const result = await expectJson(
        await m.s.send('POST', '/api/run', { prompt: 'where am I', workingDir: dir }),
        200,
      );
      expect(result.success).toBe(true);
      const id = String((await newSession(m.s, { workingDir: dir })).id);
      await expectJson(await m.s.send('POST', `/api/sessions/${id}/interactive`, {}), 200);
      await waitForPrompt(m.s, id);
      const starts = recorded(m.record).filter((entry) => entry.event === 'start');
      expect(starts).toHaveLength(2);
      for (const start of starts) expect(start.cwd).toBe(realpathSync(dir));
      expect(readdirSync(dir).filter((entry) => entry.includes('MARKER'))).toEqual([]);
      m.expectNoMarker();
    },
  );

  it('in the arguments and the command of an overseer start', async () => {
    const m = await metaSetup();
    const client = await WsClient.connect(`ws://127.0.0.1:${m.s.port}/ws?token=${m.s.token}`);
    r.onCleanup(() => client.close());
    const args = hostilePrompts(m.marker, m.name);
    client.send({
      type: 'start',
      id: 'meta',
      command: process.execPath,
      args: ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)) + "\\n")', ...args],
    });
    const started = await client.next(is('started', { id: 'meta' }));
    const output = await client.next(is('output', { task_id: started.task_id }));
    expect(JSON.parse(String(output.data))).toEqual(args);
    await client.next(is('exited', { task_id: started.task_id }));

    // A command is a file name, never a command line.
    for (const command of [`/bin/echo; touch ${m.marker}`, `touch ${m.marker}`, `$(touch ${m.marker})`]) {
      client.send({ type: 'start', id: 'bad', command });
      const reply = await client.next((message) => message.id === 'bad');
      expect(reply.type, command).toBe('error');
    }
    m.expectNoMarker();
  });
});
