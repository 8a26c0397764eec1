// The transcript pane and the agent's state and cost in the session header, in real headless Chromium
// against a real server with the fake `claude` (which writes a transcript JSONL when
// FAKE_CLAUDE_STATE_DIR is set). Screenshots go to test-results/ for people to look at.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import {
  CHROMIUM,
  collectErrors,
  ensureWebBuilt,
  launchBrowser,
  SCREENSHOTS,
  terminalText,
} from './browser.js';

const TEST_MS = 60_000;

if (process.env.CI === 'true' && !existsSync(CHROMIUM)) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for the browser tests`);
}

describe.skipIf(!existsSync(CHROMIUM))('transcript pane in Chromium', () => {
  let server: ClaudemanTestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const temp = makeTempDir('claudeman-transcript-');

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startClaudeman({
      env: {
        ...process.env,
        FAKE_CLAUDE_STATE_DIR: join(temp.path, 'claude-state'),
        FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
      },
      terminalHost: 'pty',
    });
    browser = await launchBrowser();
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    errors = collectErrors(page);
    page.on('response', (response) => {
      if (response.status() >= 500)
        void response
          .text()
          .then((body) => errors.push(`HTTP ${response.status()} ${response.url()} ${body}`));
    });
    await page.goto(`${server.baseUrl}/?token=${server.token}`);
    await page.locator('#ready').waitFor({ state: 'attached' });
    await page.locator('#connection.online').waitFor();
  }, TEST_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    temp.remove();
  });

  async function createSession(interactive: boolean): Promise<void> {
    const before = await page.locator('.session-tab').count();
    await page.getByRole('button', { name: '+ New session' }).click();
    const form = page.locator('form.new-session');
    await form.locator('input[name="interactive"]').setChecked(interactive);
    await form.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => page.locator('.session-tab').count()).toBe(before + 1);
  }

  const pane = () => page.getByTestId('agent-transcript');

  it(
    'shows an interactive conversation in the transcript, with the state and the cost in the header',
    async () => {
      await createSession(true);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('❯');
      await page.locator('.xterm').click();
      const prompt = 'list the files [[tool]]';
      await page.keyboard.type(prompt, { delay: 5 });
      await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain(prompt);
      await page.keyboard.press('Enter');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: list the files');

      // The prompt and the reply, from the CLI's transcript file (not from the screen).
      await expect
        .poll(() => pane().locator('.tx-user').textContent(), { timeout: 15_000 })
        .toContain('list the files');
      await expect
        .poll(() => pane().locator('.tx-assistant').first().textContent(), { timeout: 15_000 })
        .toContain('Echo: list the files');

      const badge = page.getByTestId('agent-state');
      await expect.poll(() => badge.getAttribute('data-state'), { timeout: 15_000 }).toBe('waiting');
      expect(await badge.getAttribute('class')).toContain('state-waiting');
      expect(await page.getByTestId('session-cost').textContent()).toMatch(/^\$\d+\.\d{2,4}$/);
      expect(await page.getByTestId('session-tokens').textContent()).toMatch(/^· [\d.]+k? tokens$/);

      // Hidden and shown again with the header's toggle; the history stays.
      const toggle = page.getByRole('button', { name: 'Transcript' });
      await toggle.click();
      expect(await pane().isHidden()).toBe(true);
      expect(await toggle.getAttribute('aria-pressed')).toBe('false');
      await toggle.click();
      expect(await pane().isVisible()).toBe(true);
      expect(await pane().locator('.tx-user').count()).toBe(1);
      await page.screenshot({ path: join(SCREENSHOTS, 'transcript-interactive-1400x900.png') });
    },
    TEST_MS,
  );

  it(
    'shows a tool call folded, with its input and its result, between the prompt and the reply',
    async () => {
      await createSession(false);
      await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('check the tree [[tool]]');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await expect.poll(() => page.getByTestId('run-result').count(), { timeout: 15_000 }).toBe(1);

      const call = pane().getByTestId('tool-call');
      await expect.poll(() => call.count(), { timeout: 15_000 }).toBe(1);
      expect(await call.locator('summary').textContent()).toContain('Bash');
      // Folded until opened.
      expect(await call.getByTestId('tool-input').isVisible()).toBe(false);
      await call.locator('summary').click();
      const input = JSON.parse((await call.getByTestId('tool-input').textContent()) ?? '') as unknown;
      expect(input).toMatchObject({ command: 'echo fake' });
      await expect.poll(() => call.getByTestId('tool-output').textContent()).toBe('fake');

      // In order: prompt, tool call, reply.
      const kinds = await pane()
        .locator('.tx')
        .evaluateAll((nodes) => nodes.map((node) => node.className));
      const user = kinds.findIndex((name) => name.includes('tx-user'));
      const tool = kinds.findIndex((name) => name.includes('tx-tool'));
      const reply = kinds.findIndex((name) => name.includes('tx-assistant'));
      expect(user).toBeGreaterThanOrEqual(0);
      expect(tool).toBeGreaterThan(user);
      expect(reply).toBeGreaterThan(tool);
      expect(await pane().locator('.tx-assistant').last().textContent()).toContain('Echo: check the tree');

      await expect.poll(() => page.getByTestId('session-cost').textContent()).not.toBe('$0.0000');
      expect(await page.getByTestId('agent-state').count()).toBe(1);
      await page.screenshot({ path: join(SCREENSHOTS, 'transcript-tool-1400x900.png') });

      // The history is paged from the server on a fresh page, too.
      await page.reload();
      await page.locator('#ready').waitFor({ state: 'attached' });
      await page.locator('.session-tab').last().click();
      await expect.poll(() => pane().getByTestId('tool-call').count(), { timeout: 15_000 }).toBe(1);
      expect(errors).toEqual([]);
    },
    TEST_MS,
  );
});
