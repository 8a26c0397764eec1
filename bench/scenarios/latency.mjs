// Scenario 4: line latency, child write → client receive, at one line every 5 ms.
import { fileURLToPath } from 'node:url';
import { metric, percentile, wallMs, within } from '../lib/util.mjs';
import { connect, frameType, parseFrame } from '../lib/wsclient.mjs';

const TICKER = fileURLToPath(new URL('../fixtures/ticker.mjs', import.meta.url));

export default {
  name: 'latency',
  title: 'line latency (child write → client receive), 1 line / 5 ms, 2,000 lines',
  capMs: 60_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const count = ctx.quick ? 500 : 2000;
    const interval = 5;
    const srv = await ctx.startServer();
    const ws = await connect(srv.port);
    ctx.track(ws);
    /** @type {number[]} */
    const lat = [];
    /** @type {string[]} */
    const oddities = [];
    let exitCode = Number.NaN;
    let lastSeq = -1;
    let outOfOrder = 0;
    const done = new Promise((resolve, reject) => {
      ws.onmessage = (buf, off, len) => {
        const recv = wallMs();
        const type = frameType(buf, off, len);
        const m = parseFrame(buf, off, len);
        if (type === 'output') {
          const [seqText, sentText] = String(m.data).split(' ');
          const seq = Number(seqText);
          if (seq !== lastSeq + 1) outOfOrder++;
          lastSeq = seq;
          lat.push(recv - Number(sentText));
          ctx.progress.lines = lat.length;
        } else if (type === 'exited') {
          exitCode = m.exit_code;
          resolve(undefined);
        } else if (type === 'error') {
          reject(new Error(`server error reply: ${m.message}`));
        } else if (type !== 'started') {
          oddities.push(`unexpected ${type}`);
        }
      };
      ws.closed.then((c) => reject(new Error(`connection closed: ${c.code} ${c.reason}`)));
    });
    ws.send({
      type: 'start',
      command: process.execPath,
      args: [TICKER, String(count), String(interval)],
      id: 'lat',
    });
    await within(done, this.capMs - 15_000, 'latency child did not finish');
    await ws.close();
    const stop = await srv.stop();
    const sorted = [...lat].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const max = /** @type {number} */ (sorted[sorted.length - 1]);
    const min = /** @type {number} */ (sorted[0]);
    const warm = lat.slice(20).sort((a, b) => a - b);
    const notes = [
      `${lat.length}/${count} lines; min ${min.toFixed(3)} ms, p90 ${percentile(sorted, 90).toFixed(3)} ms, p99.9 ${percentile(sorted, 99.9).toFixed(3)} ms; ` +
        `without the first 20 lines: p99 ${percentile(warm, 99).toFixed(3)} ms, max ${(warm[warm.length - 1] ?? Number.NaN).toFixed(3)} ms`,
      `child exit code ${exitCode}; out-of-order/missing sequence numbers: ${outOfOrder}`,
      ...oddities,
    ];
    if (min < 0)
      notes.push('negative latencies: the two processes disagree on the clock (figures are approximate)');
    return {
      metrics: [
        metric('p50_ms', 'latency p50', p50, 'ms'),
        metric('p99_ms', 'latency p99', p99, 'ms', { op: '<=', value: 1 }),
        metric('max_ms', 'latency max', max, 'ms'),
        metric('lines_lost', 'lines missing', count - lat.length, 'lines', { op: '<=', value: 0 }),
      ],
      notes,
      data: {
        count,
        interval,
        p50,
        p99,
        max,
        min,
        samples: lat.length,
        outOfOrder,
        exitCode,
        shutdown: stop,
      },
    };
  },
};
