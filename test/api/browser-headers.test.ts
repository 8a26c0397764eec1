// API: the headers that keep a browser from turning our replies against the user, on every kind of
// response — the UI page, its assets, JSON replies, every refusal (401 JSON and the token page, 403,
// 404, 400, 413, 431 from the HTTP parser), the event stream, /metrics and /healthz: nosniff
// everywhere, and the framing bans (CSP frame-ancestors 'none', X-Frame-Options DENY) with them.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY } from '../../src/server/security/browser-headers.js';
import { rawRequest, useApiResources } from '../helpers/api-client.js';

const r = useApiResources();

/** Status and headers of the response head only (the event stream never ends). */
function head(port: number, path: string, headers: Record<string, string>): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      resolve(res);
      req.destroy();
    });
    req.on('error', reject);
  });
}

function expectBrowserHeaders(headers: http.IncomingHttpHeaders, what: string): void {
  expect(headers['x-content-type-options'], what).toBe('nosniff');
  expect(headers['x-frame-options'], what).toBe('DENY');
  expect(headers['content-security-policy'], what).toBe(CONTENT_SECURITY_POLICY);
  expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
}

describe('browser-facing headers', () => {
  it('come with every kind of response', async () => {
    const s = await r.server();
    const auth = { authorization: `Bearer ${s.token}` };
    const cases: Array<[string, Promise<{ status: number; headers: http.IncomingHttpHeaders }>, number]> = [
      ['the UI page', rawRequest(s.port, { path: `/?token=${s.token}` }), 200],
      ['a script asset', rawRequest(s.port, { path: '/assets/app.js', headers: auth }), 200],
      ['a JSON reply', rawRequest(s.port, { path: '/api/status', headers: auth }), 200],
      ['/healthz', rawRequest(s.port, { path: '/healthz' }), 200],
      ['/metrics', rawRequest(s.port, { path: '/metrics', headers: auth }), 200],
      ['the OpenAPI document', rawRequest(s.port, { path: '/api/openapi.json', headers: auth }), 200],
      ['401 JSON', rawRequest(s.port, { path: '/api/status' }), 401],
      [
        '401 token page',
        rawRequest(s.port, { path: '/', headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } }),
        401,
      ],
      [
        '403 foreign Host',
        rawRequest(s.port, { path: '/api/status', headers: { ...auth, host: 'evil.example' } }),
        403,
      ],
      ['404', rawRequest(s.port, { path: '/api/nope', headers: auth }), 404],
      [
        '400 malformed JSON',
        rawRequest(s.port, {
          method: 'POST',
          path: '/api/sessions',
          headers: { ...auth, 'content-type': 'application/json' },
          body: '{',
        }),
        400,
      ],
      [
        '413 too large',
        rawRequest(s.port, {
          method: 'POST',
          path: '/api/sessions',
          headers: { ...auth, 'content-type': 'application/json' },
          body: `{"x":"${'a'.repeat(1_100_000)}"}`,
        }),
        413,
      ],
      ['a WebSocket path without upgrade', rawRequest(s.port, { path: '/ws', headers: auth }), 400],
      [
        'a malformed URL (refused before any hook)',
        rawRequest(s.port, { path: '/api/sessions/%zz', headers: auth }),
        400,
      ],
    ];
    for (const [what, pending, status] of cases) {
      const res = await pending;
      expect(res.status, what).toBe(status);
      expectBrowserHeaders(res.headers, what);
    }
    const stream = await head(s.port, '/api/events', auth);
    expect(stream.statusCode).toBe(200);
    expectBrowserHeaders(stream.headers, 'the event stream');

    // The HTTP parser's own refusal (headers over 16 KiB) is written by hand: nosniff there too.
    const tooLong = await rawRequest(s.port, { path: `/api/status?${'q'.repeat(20_000)}`, headers: auth });
    expect(tooLong.status).toBe(431);
    expect(tooLong.headers['x-content-type-options']).toBe('nosniff');
  });
});
