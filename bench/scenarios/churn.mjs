// Scenario 6: restart churn — /bin/false restarted with no delay and no threshold for 10 s.
import { which } from '../lib/flood.mjs';
import { deferred, metric, sleep, within } from '../lib/util.mjs';
import { connect, frameType, parseFrame } from '../lib/wsclient.mjs';

export default {
  name: 'churn',
  title: 'restart churn: /bin/false, restart_delay 0s, no threshold, 10 s',
  capMs: 60_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const seconds = ctx.quick ? 4 : 10;
    const falseBin = which('false');
    const srv = await ctx.startServer();
    const ws = await connect(srv.port);
    ctx.track(ws);
    await sleep(200);
    const rssBefore = srv.rssKB();

    const buckets = new Array(seconds).fill(0);
    let t0 = 0;
    let taskId = '';
    let restarts = 0;
    let restartings = 0;
    let exiteds = 0;
    let erroreds = 0;
    let afterStop = 0;
    let stopped = false;
    let lastFrameAt = 0;
    /** @type {string[]} */
    const oddities = [];
    const first = deferred();
    /** @type {((tasks: any[]) => void) | null} */
    let onTasks = null;
    ws.onmessage = (buf, off, len) => {
      lastFrameAt = performance.now();
      if (stopped) afterStop++;
      const type = frameType(buf, off, len);
      if (type === 'started') {
        if (!t0) {
          const m = parseFrame(buf, off, len);
          if (m.id !== 'churn') return;
          t0 = performance.now();
          taskId = m.task_id;
          first.resolve(undefined);
          return;
        }
        restarts++;
        const b = Math.floor((performance.now() - t0) / 1000);
        if (b < seconds) buckets[b]++;
      } else if (type === 'restarting') restartings++;
      else if (type === 'exited') exiteds++;
      else if (type === 'errored') erroreds++;
      else if (type === 'tasks' && onTasks) onTasks(parseFrame(buf, off, len).tasks);
      else if (oddities.length < 10)
        oddities.push(`unexpected: ${buf.toString('utf8', off, off + Math.min(len, 200))}`);
      ctx.progress.restarts = restarts;
    };
    ws.closed.then((c) => first.reject(new Error(`connection closed by server: ${c.code} ${c.reason}`)));

    const cpu0 = srv.cpuMs();
    ws.send({
      type: 'start',
      command: falseBin,
      args: [],
      retry_policy: { restart_delay: '0s' },
      id: 'churn',
    });
    await within(first.promise, 10_000, 'no started reply');
    await sleep(Math.max(0, t0 + seconds * 1000 - performance.now()));
    const elapsed = performance.now() - t0;
    const counted = buckets.reduce((a, b) => a + b, 0);
    const cpuMs = srv.cpuMs() - cpu0;
    const rssAfter = srv.rssKB();

    // Stop, wait for the events to settle (1 s without frames), check the task's final state.
    stopped = true;
    ws.send({ type: 'stop', task_id: taskId });
    const quietBy = performance.now() + 15_000;
    while (performance.now() - lastFrameAt < 1000 && performance.now() < quietBy) await sleep(100);
    const stillChurning = performance.now() - lastFrameAt < 1000;
    const listed = deferred();
    onTasks = (tasks) => listed.resolve(tasks);
    ws.send({ type: 'list', id: 'l' });
    const tasks = /** @type {any[]} */ (await within(listed.promise, 10_000, 'no tasks reply'));
    const task = tasks.find((t) => t.task_id === taskId);
    await ws.close();
    const stop = await srv.stop();

    const rate = (counted / Math.min(elapsed, seconds * 1000)) * 1000;
    // Decay check: the last three seconds against the first three after warm-up (seconds 2-4).
    const early = buckets.slice(1, 4);
    const late = buckets.slice(-3);
    const avg = (/** @type {number[]} */ a) => a.reduce((x, y) => x + y, 0) / a.length;
    const flat = avg(late) / avg(early);
    const notes = [
      `per second: ${buckets.join(', ')}`,
      `events: ${restarts} started (restart), ${restartings} restarting, ${exiteds} exited, ${erroreds} errored; ` +
        `${afterStop} frames after stop`,
      `after stop: state ${task?.state}, worker_state ${task?.worker_state}, restart_count ${task?.restart_count}` +
        (stillChurning ? '; STILL EMITTING EVENTS 15 s AFTER STOP' : ''),
      `server CPU ${(cpuMs / 1000).toFixed(2)} s (${Math.round((cpuMs / elapsed) * 100)} % of one core); ` +
        `RSS ${Math.round(rssBefore / 1024)} MB before, ${Math.round(rssAfter / 1024)} MB after`,
      ...oddities,
    ];
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric('restarts_per_sec', `restarts/s over ${seconds} s`, rate, 'restarts/s', {
          op: '>=',
          value: 500,
        }),
        metric(
          'min_second',
          'slowest second after the first (warm-up) one',
          Math.min(...buckets.slice(1)),
          'restarts',
          {
            op: '>=',
            value: 500,
          },
        ),
        metric('late_vs_early', 'last 3 s / seconds 2-4 (decay check)', flat, 'x', { op: '>=', value: 0.9 }),
        metric(
          'stopped_ok',
          'task stopped and quiet after stop (1 = yes)',
          task?.state === 'stopped' && !stillChurning && task?.worker_state !== 'running' ? 1 : 0,
          '',
          {
            op: '>=',
            value: 1,
          },
        ),
      ],
      notes,
      data: {
        seconds,
        perSecond: buckets,
        restarts,
        restartings,
        exiteds,
        erroreds,
        afterStop,
        task,
        cpuMs,
        rssBeforeKB: rssBefore,
        rssAfterKB: rssAfter,
        shutdown: stop,
      },
    };
  },
};
