// Terminal scenario 2: memory of the server per idle interactive session (the CLI processes not counted).
import { childrenRssKB, claudemanCommand, startClaudeman } from '../lib/claudeman.mjs';
import { metric, percentile, sleep } from '../lib/util.mjs';

/**
 * The server's RSS once it has settled, KiB: read every 250 ms; after at least `minWaitMs` (V8's memory
 * reducer shrinks the heap some seconds after activity stops), the median of the last `windowMs` of
 * readings as soon as they stay within `tolKB` of each other (else, at `maxWaitMs`, of the last window).
 * @param {import('../lib/claudeman.mjs').ClaudemanHandle} srv
 * @param {{minWaitMs?: number, windowMs?: number, maxWaitMs?: number, tolKB?: number}} [o]
 * @returns {Promise<{kb: number, stable: boolean, waitedMs: number, trace: number[]}>}
 */
async function settledRss(
  srv,
  { minWaitMs = 12_000, windowMs = 3000, maxWaitMs = 30_000, tolKB = 128 } = {},
) {
  const t0 = performance.now();
  /** @type {number[]} */
  const trace = [];
  const per = 250;
  const span = Math.round(windowMs / per);
  for (;;) {
    trace.push(srv.rssKB());
    const waited = performance.now() - t0;
    const win = trace.slice(-span);
    const stable = win.length === span && Math.max(...win) - Math.min(...win) <= tolKB;
    if ((waited >= minWaitMs && stable) || waited >= maxWaitMs) {
      return {
        kb: percentile(
          [...win].sort((x, y) => x - y),
          50,
        ),
        stable,
        waitedMs: waited,
        trace,
      };
    }
    await sleep(per);
  }
}

/**
 * Wait until every listed session reports status idle (GET /api/sessions, every 250 ms).
 * @param {import('../lib/claudeman.mjs').ClaudemanHandle} srv
 * @param {string[]} ids
 * @param {number} timeoutMs
 * @returns {Promise<{idle: number, statuses: Record<string, number>}>}
 */
async function waitAllIdle(srv, ids, timeoutMs) {
  const want = new Set(ids);
  const deadline = performance.now() + timeoutMs;
  /** @type {Record<string, number>} */
  let statuses = {};
  for (;;) {
    const list = await srv.call('GET', '/api/sessions');
    statuses = {};
    let idle = 0;
    for (const s of Array.isArray(list) ? list : []) {
      if (!want.has(s.id)) continue;
      statuses[s.status] = (statuses[s.status] ?? 0) + 1;
      if (s.status === 'idle') idle++;
    }
    if (idle === want.size || performance.now() > deadline) return { idle, statuses };
    await sleep(250);
  }
}

