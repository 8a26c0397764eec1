// Terminal scenario 1: an interactive session floods 20 MB to one SSE client; beside it, the bare PTY.
import { barePtyFlood, CpuWindow, eventJson, FloodCounter, startClaudeman } from '../lib/claudeman.mjs';
import { deferred, metric, sleep, within } from '../lib/util.mjs';

export default {
  name: 'terminal-flood',
  title: 'interactive session floods 20 MB ([[big:20000000]]) to 1 SSE client; bare PTY beside it',
  capMs: 180_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const bytes = ctx.quick ? 5_000_000 : 20_000_000;

    // 1. The bare-PTY limit, before the server exists (nothing else competes for the CPUs).
    const bare = await barePtyFlood(ctx, { bytes, timeoutMs: 60_000 });
    ctx.log(`bare PTY: ${bare.runs.map((r) => r.toFixed(1)).join(' and ')} MB/s`);
    ctx.progress.bareMbPerSec = bare.mbPerSec;
    await sleep(500);

    // 2. The server path: session at its prompt, one SSE client following it.
    const srv = await startClaudeman(ctx);
    const id = await srv.createSession();
    await srv.startInteractive(id);
    await srv.waitForPrompt(id, { idle: true });

    const info = await srv.call('GET', `/api/sessions/${id}`);
    const cliPid = Number(info?.pid);
    // CPU of the server [0] and of the session's CLI [1] from the first flood character to the target-th.
    const cpu = new CpuWindow([srv.pid, cliPid]);
    const counter = new FloodCounter(bytes, { onFirst: () => cpu.start(), onTarget: () => cpu.end() });
    /** @type {Record<string, number>} */
    const types = {};
    let resyncs = 0;
    let firstResyncAt = Number.NaN;
    let terminalEvents = 0;
    let biggestEvent = 0;
    let gotInit = false;
    const initSeen = deferred();
    /** @type {string[]} */
    const oddities = [];
    let exitSeen = '';
    /** @type {import('../lib/claudeman.mjs').SseHandler} */
    const onevent = (type, buf, s, e) => {
      const now = performance.now();
      types[type] = (types[type] ?? 0) + 1;
      if (type === 'session:terminal') {
        terminalEvents++;
        const data = eventJson(buf, s, e).data.data;
        if (data.length > biggestEvent) biggestEvent = data.length;
        counter.feed(data, now);
        ctx.progress.received = counter.received;
      } else if (type === 'init') {
        gotInit = true;
        initSeen.resolve(undefined);
      } else if (type === 'resync') {
        resyncs++;
        if (Number.isNaN(firstResyncAt)) firstResyncAt = counter.received;
      } else if (type === 'session:exit') {
        exitSeen = buf.toString('utf8', s, e).slice(0, 300);
        const err = new Error(`the session's CLI exited during the flood: ${exitSeen}`);
        counter.reached.reject(err);
        counter.finished.reject(err);
      }
    };
    const sse = await srv.events(`sessions=${encodeURIComponent(id)}`, onevent);
    ctx.sockets.push(/** @type {any} */ ({ destroy: () => sse.close() }));
    sse.closed.then((why) => {
      const err = new Error(`event stream ended: ${why}`);
      counter.reached.reject(err);
      counter.finished.reject(err);
    });
    await within(initSeen.promise, 10_000, 'no init event on the event stream');
    await sleep(300);

    const rssBaseKB = srv.rssKB();
    let rssPeakKB = rssBaseKB;
    const sampler = setInterval(() => {
      const r = srv.rssKB();
      if (r > rssPeakKB) rssPeakKB = r;
    }, 100);
    const tSubmit = performance.now();
    try {
      await srv.call('POST', `/api/sessions/${id}/input`, { input: `[[big:${bytes}]]\r` });
      await within(
        counter.reached.promise,
        90_000,
        `flood incomplete: ${counter.received.toLocaleString('en-US')} of ${bytes.toLocaleString('en-US')} characters`,
      );
      let doneErr = '';
      await within(counter.finished.promise, 30_000, 'the turn did not end').catch((e) => {
        doneErr = e.message;
      });
      if (doneErr) oddities.push(doneErr);
    } finally {
      clearInterval(sampler);
    }
    const r = srv.rssKB();
    if (r > rssPeakKB) rssPeakKB = r;
    const hwmKB = srv.hwmKB();
    const elapsedMs = counter.tTarget - counter.tFirst;
    const serverCpuMs = cpu.pidMs[0] ?? Number.NaN;
    const cliCpuMs = cpu.pidMs[1] ?? Number.NaN;
    const clientCpuMs = cpu.selfMs;
    sse.close();
    const stop = await srv.stop();

    const rate = counter.mbPerSec;
    const pctOfBare = (rate / bare.mbPerSec) * 100;
    const incomplete = resyncs
      ? `INCOMPLETE: ${resyncs} resync(s), output lost`
      : counter.tTarget
        ? undefined
        : 'INCOMPLETE: flood not received';
    if (!gotInit) oddities.push('no init event');
    if (
      Number.isFinite(bare.totalAtDone) &&
      Number.isFinite(counter.totalAtDone) &&
      bare.totalAtDone !== counter.totalAtDone
    ) {
      oddities.push(
        `characters from the first reply line to the end of the turn: ${counter.totalAtDone.toLocaleString('en-US')} over SSE ` +
          `vs ${bare.totalAtDone.toLocaleString('en-US')} on the bare PTY: OUTPUT LOST OR DUPLICATED`,
      );
    }
    const notes = [
      `server: ${bytes.toLocaleString('en-US')} characters in ${(elapsedMs / 1000).toFixed(2)} s over ${counter.chunks} session:terminal events ` +
        `(avg ${Math.round(counter.received / Math.max(1, counter.chunks)).toLocaleString('en-US')}, biggest ${biggestEvent.toLocaleString('en-US')} chars); ` +
        `first reply character ${(counter.tFirst - tSubmit).toFixed(0)} ms after the input POST`,
      `bare PTY (better of ${bare.runs.map((r) => r.toFixed(1)).join(' and ')} MB/s): ${(bare.elapsedMs / 1000).toFixed(2)} s over ${bare.chunks} reads; ` +
        `whole reply incl. end of turn: ${bare.totalAtDone.toLocaleString('en-US')} chars bare, ` +
        `${counter.totalAtDone.toLocaleString('en-US')} over SSE${bare.doneErr ? ` (${bare.doneErr})` : ''}`,
      `CPU during the flood: server ${(serverCpuMs / 1000).toFixed(2)} s, its CLI process ${(cliCpuMs / 1000).toFixed(2)} s, ` +
        `bench client ${(clientCpuMs / 1000).toFixed(2)} s; bare PTY: CLI ${(bare.cliCpuMs / 1000).toFixed(2)} s, ` +
        `node-pty reader ${(bare.readerCpuMs / 1000).toFixed(2)} s`,
      `server RSS ${Math.round(rssBaseKB / 1024)} MB before, peak ${Math.round(rssPeakKB / 1024)} MB sampled, VmHWM ${Math.round(hwmKB / 1024)} MB`,
      `events seen: ${Object.entries(types)
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')}; resyncs ${resyncs}${resyncs ? ` (first after ${firstResyncAt} chars)` : ''}`,
      'the seed-era program: 19.9 MB/s',
      ...oddities,
    ];
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric(
          'mb_per_sec',
          'terminal MB/s to 1 SSE client',
          rate,
          'MB/s',
          { op: '>=', value: 35 },
          incomplete,
        ),
        metric(
          'bare_pty_mb_per_sec',
          'bare PTY limit (node-pty, no server, best of 2)',
          bare.mbPerSec,
          'MB/s',
        ),
        metric('pct_of_bare', 'server path / bare PTY', pctOfBare, '%', { op: '>=', value: 80 }, incomplete),
        metric('server_cpu_pct', 'server CPU during flood', (serverCpuMs / elapsedMs) * 100, '%'),
        metric('server_rss_peak_mb', 'server RSS peak (VmHWM)', hwmKB / 1024, 'MB'),
        metric('resyncs', 'resync events', resyncs, 'events', { op: '<=', value: 0 }),
      ],
      notes,
      data: {
        bytes,
        bare,
        elapsedMs,
        chunks: counter.chunks,
        biggestEvent,
        terminalEvents,
        totalAtDone: counter.totalAtDone,
        serverCpuMs,
        cliCpuMs,
        clientCpuMs,
        rssBaseKB,
        rssPeakKB,
        hwmKB,
        resyncs,
        types,
        shutdown: stop,
      },
    };
  },
};
