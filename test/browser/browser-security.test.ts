// Browser-side defences in a real Chromium: a page on another local port cannot frame the logged-in
// UI (clickjacking), the UI itself runs under its Content-Security-Policy, and logging into a second
// server on another port does not log the browser out of the first (the token cookie is per port).
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClaudeman } from '../helpers/claudeman-server.js';
import { CHROMIUM, collectErrors, ensureWebBuilt, launchBrowser, SCREENSHOTS } from './browser.js';

const TEST_MS = 60_000;

/** A plain page server on a loopback port of its own: the attacker's, or a harmless neighbour. */
async function pageServer(
  pages: Record<string, string>,
): Promise<{ origin: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const body = pages[request.url ?? ''];
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html' });
    response.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!existsSync(CHROMIUM))('browser-facing defences in Chromium', () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
  }, TEST_MS);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it(
    'a page on another port cannot frame the logged-in UI; a page that allows framing can be framed',
    async () => {
      const s = await startClaudeman();
      cleanups.push(() => s.close());
      const attacker = await pageServer({
        '/': `<!doctype html><title>attacker</title>
          <iframe id="ui" src="${s.baseUrl}/" width="800" height="500"></iframe>
          <iframe id="control" src="/neighbour" width="300" height="100"></iframe>`,
        '/neighbour': '<!doctype html><title>neighbour</title><p id="hello">framed fine</p>',
      });
      cleanups.push(() => attacker.close());
      const context = await browser.newContext();
      cleanups.push(() => context.close());
      const page = await context.newPage();
      // Logged in first, as a victim would be: the cookie is set by the token URL.
      await page.goto(`${s.baseUrl}/?token=${s.token}`);
      await page.waitForSelector('#new-session');

      await page.goto(`${attacker.origin}/`);
      await page.waitForLoadState('load');
      const control = page.frames().find((frame) => frame.url().endsWith('/neighbour'));
      expect(await control?.textContent('#hello')).toBe('framed fine');
      const ui = page.frames().find((frame) => frame.url().startsWith(s.baseUrl));
      // Chromium replaces a refused frame's document with an error page: no UI element in it.
      expect(await ui?.$('#new-session')).toBeFalsy();
      await page.screenshot({ path: `${SCREENSHOTS}/framing-refused.png` });
    },
    TEST_MS,
  );

  it(
    'logging into a second server on another port keeps the first logged in; the UI runs under its CSP',
    async () => {
      const a = await startClaudeman({ token: 'token-of-server-a-0123456789' });
      cleanups.push(() => a.close());
      const b = await startClaudeman({ token: 'token-of-server-b-0123456789' });
      cleanups.push(() => b.close());
      const context = await browser.newContext();
      cleanups.push(() => context.close());
      const page = await context.newPage();
      const errors = collectErrors(page);

      await page.goto(`${a.baseUrl}/?token=${a.token}`);
      await page.waitForSelector('#new-session');
      await page.goto(`${b.baseUrl}/?token=${b.token}`);
      await page.waitForSelector('#new-session');
      // Back to each without a token in the address: the cookies alone must do.
      for (const server of [a, b]) {
        const response = await page.goto(`${server.baseUrl}/`);
        expect(response?.status(), server.baseUrl).toBe(200);
        await page.waitForSelector('#new-session');
        await page.waitForSelector('#connection.online', { timeout: 10_000 });
      }
      const cookies = (await context.cookies()).map((cookie) => cookie.name).sort();
      expect(cookies).toEqual([`claudeman_token_${a.port}`, `claudeman_token_${b.port}`].sort());
      // The CSP blocked nothing the UI needs (a violation is a console error).
      expect(errors).toEqual([]);
    },
    TEST_MS,
  );
});
