// The event stream the web UI opens, as Chromium receives it: every state event, and no terminal
// output (the terminal view has that on its own socket), read on the page itself (no worker).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TERMINAL_OUTPUT_EVENT_TYPES } from '../../src/protocol/sse.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CHROMIUM, collectErrors, ensureWebBuilt, launchBrowser, terminalText } from './browser.js';

const TEST_MS = 60_000;

/** Whether the full stream (replayed from its start) holds terminal output of the session. */
async function publishedTerminalOutput(server: ClaudemanTestServer, id: string): Promise<boolean> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10_000);
  try {
    const reply = await server.api('/api/events?lastEventId=0', { signal: controller.signal });
    if (reply.body === null) return false;
    let text = '';
    for await (const chunk of reply.body.pipeThrough(new TextDecoderStream())) {
      text += chunk;
      if (text.includes('event: session:terminal') && text.includes(`"sessionId":"${id}"`)) return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
}

describe.skipIf(!existsSync(CHROMIUM))('the web UI’s event stream', () => {
  let browser: Browser;
  let server: ClaudemanTestServer;
  const temp = makeTempDir('claudeman-browser-events-');

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
    server = await startClaudeman({
      dataDir: join(temp.path, 'data'),
      casesDir: join(temp.path, 'cases'),
      terminalHost: 'pty',
    });
  }, TEST_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    temp.remove();
  });

  it(
    'carries no terminal output while a terminal is on screen; state events still arrive',
    async () => {
      const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      const errors = collectErrors(page);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Network.enable');
      const received: string[] = [];
      const streams: string[] = [];
      cdp.on('Network.eventSourceMessageReceived', (message) => received.push(message.eventName));
      cdp.on('Network.requestWillBeSent', (sent) => {
        if (sent.request.url.includes('/api/events')) streams.push(sent.request.url);
      });

      await page.goto(`${server.baseUrl}/?token=${server.token}`);
      await page.locator('#ready').waitFor({ state: 'attached' });
      const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
        session: { id: string };
      };
      const id = created.session.id;
      expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
      await page.locator(`.session-tab[data-session-id="${id}"]`).click();
      await page.locator('.xterm').click();
      await page.keyboard.type('hello stream', { delay: 5 });
      await page.keyboard.press('Enter');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: hello stream');

      // The server did publish terminal output meanwhile: a stream that wants it has it.
      expect(await publishedTerminalOutput(server, id)).toBe(true);

      expect(streams.length).toBeGreaterThan(0);
      for (const url of streams) {
        for (const type of TERMINAL_OUTPUT_EVENT_TYPES) expect(decodeURIComponent(url)).toContain(type);
      }
      expect(received).toContain('init');
      expect(received).toContain('session:created');
      expect(received.filter((name) => TERMINAL_OUTPUT_EVENT_TYPES.some((type) => type === name))).toEqual(
        [],
      );
      expect(page.workers()).toEqual([]);
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );
});
