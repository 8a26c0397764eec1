// The terminal as a view, in real Chromium: a session's history is in the page's scrollback (tmux's
// pane history, or a plain PTY's own output), the mouse wheel scrolls it and never types into the
// agent, and two pages of different sizes share one agent terminal: the one that typed last sizes
// it, the other shows it letterboxed and says so, until it types. Screenshots in test-results/.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
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
const LINES = 400;

describe.skipIf(!existsSync(CHROMIUM))('the terminal view in Chromium', () => {
  let browser: Browser;
  let server: ClaudemanTestServer | null = null;
  const temps: Array<ReturnType<typeof makeTempDir>> = [];

  beforeAll(async () => {
    ensureWebBuilt();
    browser = await launchBrowser();
  }, TEST_MS);

  afterEach(async () => {
    await server?.close();
    server = null;
    for (const temp of temps.splice(0)) temp.remove();
  });

  afterAll(async () => {
    await browser?.close();
  });

  /**
   * An agent that prints LINES numbered lines, then a prompt, and records every byte it reads (raw
   * mode: nothing a line editor would hide), so a test sees exactly what the page typed.
   */
  function recordingAgent(dir: string, lines = LINES): { bin: string; received: () => string } {
    const log = join(dir, 'received');
    const bin = join(dir, 'history-agent');
    writeFileSync(
      bin,
      `#!${process.execPath}
const { appendFileSync } = require('node:fs');
process.stdin.setRawMode(true);
for (let i = 1; i <= ${lines}; i++) process.stdout.write('history line ' + i + '\\r\\n');
process.stdout.write('agent> ');
process.stdin.on('data', (chunk) => {
  appendFileSync(${JSON.stringify(log)}, chunk);
  process.stdout.write(chunk.toString().replace(/\\r/g, '\\r\\n'));
});
`,
    );
    chmodSync(bin, 0o755);
    return { bin, received: () => (existsSync(log) ? readFileSync(log, 'latin1') : '') };
  }

  async function startSession(host: TerminalHostSetting, claudeBin?: string): Promise<string> {
    server = await startClaudeman({
      terminalHost: host,
      env: { ...process.env, FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
      ...(claudeBin === undefined ? {} : { claudeBin }),
    });
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    expect(
      (await server.send('POST', `/api/sessions/${id}/interactive`, { cols: 120, rows: 40 })).status,
    ).toBe(200);
    return id;
  }

  async function openPage(
    width: number,
    height: number,
    id: string,
  ): Promise<{ page: Page; errors: string[] }> {
    if (server === null) throw new Error('no server');
    const page = await browser.newPage({ viewport: { width, height } });
    const errors = collectErrors(page);
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.locator('#ready').waitFor({ state: 'attached' });
    await page.locator(`.session-tab[data-session-id="${id}"]`).click();
    await page.getByTestId('terminal').waitFor();
    return { page, errors };
  }

  const number = async (page: Page, attribute: string): Promise<number> =>
    Number((await page.getByTestId('terminal').getAttribute(`data-${attribute}`)) ?? Number.NaN);
  const view = (page: Page) => page.locator('.terminal-view');
  // A string expression: the page's globals are not in this (Node) file's types.
  const noteOpacity = (page: Page) =>
    page.evaluate<string>("getComputedStyle(document.querySelector('.terminal-size-note')).opacity");

  for (const host of ['tmux', 'pty'] as const) {
    it.skipIf(host === 'tmux' && !TMUX_TESTS)(
      `has the session's history as scrollback, and the wheel scrolls it without typing (${host})`,
      async () => {
        const temp = makeTempDir('claudeman-browser-view-');
        temps.push(temp);
        const agent = recordingAgent(temp.path);
        const id = await startSession(host, agent.bin);
        // The agent printed everything before this page opened: what it scrolls back to is history.
        await expect
          .poll(() => server?.running.sessions.get(id)?.text.toString().includes('agent>'))
          .toBe(true);
        const { page, errors } = await openPage(1400, 900, id);
        await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('agent>');
        const rows = await number(page, 'rows');
        await expect.poll(() => number(page, 'buffer-length')).toBeGreaterThan(rows + 300);
        expect(await page.getByTestId('terminal').getAttribute('data-buffer-type')).toBe('normal');
        const bottom = await number(page, 'base-y');
        expect(await number(page, 'viewport-y')).toBe(bottom);
        await page.screenshot({ path: join(SCREENSHOTS, `view-history-${host}-bottom.png`) });

        const box = await page.locator('.xterm-screen').boundingBox();
        if (box === null) throw new Error('no terminal on screen');
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        for (let notch = 0; notch < 15; notch++) await page.mouse.wheel(0, -120);
        await expect.poll(() => number(page, 'viewport-y')).toBeLessThan(bottom - 20);
        // Far enough up, the first lines of the history show.
        for (let notch = 0; notch < 200; notch++) await page.mouse.wheel(0, -400);
        await expect.poll(() => number(page, 'viewport-y')).toBe(0);
        await expect.poll(() => terminalText(page)).toContain('history line 1history line 2');
        await page.screenshot({ path: join(SCREENSHOTS, `view-history-${host}-top.png`) });
        for (let notch = 0; notch < 10; notch++) await page.mouse.wheel(0, 240);
        await expect.poll(() => number(page, 'viewport-y')).toBeGreaterThan(0);
        // Each history line is there once, in order.
        expect(await terminalText(page)).not.toMatch(/history line (\d+)history line \1\D/);

        // Not one byte of all that wheeling reached the agent; typing still does, once.
        await new Promise((resolve) => setTimeout(resolve, 300));
        expect(agent.received()).toBe('');
        await page.locator('.xterm').click();
        await page.keyboard.type('typed', { delay: 5 });
        await expect.poll(() => agent.received()).toBe('typed');
        // Typing brought the view back to the bottom, where the echo is.
        await expect.poll(() => number(page, 'viewport-y')).toBe(await number(page, 'base-y'));
        expect(errors).toEqual([]);
        await page.close();
      },
      TEST_MS,
    );
  }

  it(
    'sends no keys for the wheel on a screen without scrollback',
    async () => {
      const temp = makeTempDir('claudeman-browser-view-');
      temps.push(temp);
      const agent = recordingAgent(temp.path, 3);
      const id = await startSession('pty', agent.bin);
      const { page, errors } = await openPage(1400, 900, id);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('agent>');
      expect(await number(page, 'base-y')).toBe(0);
      const box = await page.locator('.xterm-screen').boundingBox();
      if (box === null) throw new Error('no terminal on screen');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      // xterm.js on its own sends Up/Down for these (there is nothing to scroll).
      for (let notch = 0; notch < 5; notch++) await page.mouse.wheel(0, -120);
      for (let notch = 0; notch < 5; notch++) await page.mouse.wheel(0, 120);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(agent.received()).toBe('');
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );

  it.skipIf(!TMUX_TESTS)(
    'brings a burst printed while watching a tmux session into the scrollback when scrolling back',
    async () => {
      const temp = makeTempDir('claudeman-browser-view-');
      temps.push(temp);
      const shell = join(temp.path, 'shell-agent');
      writeFileSync(shell, "#!/bin/sh\nPS1='$ ' exec /bin/sh -i\n");
      chmodSync(shell, 0o755);
      const id = await startSession('tmux', shell);
      const { page, errors } = await openPage(1400, 900, id);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('$');
      await page.locator('.xterm').click();
      await page.keyboard.type('seq 1 500 | sed "s/^/burst line /"');
      await page.keyboard.press('Enter');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('burst line 500');
      // tmux drew the burst as a redraw: most of it went past this page's scrollback.
      const rows = await number(page, 'rows');
      const box = await page.locator('.xterm-screen').boundingBox();
      if (box === null) throw new Error('no terminal on screen');
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -120);
      await expect.poll(() => number(page, 'buffer-length'), { timeout: 10_000 }).toBeGreaterThan(rows + 440);
      for (let notch = 0; notch < 200; notch++) await page.mouse.wheel(0, -400);
      await expect.poll(() => number(page, 'viewport-y')).toBe(0);
      await expect.poll(() => terminalText(page)).toContain('burst line 1burst line 2burst line 3');
      await page.screenshot({ path: join(SCREENSHOTS, 'view-burst-tmux-top.png') });
      expect(errors).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );

  it(
    'sends what was typed while disconnected once after the reconnect, and says what waits',
    async () => {
      const temp = makeTempDir('claudeman-browser-view-');
      temps.push(temp);
      const agent = recordingAgent(temp.path, 3);
      const id = await startSession('pty', agent.bin);
      if (server === null) throw new Error('no server');
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const errors = collectErrors(page);
      // Every terminal socket of the page goes through here: cut, held down, or losing acknowledgements.
      let down = false;
      let dropAcks = false;
      const open: Array<{ close(): Promise<void> }> = [];
      await page.routeWebSocket(/\/terminal$/, (ws) => {
        if (down) {
          void ws.close({ code: 1011, reason: 'test: network down' });
          return;
        }
        const upstream = ws.connectToServer();
        upstream.onMessage((message) => {
          if (dropAcks && String(message).includes('"inputAck"')) return;
          ws.send(message);
        });
        open.push(ws);
      });
      await page.goto(`${server.baseUrl}/?token=${server.token}`);
      await page.locator('#ready').waitFor({ state: 'attached' });
      await page.locator(`.session-tab[data-session-id="${id}"]`).click();
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('agent>');
      const banner = page.locator('.terminal-banner');

      // Typed while the network is down: kept, counted in the banner, sent after the reconnect.
      down = true;
      for (const ws of open.splice(0)) await ws.close();
      await expect.poll(() => banner.textContent()).toContain('disconnected');
      await page.locator('.xterm').click();
      await page.keyboard.type('abc', { delay: 5 });
      await expect.poll(() => banner.textContent()).toContain('3 keystrokes waiting to be sent');
      await page.screenshot({ path: join(SCREENSHOTS, 'view-input-waiting.png') });
      expect(agent.received()).toBe('');
      down = false;
      await expect.poll(() => agent.received(), { timeout: 15_000 }).toBe('abc');
      await expect.poll(() => banner.isHidden()).toBe(true);
      await expect.poll(() => view(page).getAttribute('data-pending-input')).toBe('0');

      // Sent, applied, but the acknowledgements lost with the connection: resent, applied once.
      dropAcks = true;
      await page.keyboard.type('de', { delay: 5 });
      await expect.poll(() => agent.received()).toBe('abcde');
      await expect.poll(() => view(page).getAttribute('data-pending-input')).toBe('2');
      dropAcks = false;
      for (const ws of open.splice(0)) await ws.close();
      await expect.poll(() => view(page).getAttribute('data-pending-input'), { timeout: 15_000 }).toBe('0');
      await page.keyboard.type('f', { delay: 5 });
      await expect.poll(() => agent.received()).toBe('abcdef');
      await expect.poll(() => view(page).getAttribute('data-pending-input')).toBe('0');

      // More than the page keeps while down is refused, visibly; nothing of it arrives later.
      down = true;
      for (const ws of open.splice(0)) await ws.close();
      await expect.poll(() => banner.textContent()).toContain('disconnected');
      await page.keyboard.insertText('x'.repeat(70 * 1024));
      await expect.poll(() => banner.textContent()).toContain('Typing refused');
      await page.screenshot({ path: join(SCREENSHOTS, 'view-input-refused.png') });
      down = false;
      // Back: the refusal stays on show until typing goes through again.
      await expect.poll(() => banner.textContent(), { timeout: 15_000 }).not.toContain('disconnected');
      expect(await banner.textContent()).toContain('Typing refused');
      await page.keyboard.type('g', { delay: 5 });
      await expect.poll(() => agent.received()).toBe('abcdefg');
      await expect.poll(() => banner.isHidden()).toBe(true);
      // Its box changed with the banner while it was away: still this page's size (it holds it).
      await expect.poll(() => view(page).getAttribute('data-letterboxed')).toBe('false');
      expect(errors.filter((error) => !error.includes('WebSocket'))).toEqual([]);
      await page.close();
    },
    TEST_MS,
  );

  it(
    'letterboxes the page whose size the agent does not have, until it types',
    async () => {
      const id = await startSession('pty');
      const big = await openPage(1400, 900, id);
      await expect.poll(() => terminalText(big.page), { timeout: 15_000 }).toContain('❯');
      // The first page sizes the agent for itself.
      const bigSize = await view(big.page).getAttribute('data-size');
      await expect.poll(() => view(big.page).getAttribute('data-agent-size')).toBe(bigSize);
      expect(await view(big.page).getAttribute('data-letterboxed')).toBe('false');
      await big.page.locator('.xterm').click();
      await big.page.keyboard.type('from the big page', { delay: 5 });
      await expect.poll(() => terminalText(big.page)).toContain('from the big page');

      // A smaller page: drawn at the big page's size, letterboxed, with a note.
      const small = await openPage(1000, 650, id);
      await expect.poll(() => terminalText(small.page), { timeout: 15_000 }).toContain('from the big page');
      await expect.poll(() => view(small.page).getAttribute('data-agent-size')).toBe(bigSize);
      expect(await view(small.page).getAttribute('data-size')).not.toBe(bigSize);
      await expect.poll(() => view(small.page).getAttribute('data-letterboxed')).toBe('true');
      await expect
        .poll(() => small.page.locator('.terminal-size-note').textContent())
        .toContain('type to take over');
      await expect.poll(() => noteOpacity(small.page)).toBe('1');
      await small.page.screenshot({ path: join(SCREENSHOTS, 'view-letterboxed-small-1000x650.png') });
      // The big page is not disturbed by the small one opening.
      expect(await view(big.page).getAttribute('data-agent-size')).toBe(bigSize);
      expect(await view(big.page).getAttribute('data-letterboxed')).toBe('false');

      // The small page types: it takes the size over, and now the big page is letterboxed.
      await small.page.locator('.xterm').click();
      await small.page.keyboard.type(' and the small one', { delay: 5 });
      const smallSize = await view(small.page).getAttribute('data-size');
      await expect.poll(() => view(small.page).getAttribute('data-agent-size')).toBe(smallSize);
      await expect.poll(() => view(small.page).getAttribute('data-letterboxed')).toBe('false');
      await expect.poll(() => view(big.page).getAttribute('data-agent-size')).toBe(smallSize);
      await expect.poll(() => view(big.page).getAttribute('data-letterboxed')).toBe('true');
      const [cols, rows] = (smallSize ?? '').split('x').map(Number);
      expect(server?.running.sessions.get(id)?.terminalSize).toEqual({ cols, rows });
      await expect.poll(() => noteOpacity(big.page)).toBe('1');
      await big.page.screenshot({ path: join(SCREENSHOTS, 'view-letterboxed-big-1400x900.png') });
      await small.page.screenshot({ path: join(SCREENSHOTS, 'view-typist-small-1000x650.png') });
      expect([...big.errors, ...small.errors]).toEqual([]);
      await big.page.close();
      await small.page.close();
    },
    TEST_MS,
  );
});
