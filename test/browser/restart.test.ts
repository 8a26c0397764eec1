// Browser tests of a server restart as a person sees it: a session in tmux is still there, with its
// history, and still takes typing; a plain-PTY session offers to resume its conversation.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TerminalHostSetting } from '../../src/server/claudeman-config.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';
import {
  CHROMIUM,
  collectErrors,
  ensureWebBuilt,
  launchBrowser,
  SCREENSHOTS,
  terminalText,
} from './browser.js';

const TEST_MS = 60_000;

describe.skipIf(!existsSync(CHROMIUM))('a server restart in the web UI', () => {
  let browser: Browser;
  const servers: ClaudemanTestServer[] = [];
  const temps: Array<ReturnType<typeof makeTempDir>> = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
  }, TEST_MS);

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const temp of temps.splice(0)) temp.remove();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function start(dataDir: string, terminalHost: TerminalHostSetting): Promise<ClaudemanTestServer> {
    const server = await startClaudeman({
      dataDir,
      casesDir: join(dataDir, '..', 'cases'),
      terminalHost,
      env: { ...process.env, FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
    });
    servers.push(server);
    return server;
  }

  async function restart(
    server: ClaudemanTestServer,
    host: TerminalHostSetting,
  ): Promise<ClaudemanTestServer> {
    servers.splice(servers.indexOf(server), 1);
    await server.close({ keepSessions: true });
    return start(server.dataDir, host);
  }

  /**
   * The errors the page should not have shown. While the server is down, the page still open on it
   * retries its sockets, and Chromium logs each refused connection: that is the restart itself.
   */
  function unexpected(errors: string[]): string[] {
    return errors.filter((error) => !error.includes('net::ERR_CONNECTION_REFUSED'));
  }

  async function open(page: Page, server: ClaudemanTestServer, sessionId: string): Promise<void> {
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.locator('#ready').waitFor({ state: 'attached' });
    await page.locator(`.session-tab[data-session-id="${sessionId}"]`).click();
  }

  async function typeInTerminal(page: Page, text: string): Promise<void> {
    await page.locator('.xterm').click();
    await page.keyboard.type(text, { delay: 5 });
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain(text);
    await page.keyboard.press('Enter');
  }

  async function interactiveSession(server: ClaudemanTestServer): Promise<string> {
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    expect((await server.send('POST', `/api/sessions/${created.session.id}/interactive`, {})).status).toBe(
      200,
    );
    return created.session.id;
  }

  it.skipIf(!TMUX_TESTS)(
    'a session in tmux comes back after the restart: its history on screen, still typing',
    async () => {
      const temp = makeTempDir('claudeman-browser-restart-');
      temps.push(temp);
      const first = await start(join(temp.path, 'data'), 'tmux');
      const id = await interactiveSession(first);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors = collectErrors(page);
      await open(page, first, id);
      await expect.poll(() => page.getByTestId('terminal-host').textContent()).toBe('tmux');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('❯');
      await typeInTerminal(page, 'before the restart');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: before the restart');

      const second = await restart(first, 'tmux');
      await open(page, second, id);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: before the restart');
      await typeInTerminal(page, 'after the restart');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: after the restart');
      await page.screenshot({ path: join(SCREENSHOTS, 'tmux-after-restart-1400x900.png') });
      expect(unexpected(errors)).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );

  it(
    'a plain-PTY session says why it stopped and resumes its conversation from a button',
    async () => {
      const temp = makeTempDir('claudeman-browser-restart-');
      temps.push(temp);
      const first = await start(join(temp.path, 'data'), 'pty');
      const id = await interactiveSession(first);
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors = collectErrors(page);
      await open(page, first, id);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('❯');
      await typeInTerminal(page, 'remember this');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: remember this');

      const second = await restart(first, 'pty');
      await open(page, second, id);
      await expect.poll(() => page.getByTestId('stopped-note').textContent()).toContain('resume');
      await page.getByTestId('resume').click();
      await expect
        .poll(() => page.getByTestId('session-state').textContent(), { timeout: 15_000 })
        .not.toBe('exited');
      await expect
        .poll(() => page.getByTestId('session-state').textContent(), { timeout: 15_000 })
        .toBe('idle');
      await typeInTerminal(page, 'after resuming');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: after resuming');
      await page.screenshot({ path: join(SCREENSHOTS, 'resumed-1400x900.png') });
      const session = (await (await second.api(`/api/sessions/${id}`)).json()) as { pid: number | null };
      expect(session.pid).not.toBeNull();
      expect(unexpected(errors)).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );
});
