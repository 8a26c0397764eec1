// API: access control — the token (bearer, cookie, ?token= with Set-Cookie) on HTTP, SSE and the /ws
// upgrade; Host checks (DNS rebinding); Origin checks for state-changing requests and upgrades; the
// trusted-CIDR allowlist.
import { describe, expect, it } from 'vitest';
import {
  asObject,
  expectApiError,
  expectJson,
  expectRawApiError,
  rawRequest,
  readBody,
  SseClient,
  useApiResources,
} from '../helpers/api-client.js';
import { tryConnect } from '../helpers/ws-client.js';

const r = useApiResources();
const WRONG = 'wrong-token-0123456789';

describe('the access token', () => {
  it('refuses HTTP requests without a token or with a wrong one: 401 UNAUTHORIZED', async () => {
    const s = await r.server();
    await expectApiError(await fetch(`${s.baseUrl}/api/sessions`), 401, 'UNAUTHORIZED');
    await expectApiError(
      await fetch(`${s.baseUrl}/api/sessions`, { headers: { authorization: `Bearer ${WRONG}` } }),
      401,
      'UNAUTHORIZED',
    );
    await expectApiError(
      await fetch(`${s.baseUrl}/api/sessions`, { headers: { authorization: `Basic ${s.token}` } }),
      401,
      'UNAUTHORIZED',
    );
    await expectApiError(
      await fetch(`${s.baseUrl}/api/sessions`, {
        headers: { authorization: `Bearer ${s.token.slice(0, -1)}` },
      }),
      401,
      'UNAUTHORIZED',
    );
    await expectApiError(await fetch(`${s.baseUrl}/api/sessions?token=${WRONG}`), 401, 'UNAUTHORIZED');
    await expectApiError(
      await fetch(`${s.baseUrl}/api/sessions`, { headers: { cookie: `claudeman_token_${s.port}=${WRONG}` } }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('refuses state-changing requests without a token, and changes nothing', async () => {
    const s = await r.server();
    const res = await fetch(`${s.baseUrl}/api/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await expectApiError(res, 401, 'UNAUTHORIZED');
    await expectApiError(
      await fetch(`${s.baseUrl}/api/cases`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'nope' }),
      }),
      401,
      'UNAUTHORIZED',
    );
    await expectApiError(await fetch(`${s.baseUrl}/api/nope`), 401, 'UNAUTHORIZED');
    expect(await (await s.api('/api/sessions')).json()).toEqual([]);
    expect(await (await s.api('/api/cases')).json()).toEqual([]);
  });

  it('accepts the token as a bearer header, as the claudeman_token_<port> cookie, and as ?token=', async () => {
    const s = await r.server();
    const bearer = await fetch(`${s.baseUrl}/api/sessions`, {
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(bearer.status).toBe(200);
    expect(bearer.headers.get('set-cookie')).toBeNull();
    const cookie = await fetch(`${s.baseUrl}/api/sessions`, {
      headers: { cookie: `other=1; claudeman_token_${s.port}=${s.token}; more=2` },
    });
    expect(cookie.status).toBe(200);
    const query = await fetch(`${s.baseUrl}/api/sessions?token=${s.token}`);
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual([]);
  });

  it('?token= sets the cookie: HttpOnly, SameSite=Strict, and the cookie then works alone', async () => {
    const s = await r.server();
    const res = await fetch(`${s.baseUrl}/api/status?token=${s.token}`);
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    const parts = setCookie.split(';').map((p) => p.trim());
    expect(parts[0]).toBe(`claudeman_token_${s.port}=${s.token}`);
    expect(parts.map((p) => p.toLowerCase())).toContain('httponly');
    expect(parts.map((p) => p.toLowerCase())).toContain('samesite=strict');
    expect(parts).toContain('Path=/');
    const withCookie = await fetch(`${s.baseUrl}/api/status`, { headers: { cookie: parts[0] ?? '' } });
    expect(withCookie.status).toBe(200);
    // A wrong ?token= sets nothing.
    const wrong = await fetch(`${s.baseUrl}/api/status?token=${WRONG}`);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    await wrong.text();
  });

  it('lets /healthz through without a token', async () => {
    const s = await r.server();
    expect((await fetch(`${s.baseUrl}/healthz`)).status).toBe(200);
  });

  it('guards the event stream: 401 without or with a wrong token, 200 with ?token=', async () => {
    const s = await r.server();
    for (const options of [
      { auth: false },
      { auth: false, headers: { authorization: `Bearer ${WRONG}` } },
      { auth: false, query: `token=${WRONG}` },
    ]) {
      const { request, response } = await SseClient.request(s, options);
      expect(response.statusCode).toBe(401);
      expect(response.headers['content-type'] ?? '').toMatch(/^application\/json/);
      const body = asObject(JSON.parse(await readBody(response)) as unknown);
      expect(body).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
      request.destroy();
    }
    expect(s.running.sse.clientCount).toBe(0);
    const ok = await r.sse(s, { auth: false, query: `token=${s.token}` });
    await ok.nextOf('init');
  });

  it('guards the /ws upgrade: 401 without or with a wrong token, open with ?token=', async () => {
    const s = await r.server();
    const base = `ws://127.0.0.1:${s.port}/ws`;
    const none = await tryConnect(base);
    expect(none.opened).toBe(false);
    if (!none.opened) {
      expect(none.status).toBe(401);
      expect(JSON.parse(none.body)).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    }
    const wrong = await tryConnect(`${base}?token=${WRONG}`);
    expect(wrong).toMatchObject({ opened: false, status: 401 });
    const wrongBearer = await tryConnect(base, { headers: { authorization: `Bearer ${WRONG}` } });
    expect(wrongBearer).toMatchObject({ opened: false, status: 401 });
    expect(await tryConnect(`${base}?token=${s.token}`)).toEqual({ opened: true });
    expect(await tryConnect(base, { headers: { authorization: `Bearer ${s.token}` } })).toEqual({
      opened: true,
    });
  });
});

describe('Host (DNS rebinding)', () => {
  it('refuses a foreign Host with 403 HOST_NOT_ALLOWED, even with the token and on /healthz', async () => {
    const s = await r.server();
    const auth = { authorization: `Bearer ${s.token}` };
    for (const host of ['evil.example', `evil.example:${s.port}`, `127.0.0.1.evil.example:${s.port}`]) {
      expectRawApiError(
        await rawRequest(s.port, { path: '/api/sessions', headers: { ...auth, host } }),
        403,
        'HOST_NOT_ALLOWED',
      );
    }
    expectRawApiError(
      await rawRequest(s.port, { path: '/healthz', headers: { host: 'evil.example' } }),
      403,
      'HOST_NOT_ALLOWED',
    );
    expectRawApiError(
      await rawRequest(s.port, { path: '/api/events', headers: { ...auth, host: 'evil.example' } }),
      403,
      'HOST_NOT_ALLOWED',
    );
    const upgrade = await rawRequest(s.port, {
      path: `/ws?token=${s.token}`,
      headers: { host: 'evil.example' },
      upgrade: true,
    });
    expect(upgrade.upgraded).toBe(false);
    expect(upgrade.status).toBe(403);
  });

  it('accepts the loopback names', async () => {
    const s = await r.server();
    const auth = { authorization: `Bearer ${s.token}` };
    for (const host of [`127.0.0.1:${s.port}`, `localhost:${s.port}`, 'localhost', `LOCALHOST:${s.port}`]) {
      const res = await rawRequest(s.port, { path: '/api/sessions', headers: { ...auth, host } });
      expect(res.status, `Host ${host}`).toBe(200);
    }
  });
});

describe('Origin', () => {
  it('refuses a POST from a foreign origin with 403 ORIGIN_NOT_ALLOWED; the same POST from our origin works', async () => {
    const s = await r.server();
    const headers = { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' };
    for (const origin of [
      'http://evil.example',
      `http://evil.example:${s.port}`,
      'null',
      `https://127.0.0.1:${s.port}x`,
    ]) {
      expectRawApiError(
        await rawRequest(s.port, {
          method: 'POST',
          path: '/api/sessions',
          headers: { ...headers, origin },
          body: '{}',
        }),
        403,
        'ORIGIN_NOT_ALLOWED',
      );
    }
    expect(await (await s.api('/api/sessions')).json()).toEqual([]);
    const own = await rawRequest(s.port, {
      method: 'POST',
      path: '/api/sessions',
      headers: { ...headers, origin: `http://127.0.0.1:${s.port}` },
      body: '{}',
    });
    expect(own.status).toBe(201);
    expect(asObject(JSON.parse(own.body) as unknown).success).toBe(true);
    // Without an Origin (not a browser) it works too.
    expect(
      (await rawRequest(s.port, { method: 'POST', path: '/api/sessions', headers, body: '{}' })).status,
    ).toBe(201);
  });

  it('refuses DELETE and cases from a foreign origin too', async () => {
    const s = await r.server();
    const created = await expectJson(await s.send('POST', '/api/sessions', {}), 201);
    const id = String(asObject(created.session).id);
    const headers = { authorization: `Bearer ${s.token}`, origin: 'http://evil.example' };
    expectRawApiError(
      await rawRequest(s.port, { method: 'DELETE', path: `/api/sessions/${id}`, headers }),
      403,
      'ORIGIN_NOT_ALLOWED',
    );
    expectRawApiError(
      await rawRequest(s.port, {
        method: 'POST',
        path: '/api/cases',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'evil' }),
      }),
      403,
      'ORIGIN_NOT_ALLOWED',
    );
    expect((await s.api(`/api/sessions/${id}`)).status).toBe(200);
    expect(await (await s.api('/api/cases')).json()).toEqual([]);
  });

  it('refuses a WebSocket upgrade from a foreign origin; accepts our own', async () => {
    const s = await r.server();
    const url = `ws://127.0.0.1:${s.port}/ws?token=${s.token}`;
    const foreign = await tryConnect(url, { headers: { origin: 'http://evil.example' } });
    expect(foreign.opened).toBe(false);
    if (!foreign.opened) expect(foreign.status).toBe(403);
    const own = await tryConnect(url, { headers: { origin: `http://127.0.0.1:${s.port}` } });
    expect(own).toEqual({ opened: true });
  });
});

describe('trusted CIDRs', () => {
  it('refuses every request from outside the allowlist with 403 forbidden\\n', async () => {
    const s = await r.server({ trustedCidrs: '127.0.0.2' });
    const auth = { authorization: `Bearer ${s.token}` };
    for (const path of ['/healthz', '/api/sessions', '/api/events', '/api/status', '/nothing']) {
      const res = await rawRequest(s.port, { path, headers: auth });
      expect(res.status, path).toBe(403);
      expect(res.body, path).toBe('forbidden\n');
      expect(res.headers['content-type'] ?? '').toMatch(/^text\/plain/);
    }
    const post = await rawRequest(s.port, {
      method: 'POST',
      path: '/api/sessions',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(403);
    expect(post.body).toBe('forbidden\n');
    const upgrade = await tryConnect(`ws://127.0.0.1:${s.port}/ws?token=${s.token}`);
    expect(upgrade).toEqual({ opened: false, status: 403, body: 'forbidden\n' });
    expect(s.running.sessions.size).toBe(0);
  });

  it('lets a peer inside the allowlist through', async () => {
    const s = await r.server({ trustedCidrs: '127.0.0.2' });
    const res = await rawRequest(s.port, {
      path: '/api/sessions',
      headers: { authorization: `Bearer ${s.token}` },
      localAddress: '127.0.0.2',
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual([]);
    // The token is still required from a trusted peer.
    const noToken = await rawRequest(s.port, { path: '/api/sessions', localAddress: '127.0.0.2' });
    expectRawApiError(noToken, 401, 'UNAUTHORIZED');
  });
});
