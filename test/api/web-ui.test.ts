// The web UI's serving: the page and its assets behind the token, the token page for browsers, and
// the API's JSON answers left as they were.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A GET with exactly these headers (fetch() replaces Sec-Fetch-Mode, which browsers set). */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, type: response.headers['content-type'] ?? '', body }),
      );
    })
      .on('error', reject)
      .end();
  });
}

describe('web UI serving', () => {
  let s: ClaudemanTestServer;
  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'dist', 'web', 'index.html'))) {
      execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { stdio: 'inherit' });
    }
    s = await startClaudeman();
  });
  afterAll(() => s?.close());

  it('serves the page and its assets with the token', async () => {
    const page = await s.api('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('/assets/app.js');
    for (const asset of ['app.js', 'styles.css', 'xterm.css']) {
      const response = await s.api(`/assets/${asset}`);
      expect(response.status, asset).toBe(200);
      expect((await response.text()).length, asset).toBeGreaterThan(0);
    }
    const script = await s.api('/assets/app.js');
    expect(script.headers.get('content-type')).toContain('javascript');
    await script.text();
  });

  it('shows browsers a page about the token, and keeps JSON 401s for programs', async () => {
    const navigation = await rawGet(`${s.baseUrl}/`, { accept: 'text/html', 'sec-fetch-mode': 'navigate' });
    expect(navigation.status).toBe(401);
    expect(navigation.type).toContain('text/html');
    expect(navigation.body).toContain('?token=');

    const wrong = await rawGet(`${s.baseUrl}/?token=wrong`, { accept: 'text/html' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('not the one this server uses');

    const program = await fetch(`${s.baseUrl}/`);
    expect(program.status).toBe(401);
    expect(await program.json()).toMatchObject({ success: false, code: 'UNAUTHORIZED' });
    const asset = await fetch(`${s.baseUrl}/assets/app.js`);
    expect(asset.status).toBe(401);
    await asset.text();
    const api = await fetch(`${s.baseUrl}/api/sessions`, { headers: { accept: 'text/html' } });
    expect(api.status).toBe(401);
    expect(api.headers.get('content-type')).toContain('application/json');
  });

  it('lets the address token win over a stale cookie, and sets the cookie', async () => {
    const response = await fetch(`${s.baseUrl}/?token=${s.token}`, {
      headers: { cookie: `claudeman_token_${s.port}=old-token` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toContain(`claudeman_token_${s.port}=${s.token}`);
  });

  it('answers unknown paths with the API 404, not a page', async () => {
    const response = await s.api('/assets/nope.js');
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ code: 'NOT_FOUND' });
    expect((await s.api('/api/nope')).status).toBe(404);
  });
});
