// Terminal scenario 3: keystroke-to-echo latency through the server (terminal WebSocket → PTY → back).
import { PROMPT_GLYPH, startClaudeman } from '../lib/claudeman.mjs';
import { deferred, metric, percentile, sleep, within } from '../lib/util.mjs';
import { frameType, parseFrame } from '../lib/wsclient.mjs';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
/** Keystrokes typed before the line is cleared (Ctrl-U), so it never wraps. */
const LINE_CHARS = 50;

export default {
  name: 'terminal-echo',
  title: 'keystroke → echo latency over the terminal WebSocket, 300 keystrokes 20 ms apart',
  capMs: 90_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const samples = ctx.quick ? 100 : 300;
    const warmup = 20;
    const gapMs = 20;
    const srv = await startClaudeman(ctx);
    const id = await srv.createSession();
    await srv.startInteractive(id);
    await srv.waitForPrompt(id, { idle: true });

    const ws = await srv.terminal(id);
    ctx.track(ws);
    const replay = deferred();
    /** @type {{want: string, t0: number, done: {resolve: (ms: number) => void, reject: (e: Error) => void}} | null} */
    let waiting = null;
    /** @type {string[]} */
    const oddities = [];
    /** @type {Record<string, number>} */
    const types = {};
    let extraChars = 0;
    let skipped = 0;
    ws.onmessage = (buf, off, len) => {
      const now = performance.now();
      const type = frameType(buf, off, len);
      types[type] = (types[type] ?? 0) + 1;
      if (type === 'output') {
        const m = parseFrame(buf, off, len);
        const data = String(m.data);
        // `bytes` too, for builds before the ack counted in `chars` (both name the same count).
        ws.send({ type: 'ack', chars: data.length, bytes: data.length });
        const w = waiting;
        if (w && data.includes(w.want)) {
          waiting = null;
          if (data.length > w.want.length && w.want !== PROMPT_GLYPH)
            extraChars += data.length - w.want.length;
          w.done.resolve(now - w.t0);
        }
      } else if (type === 'replay') {
        replay.resolve(undefined);
      } else if (type === 'skipped') {
        skipped++;
      } else {
        const m = parseFrame(buf, off, len);
        if (oddities.length < 10)
          oddities.push(`unexpected ${type} frame: ${JSON.stringify(m).slice(0, 200)}`);
        if (type === 'exit') waiting?.done.reject(new Error(`the CLI exited: ${JSON.stringify(m)}`));
      }
    };
    ws.closed.then((c) => waiting?.done.reject(new Error(`terminal socket closed: ${c.code} ${c.reason}`)));
    await within(replay.promise, 5000, 'no replay frame on the terminal socket');

    /**
     * Send `data` as one input frame and resolve with the ms until an output frame containing `want`.
     * @param {string} data
     * @param {string} want
     */
    const type = (data, want) => {
      /** @type {{promise: Promise<number>, resolve: (ms: number) => void, reject: (e: Error) => void}} */
      const done = deferred();
      const t0 = performance.now();
      waiting = { want, t0, done };
      ws.send({ type: 'input', data });
      return within(done.promise, 2000, `no echo of ${JSON.stringify(data)}`);
    };

    /** @type {number[]} */
    const lat = [];
    /** @type {number[]} */
    const warm = [];
    let lost = 0;
    let typed = 0;
    const total = warmup + samples;
    for (let i = 0; i < total; i++) {
      if (typed === LINE_CHARS) {
        typed = 0;
        await type('\x15', PROMPT_GLYPH).catch((e) => oddities.push(`Ctrl-U: ${e.message}`));
        await sleep(gapMs);
      }
      const ch = /** @type {string} */ (LETTERS[i % LETTERS.length]);
      try {
        const ms = await type(ch, ch);
        (i < warmup ? warm : lat).push(ms);
      } catch (e) {
        lost++;
        waiting = null;
        if (oddities.length < 10) oddities.push(/** @type {Error} */ (e).message);
        if (ws.isClosed) break;
      }
      typed++;
      ctx.progress.samples = lat.length;
      await sleep(gapMs);
    }
    await ws.close();
    const stop = await srv.stop();

    const sorted = [...lat].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const max = sorted[sorted.length - 1] ?? Number.NaN;
    const min = sorted[0] ?? Number.NaN;
    const notes = [
      `${lat.length}/${samples} keystrokes echoed (after ${warm.length} warm-up ones); min ${min.toFixed(2)} ms, ` +
        `p90 ${percentile(sorted, 90).toFixed(2)} ms, mean ${(lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)).toFixed(2)} ms`,
      `warm-up keystrokes: ${warm.map((w) => w.toFixed(1)).join(', ')} ms`,
      `frames: ${Object.entries(types)
        .map(([t, n]) => `${t} ${n}`)
        .join(
          ', ',
        )}; ${extraChars} characters besides the echoes in the echo frames; skipped markers ${skipped}`,
      'the seed-era program: p50 18.4 ms, p99 19.2 ms (16 ms batch timer)',
      ...oddities,
    ];
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric('p50_ms', 'echo latency p50', p50, 'ms'),
        metric('p99_ms', 'echo latency p99', p99, 'ms', { op: '<=', value: 10 }),
        metric('max_ms', 'echo latency max', max, 'ms'),
        metric('lost', 'keystrokes without echo', lost, 'keys', { op: '<=', value: 0 }),
      ],
      notes,
      data: { samples, lat, warm, p50, p99, max, min, lost, types, shutdown: stop },
    };
  },
};
