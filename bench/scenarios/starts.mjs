// Scenario 5: 1,000 pipelined task starts, memory per task, `list` round trip, stop all.
import { which } from '../lib/flood.mjs';
import { procInfo, procState } from '../lib/proc.mjs';
import { deferred, metric, percentile, sleep, within } from '../lib/util.mjs';
import { connect, frameType, parseFrame } from '../lib/wsclient.mjs';

export default {
  name: 'starts',
  title: '1,000 task starts (sleep 600), list with 1,000 tasks, stop all',
  capMs: 150_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const n = ctx.quick ? 200 : 1000;
    const sleepBin = which('sleep');
    const srv = await ctx.startServer();
    const ws = await connect(srv.port);
    ctx.track(ws);
    await warmUp(ws, 50);
    await sleep(500);
    // Memory per task is the marginal cost of a task: first-use costs (code paths compiled, pools
    // and the database file grown by the first starts) are paid by the warm-up above.
    const rssBefore = srv.rssKB();

    /** @type {Map<string, {pid: number, start: string} | null>} task_id → child identity */
    const children = new Map();
    /** @type {string[]} */
    const errors = [];
    /** @type {string[]} */
    const oddities = [];
    let started = 0;
    let exitedCount = 0;
    let exitedIntentional = 0;
    /** @type {((buf: Buffer, off: number, len: number) => void) | null} */
    let onTasks = null;
    const allStarted = deferred();
    const allExited = deferred();
    ws.onmessage = (buf, off, len) => {
      const type = frameType(buf, off, len);
      if (type === 'tasks' && onTasks) {
        onTasks(buf, off, len);
        return;
      }
      const m = parseFrame(buf, off, len);
      if (type === 'started') {
        started++;
        const info = procInfo(m.pid);
        children.set(m.task_id, info);
        if (!info && oddities.length < 10) oddities.push(`child pid ${m.pid} not found right after started`);
        ctx.progress.started = started;
      } else if (type === 'error') {
        errors.push(m.message);
      } else if (type === 'exited') {
        exitedCount++;
        if (m.intentional) exitedIntentional++;
        ctx.progress.exited = exitedCount;
        if (exitedCount >= n) allExited.resolve(undefined);
      } else if (oddities.length < 10) {
        oddities.push(`unexpected ${type}: ${JSON.stringify(m).slice(0, 200)}`);
      }
      if (started + errors.length === n) allStarted.resolve(undefined);
    };
    ws.closed.then((c) => {
      const e = new Error(`connection closed by server: ${c.code} ${c.reason}`);
      allStarted.reject(e);
      allExited.reject(e);
    });

    // 1. Pipelined starts.
    const cpu0 = srv.cpuMs();
    const t0 = performance.now();
    ws.sendMany(
      Array.from({ length: n }, (_, i) => ({ type: 'start', command: sleepBin, args: ['600'], id: `s${i}` })),
    );
    await within(allStarted.promise, 60_000, `only ${started} of ${n} tasks started`);
    const startMs = performance.now() - t0;
    const startCpuMs = srv.cpuMs() - cpu0;
    await sleep(500);
    const rssAfter = srv.rssKB();
    const kbPerTask = (rssAfter - rssBefore) / n;

    // 2. list round trips.
    /** @type {number[]} */
    const rtts = [];
    let listed = Number.NaN;
    let listBytes = 0;
    for (let i = 0; i < 5; i++) {
      const got = deferred();
      const tl = performance.now();
      onTasks = (buf, off, len) => {
        const rtt = performance.now() - tl;
        listBytes = len;
        const tasks = parseFrame(buf, off, len).tasks;
        listed = Array.isArray(tasks) ? tasks.length : Number.NaN;
        got.resolve(rtt);
      };
      ws.send({ type: 'list', id: `l${i}` });
      rtts.push(await within(got.promise, 20_000, 'no tasks reply to list'));
    }
    onTasks = null;

    // 3. Stop everything and check that every child is gone.
    const ts = performance.now();
    ws.sendMany([...children.keys()].map((task_id) => ({ type: 'stop', task_id })));
    let stopErr = '';
    try {
      await within(allExited.promise, 30_000, `only ${exitedCount} of ${started} exited events after stop`);
    } catch (e) {
      stopErr = /** @type {Error} */ (e).message;
    }
    const stopMs = performance.now() - ts;
    let alive = 0;
    let zombies = 0;
    const until = performance.now() + 5000;
    do {
      alive = 0;
      zombies = 0;
      for (const p of children.values()) {
        if (!p) continue;
        const s = procState(p);
        if (s === 'alive') alive++;
        else if (s === 'zombie') zombies++;
      }
      if (alive + zombies === 0) break;
      await sleep(100);
    } while (performance.now() < until);
    await ws.close();
    const stop = await srv.stop();

    const sortedRtt = [...rtts].sort((a, b) => a - b);
    const notes = [
      `${started}/${n} started in ${(startMs / 1000).toFixed(2)} s (server CPU ${(startCpuMs / 1000).toFixed(2)} s); ` +
        `${errors.length} error replies${errors.length ? `, first: ${errors[0]}` : ''}`,
      `server RSS ${Math.round(rssBefore / 1024)} MB before, ${Math.round(rssAfter / 1024)} MB after ${n} tasks`,
      `list: ${listed} tasks, ${Math.round(listBytes / 1024)} KiB; round trips ${rtts.map((r) => r.toFixed(1)).join(', ')} ms`,
      `stop all: ${exitedCount} exited events (${exitedIntentional} intentional) in ${(stopMs / 1000).toFixed(2)} s; ` +
        `children still alive ${alive}, zombies ${zombies}${stopErr ? `; ${stopErr}` : ''}`,
      ...oddities,
    ];
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric('starts_per_sec', 'task starts/s (pipelined)', (started / startMs) * 1000, 'starts/s', {
          op: '>=',
          value: 1000,
        }),
        metric('kb_per_task', 'server RSS per task', kbPerTask, 'KB', { op: '<=', value: 25 }),
        metric(
          'list_rtt_ms',
          `list round trip, ${listed} tasks (median of 5)`,
          percentile(sortedRtt, 50),
          'ms',
        ),
        metric('list_rtt_first_ms', 'list round trip, first call', /** @type {number} */ (rtts[0]), 'ms'),
        metric('stops_per_sec', 'stops/s (stop → exited)', (exitedCount / stopMs) * 1000, 'stops/s'),
        metric('children_left', 'children alive or unreaped after stop', alive + zombies, 'procs', {
          op: '<=',
          value: 0,
        }),
      ],
      notes,
      data: {
        n,
        started,
        errors: errors.slice(0, 10),
        startMs,
        startCpuMs,
        rssBeforeKB: rssBefore,
        rssAfterKB: rssAfter,
        listRttMs: rtts,
        listed,
        listBytes,
        exitedCount,
        exitedIntentional,
        stopMs,
        alive,
        zombies,
        shutdown: stop,
      },
    };
  },
};

/**
 * Starts `count` short tasks (`/bin/true`) and waits for all of them to exit.
 * @param {import('../lib/wsclient.mjs').LeanWs} ws
 * @param {number} count
 */
async function warmUp(ws, count) {
  const done = deferred();
  let exited = 0;
  ws.onmessage = (buf, off, len) => {
    if (frameType(buf, off, len) === 'exited' && ++exited === count) done.resolve(undefined);
  };
  ws.sendMany(
    Array.from({ length: count }, (_, i) => ({ type: 'start', command: '/bin/true', id: `w${i}` })),
  );
  await within(done.promise, 30_000, `warm-up: only ${exited} of ${count} tasks exited`);
}