export default {
  name: 'terminal-idle',
  title: '20 interactive sessions idle at their prompt: server RSS per session',
  capMs: 180_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const n = ctx.quick ? 5 : 20;
    // With the inspector on, a full garbage collection before each reading takes the garbage of the
    // moment (and when V8 last happened to collect) out of the figure.
    const viaNode = claudemanCommand().command === process.execPath;
    const srv = await startClaudeman(ctx, { inspect: viaNode });
    const insp = viaNode ? await srv.inspector() : null;
    ctx.sockets.push(/** @type {any} */ ({ destroy: () => insp?.close() }));
    /** Full GC (when possible), then the settled RSS. */
    const measure = async () => {
      const noGcKB = srv.rssKB();
      const heap = insp ? await insp.gc() : null;
      const rss = await settledRss(srv, { minWaitMs: insp ? 1500 : 12_000 });
      return { ...rss, heap, noGcKB };
    };

    // Warm-up: one session through the same paths, so first-use costs are not charged to the 20.
    const warmId = await srv.createSession();
    await srv.startInteractive(warmId);
    await srv.waitForPrompt(warmId, { idle: true });
    await waitAllIdle(srv, [warmId], 10_000);
    await sleep(1000);
    const b = await measure();
    const before = b.kb;
    const cliBefore = childrenRssKB(srv.pid);

    /** @type {string[]} */
    const ids = [];
    /** @type {number[]} */
    const promptMs = [];
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const id = await srv.createSession();
      ids.push(id);
      await srv.startInteractive(id);
      const w = await srv.waitForPrompt(id, { everyMs: 50 });
      promptMs.push(w.promptMs);
      ctx.progress.started = ids.length;
    }
    const startMs = performance.now() - t0;
    const { idle, statuses } = await waitAllIdle(srv, ids, 30_000);
    await sleep(1000);
    const a = await measure();
    const after = a.kb;
    await insp?.close();
    const cli = childrenRssKB(srv.pid);
    const stop = await srv.stop();

    const perSession = (after - before) / n;
    const heapPerSession = a.heap && b.heap ? (a.heap.usedKB - b.heap.usedKB) / n : Number.NaN;
    const sortedPrompt = [...promptMs].sort((a, b) => a - b);
    const notes = [
      `server RSS ${(before / 1024).toFixed(2)} MB after the warm-up session (settled ${(b.waitedMs / 1000).toFixed(0)} s` +
        `${b.stable ? '' : ', NOT STABLE'}), ${(after / 1024).toFixed(2)} MB with ${n} more idle sessions (settled ` +
        `${(a.waitedMs / 1000).toFixed(0)} s${a.stable ? '' : ', NOT STABLE'}); readings 250 ms apart in the data; ` +
        (insp
          ? `each after a full GC through the inspector; V8 heap in use ${(b.heap?.usedKB ?? 0).toFixed(0)} KB → ${(a.heap?.usedKB ?? 0).toFixed(0)} KB`
          : 'no forced GC (the server is not a node script): the figure includes garbage'),
      `without the forced GC (one reading just before it): ${(b.noGcKB / 1024).toFixed(2)} MB → ${(a.noGcKB / 1024).toFixed(2)} MB ` +
        `(${((a.noGcKB - b.noGcKB) / n).toFixed(0)} KB per session; garbage and GC timing decide that one)`,
      `${n} sessions started one after another in ${(startMs / 1000).toFixed(1)} s; ❯ prompt after ` +
        `p50 ${percentile(sortedPrompt, 50).toFixed(0)} ms, max ${(sortedPrompt[sortedPrompt.length - 1] ?? Number.NaN).toFixed(0)} ms; ` +
        `${idle}/${n} reported idle (${JSON.stringify(statuses)})`,
      `not counted: ${cli.count} CLI processes with ${(cli.total / 1024).toFixed(0)} MB RSS in all ` +
        `(${(cli.total / Math.max(1, cli.count) / 1024).toFixed(1)} MB each; ${cliBefore.count} before)`,
    ];
    if (idle < n) notes.push(`${n - idle} session(s) never reported idle`);
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric(
          'kb_per_idle_session',
          'server RSS per idle session',
          perSession,
          'KB',
          { op: '<=', value: 64 },
          idle < n ? `INCOMPLETE: ${n - idle} session(s) not idle` : undefined,
        ),
        metric('heap_kb_per_idle_session', 'of which V8 heap per idle session', heapPerSession, 'KB'),
        metric('server_rss_mb', `server RSS with ${n + 1} idle sessions`, after / 1024, 'MB'),
        metric(
          'cli_rss_mb',
          `CLI processes' RSS (not counted), ${cli.count} processes`,
          cli.total / 1024,
          'MB',
        ),
      ],
      notes,
      data: {
        n,
        beforeKB: before,
        afterKB: after,
        perSession,
        heapPerSession,
        heapBefore: b.heap,
        heapAfter: a.heap,
        traceBeforeKB: b.trace,
        traceAfterKB: a.trace,
        promptMs,
        startMs,
        statuses,
        cliRssKB: cli.total,
        cliCount: cli.count,
        shutdown: stop,
      },
    };
  },
};
