// Browser tests of the web UI: real headless Chromium (Debian's package, driven by playwright-core)
// against a real server with the fake `claude`. Screenshots go to test-results/ for people to look at.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOOK_SECRET_HEADER } from '../../src/server/rest/routes/hooks.js';
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

// Without Chromium (a developer machine that has not installed it) these tests are skipped; in CI,
// where .ci/run installs it, a missing browser is a failure, never a silent skip.
if (process.env.CI === 'true' && !existsSync(CHROMIUM)) {
  throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium for the browser tests`);
}

describe.skipIf(!existsSync(CHROMIUM))('web UI in Chromium', () => {
  let server: ClaudemanTestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let errors: string[];
  const temp = makeTempDir('claudeman-browser-');
  const record = join(temp.path, 'fake-claude.jsonl');

  beforeAll(async () => {
    ensureWebBuilt();
    server = await startClaudeman({
      env: { ...process.env, FAKE_CLAUDE_RECORD: record, FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
      // Plain PTYs: the flood test measures our own flow control to the page, which tmux would hide
      // by condensing a flood into screen redraws. (tmux sessions are covered by the API tests.)
      terminalHost: 'pty',
    });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    page = await context.newPage();
    errors = collectErrors(page);
  }, TEST_MS);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    temp.remove();
  });

  /** The session ids of the tabs, in order. */
  async function sessionIds(): Promise<string[]> {
    const tabs = await page.locator('.session-tab').all();
    return Promise.all(tabs.map(async (tab) => (await tab.getAttribute('data-session-id')) ?? ''));
  }

  /** Creates a session through the form; returns its id. */
  async function createSession(interactive: boolean): Promise<string> {
    const before = new Set(await sessionIds());
    await page.getByRole('button', { name: '+ New session' }).click();
    const form = page.locator('form.new-session');
    await form.locator('input[name="interactive"]').setChecked(interactive);
    await form.getByRole('button', { name: 'Create session' }).click();
    await expect.poll(() => page.locator('.session-tab').count()).toBe(before.size + 1);
    const ids = await sessionIds();
    const id = ids.find((candidate) => !before.has(candidate));
    if (id === undefined) throw new Error('no new session tab');
    return id;
  }

  /**
   * Clicks a session tab with the mouse where it is on screen, as a person would, and waits until the
   * page shows it selected. (How fast it does during a flood is measured by `bench/` ui-flood.)
   */
  async function clickTab(id: string): Promise<void> {
    const tab = page.locator(`.session-tab[data-session-id="${id}"]`);
    // A tab is redrawn when its session's state changes; measure it again if it was just replaced.
    let box = await tab.boundingBox();
    for (let attempt = 0; box === null && attempt < 20; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      box = await tab.boundingBox();
    }
    if (box === null) throw new Error(`tab ${id} is not on screen`);
    await page.mouse.click(box.x + 24, box.y + box.height / 2);
    await page.locator(`.session-tab[data-session-id="${id}"][aria-selected="true"]`).waitFor();
  }

  async function typeInTerminal(text: string): Promise<void> {
    await page.locator('.xterm').click();
    // Keys one by one, then Enter on its own: the CLI treats text and Enter in one read as a paste.
    await page.keyboard.type(text, { delay: 5 });
    // Keys that reach the CLI in the same read as the Enter make a paste, not a submission: wait
    // until the echo shows them all.
    await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain(text);
    await page.keyboard.press('Enter');
  }

  it(
    'explains the token when it is missing or wrong, and keeps it out of the address bar',
    async () => {
      const anonymous = await browser.newContext();
      const bare = await anonymous.newPage();
      const missing = await bare.goto(server.baseUrl);
      expect(missing?.status()).toBe(401);
      await expect.poll(() => bare.locator('h1').textContent()).toContain('access token needed');
      const wrong = await bare.goto(`${server.baseUrl}/?token=nope`);
      expect(wrong?.status()).toBe(401);
      expect(await bare.locator('main').textContent()).toContain('not the one this server uses');
      await anonymous.close();

      // The API still answers programs with JSON.
      const api = await fetch(`${server.baseUrl}/api/sessions`);
      expect(api.status).toBe(401);
      expect(api.headers.get('content-type')).toContain('application/json');

      await page.goto(`${server.baseUrl}/?token=${server.token}`);
      await page.locator('#ready').waitFor({ state: 'attached' });
      expect(page.url()).toBe(`${server.baseUrl}/`);
      await expect.poll(() => page.locator('#connection').getAttribute('class')).toContain('online');
      // The cookie alone now opens the page.
      await page.reload();
      await page.locator('#ready').waitFor({ state: 'attached' });
    },
    TEST_MS,
  );

  it(
    'creates an interactive session, types into its terminal, sees the reply, and resizes',
    async () => {
      await createSession(true);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('❯');
      await typeInTerminal('hello browser');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: hello browser');
      await expect.poll(() => page.getByTestId('session-state').textContent()).toBe('idle');

      const wide = await page.locator('.terminal-view').getAttribute('data-size');
      await page.screenshot({ path: join(SCREENSHOTS, 'main-1400x900.png') });

      await page.setViewportSize({ width: 900, height: 700 });
      await expect.poll(() => page.locator('.terminal-view').getAttribute('data-size')).not.toBe(wide);
      const narrow = (await page.locator('.terminal-view').getAttribute('data-size')) ?? '';
      const [cols] = narrow.split('x').map(Number);
      // The CLI in the PTY learns the new width (the fake records SIGWINCH).
      await expect
        .poll(() =>
          readFileSync(record, 'utf8')
            .split('\n')
            .filter((line) => line.includes('"resize"'))
            .some((line) => (JSON.parse(line) as { columns?: number }).columns === cols),
        )
        .toBe(true);
      await page.setViewportSize({ width: 1400, height: 900 });
    },
    TEST_MS,
  );

  it(
    'runs a one-shot prompt and shows the rendered result and its cost',
    async () => {
      await createSession(false);
      await page.getByRole('textbox', { name: 'Prompt', exact: true }).fill('summarise the plan please');
      await page.getByRole('button', { name: 'Run' }).click();
      const result = page.getByTestId('run-result');
      await expect.poll(() => result.count(), { timeout: 15_000 }).toBe(1);
      expect(await result.textContent()).toContain('Echo: summarise the plan please');
      // The fake's cost: 0.000235 per word.
      expect(await result.locator('.cost').textContent()).toBe('$0.0009');
      await expect.poll(() => page.getByTestId('session-cost').textContent()).toBe('$0.0009');
      expect(await page.locator('.msg-prompt').textContent()).toContain('summarise the plan please');
      await page.screenshot({ path: join(SCREENSHOTS, 'oneshot-1400x900.png') });
    },
    TEST_MS,
  );

  it(
    'stays responsive through a 50 MB terminal flood',
    async () => {
      const other = await createSession(true);
      const flooded = await createSession(true);
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('❯');
      await typeInTerminal('[[big:50000000]]');
      // Wait until the flood is on screen, then switch tabs in the middle of it.
      await expect
        .poll(async () => (await terminalText(page)).length, { timeout: 15_000 })
        .toBeGreaterThan(2000);
      // The page cannot draw 50 MB as fast as it comes: the server skips, the page says so.
      await expect
        .poll(async () => Number((await page.locator('body').getAttribute('data-skipped-chars')) ?? 0), {
          timeout: 15_000,
        })
        .toBeGreaterThan(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'flood-1400x900.png') });
      await clickTab(other);

      // Back to the flood until it ends (the fake prints its completion line).
      await page.locator(`.session-tab[data-session-id="${flooded}"]`).click();
      await expect
        .poll(() => terminalText(page), { timeout: 45_000, interval: 250 })
        .toMatch(/✻ \w+ for \d+s/);
      await typeInTerminal('still there?');
      await expect.poll(() => terminalText(page), { timeout: 15_000 }).toContain('Echo: still there?');
      await clickTab(other);
    },
    TEST_MS,
  );

  it(
    'switches sessions with Alt+digit and Alt+arrows',
    async () => {
      const ids = await sessionIds();
      await page.keyboard.press('Alt+1');
      await page.locator(`.session-tab[data-session-id="${ids[0]}"][aria-selected="true"]`).waitFor();
      await page.keyboard.press('Alt+ArrowRight');
      await page.locator(`.session-tab[data-session-id="${ids[1]}"][aria-selected="true"]`).waitFor();
      await page.keyboard.press('Alt+ArrowLeft');
      await page.keyboard.press('Alt+ArrowLeft');
      await page
        .locator(`.session-tab[data-session-id="${ids[ids.length - 1]}"][aria-selected="true"]`)
        .waitFor();
    },
    TEST_MS,
  );

  it(
    'drives the autonomy panels: respawn state, a task, a scheduled run counting down',
    async () => {
      // The first session is interactive: start its respawn controller.
      await page.keyboard.press('Alt+1');
      await page.getByRole('button', { name: 'Autonomy' }).click();
      const state = page.getByTestId('respawn-state');
      await expect.poll(() => state.textContent()).toBe('off');
      await page.getByRole('button', { name: 'Start respawn' }).click();
      await expect.poll(() => state.textContent(), { timeout: 15_000 }).not.toBe('off');

      await page.getByLabel('Task prompt').fill('write the release notes');
      await page.getByRole('button', { name: 'Add task' }).click();
      await expect.poll(() => page.locator('.task-list .task').count()).toBe(1);
      expect(await page.locator('.task-list .task').textContent()).toContain('write the release notes');

      await page.getByLabel('Scheduled prompt').fill('[[sleep:60000]] keep improving');
      await page.getByLabel('Duration in minutes').fill('5');
      await page.getByRole('button', { name: 'Schedule' }).click();
      const remaining = page.getByTestId('remaining').first();
      await expect.poll(() => remaining.textContent()).toMatch(/^\d+:\d\d left$/);
      const first = await remaining.textContent();
      await expect.poll(() => remaining.textContent(), { timeout: 5_000 }).not.toBe(first);
      await page.screenshot({ path: join(SCREENSHOTS, 'autonomy-1400x900.png') });

      await page.getByRole('button', { name: 'Cancel' }).first().click();
      await expect.poll(() => page.locator('.scheduled .pill').first().textContent()).toBe('stopped');
      await page.getByRole('button', { name: 'Sessions' }).click();
    },
    TEST_MS,
  );

  it(
    'says when a scheduled run waits out a usage limit, and until when',
    async () => {
      const resetS = Math.ceil(Date.now() / 1000) + 3600;
      const created = await server.send('POST', '/api/scheduled', {
        prompt: `work [[limit:${resetS}]]`,
        durationMinutes: 180,
        maxWaitMinutes: 120,
      });
      expect(created.status).toBe(201);
      const { run } = (await created.json()) as { run: { id: string } };
      await page.getByRole('button', { name: 'Autonomy' }).click();
      const paused = page.getByTestId('paused-until');
      await expect.poll(() => paused.count(), { timeout: 15_000 }).toBe(1);
      expect(await paused.textContent()).toBe(
        `paused until ${await page.evaluate((ms) => new Date(ms).toLocaleTimeString(), resetS * 1000 + 60_000)} (usage limit)`,
      );
      await page.screenshot({ path: join(SCREENSHOTS, 'autonomy-paused-1400x900.png') });
      expect((await server.send('DELETE', `/api/scheduled/${run.id}`)).status).toBe(200);
      await expect.poll(() => paused.count()).toBe(0);
      await page.getByRole('button', { name: 'Sessions' }).click();
    },
    TEST_MS,
  );

  it(
    'shows the supervisor tasks: start a command and see its output',
    async () => {
      await page.getByRole('button', { name: 'Overseer' }).click();
      await page.getByLabel('Command').fill('/bin/echo');
      await page.getByLabel('Arguments').fill('hello from the supervisor');
      await page.getByRole('button', { name: 'Start', exact: true }).click();
      await expect
        .poll(() => page.getByTestId('overseer-output').textContent(), { timeout: 10_000 })
        .toContain('[exited with code 0]');
      const output = await page.getByTestId('overseer-output').textContent();
      expect((output ?? '').split('hello from the supervisor').length - 1).toBe(1);
      await page.screenshot({ path: join(SCREENSHOTS, 'overseer-1400x900.png') });
      await page.getByRole('button', { name: 'Sessions' }).click();
    },
    TEST_MS,
  );

  it(
    'lays out cleanly on a phone (390×844)',
    async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.keyboard.press('Alt+1');
      await expect.poll(() => terminalText(page), { timeout: 10_000 }).toContain('❯');
      // Nothing sticks out sideways.
      // A string expression: the page's globals are not in this (Node) file's types.
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      expect(overflow).toBeLessThanOrEqual(0);
      await page.screenshot({ path: join(SCREENSHOTS, 'main-390x844.png') });
      await page.getByRole('button', { name: '+ New session' }).click();
      await page.screenshot({ path: join(SCREENSHOTS, 'new-session-390x844.png') });
      await page.locator('form.new-session').getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Autonomy' }).click();
      await page.screenshot({ path: join(SCREENSHOTS, 'autonomy-390x844.png'), fullPage: true });
      await page.getByRole('button', { name: 'Sessions' }).click();
      await page.setViewportSize({ width: 1400, height: 900 });
    },
    TEST_MS,
  );

  it(
    'flags a session that needs a person: badge, tab marker and the tab title',
    async () => {
      const created = await server.send('POST', '/api/sessions', {});
      const { session } = (await created.json()) as { session: { id: string } };
      const secret = server.running.sessions.get(session.id)?.hookSecret ?? '';
      // Hooks count only from a running CLI.
      expect((await server.send('POST', `/api/sessions/${session.id}/interactive`, {})).status).toBe(200);
      // What the CLI's Notification hook sends when a tool use waits for approval.
      const hook = await fetch(`${server.baseUrl}/api/hooks/${session.id}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [HOOK_SECRET_HEADER]: secret },
        body: JSON.stringify({
          hook_event_name: 'Notification',
          notification_type: 'permission_prompt',
          message: 'Claude needs your permission to use Bash',
        }),
      });
      expect(hook.status).toBe(200);
      const badge = page.locator('#attention');
      await expect.poll(() => badge.textContent()).toBe('1 needs you');
      expect(await page.title()).toBe('(1) needs you · Claudeman');
      await page.locator(`.session-tab[data-session-id="${session.id}"] .badge`).waitFor();
      await badge.click();
      await page.locator(`.session-tab[data-session-id="${session.id}"][aria-selected="true"]`).waitFor();
      expect(await page.locator('.attention-note').textContent()).toContain('needs your permission');
      await page.screenshot({ path: join(SCREENSHOTS, 'attention-1400x900.png') });
    },
    TEST_MS,
  );

  it(
    'closes a session after confirmation, with no console errors anywhere',
    async () => {
      const count = await page.locator('.session-tab').count();
      await page.locator('.session-tab').last().locator('.tab-close').click();
      await expect.poll(() => page.locator('.session-tab').count(), { timeout: 10_000 }).toBe(count - 1);
      expect(errors).toEqual([]);
    },
    TEST_MS,
  );
});
