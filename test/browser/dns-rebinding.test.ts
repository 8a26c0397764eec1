// A DNS-rebinding attack in a real Chromium: a page on `http://rebind.example:PORT` whose name
// resolves to 127.0.0.1 (Chromium's --host-resolver-rules stands in for the attacker's DNS) opens
// `ws://rebind.example:PORT/ws` — its Origin equals its Host, so only the Host check can stop it — and
// asks the supervisor to run `sh -c 'id > FILE'`. Against the standalone sticky-overseer and the /ws
// face of `claudeman web` (given the token, the worst case), nothing may run. The same page served
// from the server's own address does run the command: the harness can see an attack that works.
//
// Chromium's own Local Network Access checks would block a page that is not itself on a loopback
// address from opening a loopback socket; they are switched off here, as in browsers without them
// (and for the page that Playwright serves from memory, which Chromium cannot place on the network):
// the server must refuse the attack on its own.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startClaudeman } from '../helpers/claudeman-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { CHROMIUM, launchBrowser } from './browser.js';

const TEST_MS = 60_000;
const REBIND_HOST = 'rebind.example';

/** The attacker's page: opens the socket, sends one `start`, and reports what happened. */
function attackPage(wsUrl: string, file: string): string {
  const start = { type: 'start', id: 'x', command: '/bin/sh', args: ['-c', `id > ${file}`] };
  return `<!doctype html><title>attack</title><script>
    window.outcome = 'pending';
    const ws = new WebSocket(${JSON.stringify(wsUrl)});
    ws.onopen = () => { window.outcome = 'opened'; ws.send(${JSON.stringify(JSON.stringify(start))}); };
    ws.onmessage = (m) => { if (window.outcome === 'opened') window.outcome = 'answered: ' + m.data; };
    ws.onerror = () => { if (window.outcome === 'pending') window.outcome = 'refused'; };
  </script>`;
}

/** Loads the attack page as if served from `pageOrigin`, and waits for the socket's fate. */
async function runAttack(page: Page, pageOrigin: string, wsUrl: string, file: string): Promise<string> {
  await page.route(`${pageOrigin}/**`, (route) =>
    route.fulfill({ contentType: 'text/html', body: attackPage(wsUrl, file) }),
  );
  await page.goto(`${pageOrigin}/`);
  // Page-side code as text: the test's TypeScript has no DOM types.
  await page.waitForFunction("window.outcome !== 'pending' && window.outcome !== 'opened'", undefined, {
    timeout: 10_000,
  });
  return String(await page.evaluate('window.outcome'));
}

describe.skipIf(!existsSync(CHROMIUM))('a DNS-rebinding page in Chromium', () => {
  let browser: Browser;
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    browser = await launchBrowser([
      `--host-resolver-rules=MAP ${REBIND_HOST} 127.0.0.1`,
      '--disable-features=LocalNetworkAccessChecks',
    ]);
  }, TEST_MS);

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext();
    cleanups.push(() => context.close());
    return context.newPage();
  }

  it(
    'cannot make the standalone sticky-overseer run a command; its own origin can',
    async () => {
      const temp = makeTempDir('rebind-');
      cleanups.push(() => temp.remove());
      const server = await startOverseer();
      cleanups.push(() => server.close());
      const file = join(temp.path, 'pwned');

      const outcome = await runAttack(
        await newPage(),
        `http://${REBIND_HOST}:${server.port}`,
        `ws://${REBIND_HOST}:${server.port}/ws`,
        file,
      );
      expect(outcome).toBe('refused');
      expect(server.running.supervisor.list()).toEqual([]);
      expect(existsSync(file)).toBe(false);

      // The control: the same page from the server's own address starts the task.
      const own = `127.0.0.1:${server.port}`;
      const control = await runAttack(await newPage(), `http://${own}`, `ws://${own}/ws`, file);
      expect(control).toMatch(/^answered: .*"type":"started"/);
      await pollUntil(() => existsSync(file), 'the control run to write its file');
    },
    TEST_MS,
  );

  it(
    'cannot reach the /ws face of claudeman web, even with the token; its own origin can',
    async () => {
      const temp = makeTempDir('rebind-');
      cleanups.push(() => temp.remove());
      const server = await startClaudeman();
      cleanups.push(() => server.close());
      const file = join(temp.path, 'pwned');
      const query = `?token=${server.token}`;

      const outcome = await runAttack(
        await newPage(),
        `http://${REBIND_HOST}:${server.port}`,
        `ws://${REBIND_HOST}:${server.port}/ws${query}`,
        file,
      );
      expect(outcome).toBe('refused');
      expect(server.running.supervisor.list()).toEqual([]);
      expect(existsSync(file)).toBe(false);

      const own = `127.0.0.1:${server.port}`;
      const control = await runAttack(await newPage(), `http://${own}`, `ws://${own}/ws${query}`, file);
      expect(control).toMatch(/^answered: .*"type":"started"/);
      await pollUntil(() => existsSync(file), 'the control run to write its file');
    },
    TEST_MS,
  );
});
