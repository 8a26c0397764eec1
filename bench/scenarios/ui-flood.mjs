// Web UI scenario: how fast the page answers a click on another session's tab while a 50 MB terminal
// flood streams into the page (Debian's Chromium, driven by playwright-core, as in the browser tests).
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { startClaudeman, TOKEN } from '../lib/claudeman.mjs';
import { metric, percentile, sleep, within } from '../lib/util.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Tab switches measured during the flood, alternating between the quiet and the flooded session. */
const CLICKS = 10;
const FLOOD_CHARS = 50_000_000;

export default {
  name: 'ui-flood',
  title: 'web UI: tab switch while a 50 MB terminal flood streams into the page (Chromium)',
  capMs: 120_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install -y chromium)`);
    const srv = await startClaudeman(ctx);
    const quiet = await srv.createSession();
    const flooded = await srv.createSession();
    for (const id of [quiet, flooded]) {
      await srv.startInteractive(id);
      await srv.waitForPrompt(id);
    }
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      await page.goto(`http://127.0.0.1:${srv.port}/?token=${TOKEN}`);
      await page.locator('#ready').waitFor({ state: 'attached' });
      const tab = (/** @type {string} */ id) => page.locator(`.session-tab[data-session-id="${id}"]`);
      /** Clicks a tab where it is on screen; ms until the page shows it selected. */
      const clickTimed = async (/** @type {string} */ id) => {
        const box = await tab(id).boundingBox();
        if (box === null) throw new Error(`tab ${id} is not on screen`);
        const t0 = performance.now();
        await page.mouse.click(box.x + 24, box.y + box.height / 2);
        await page.locator(`.session-tab[data-session-id="${id}"][aria-selected="true"]`).waitFor();
        return performance.now() - t0;
      };

      await clickTimed(flooded);
      await srv.call('POST', `/api/sessions/${flooded}/input`, { input: `[[big:${FLOOD_CHARS}]]\r` });
      // Measure once the page is behind the flood (the server has started skipping for it).
      const behind = async () =>
        Number(
          // data-skipped-bytes: the name in builds before the terminal frames counted in chars.
          (await page.locator('body').getAttribute('data-skipped-chars')) ??
            (await page.locator('body').getAttribute('data-skipped-bytes')) ??
            0,
        ) > 0;
      await within(
        (async () => {
          while (!(await behind())) await sleep(100);
        })(),
        30_000,
        'the page never fell behind the flood',
      );
      /** @type {number[]} */
      const switches = [];
      for (let i = 0; i < CLICKS; i++) {
        switches.push(await clickTimed(i % 2 === 0 ? quiet : flooded));
        ctx.progress.clicks = switches.length;
        await sleep(200);
      }
      const sorted = [...switches].sort((a, b) => a - b);
      const p50 = percentile(sorted, 50);
      const max = sorted[sorted.length - 1] ?? Number.NaN;
      return {
        metrics: [
          metric('switch_p50_ms', 'tab switch during the flood, p50', p50, 'ms'),
          metric('switch_max_ms', 'tab switch during the flood, max', max, 'ms', { op: '<=', value: 500 }),
        ],
        notes: [`${CLICKS} switches: ${switches.map((ms) => ms.toFixed(0)).join(', ')} ms`],
        data: { switches, p50, max },
      };
    } finally {
      await browser.close();
      await srv.stop();
    }
  },
};
