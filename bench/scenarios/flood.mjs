// Scenario 1: one task floods 1,000,000 lines of 100 bytes to one client.
import { rawPipeRate, runFlood } from '../lib/flood.mjs';
import { metric } from '../lib/util.mjs';

export default {
  name: 'flood',
  title: '1 task floods 1,000,000 × 100-byte lines to 1 client',
  capMs: 180_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const lines = ctx.quick ? 100_000 : 1_000_000;
    const raw = await rawPipeRate(lines);
    ctx.log(`raw pipe: ${Math.round(raw.linesPerSec).toLocaleString('en-US')} lines/s`);
    const srv = await ctx.startServer();
    const r = await runFlood(srv, {
      clients: 1,
      lines,
      capMs: this.capMs - 20_000,
      progress: ctx.progress,
      track: ctx.track,
    });
    const c = /** @type {import('../lib/flood.mjs').ClientResult} */ (r.perClient[0]);
    const rate = (c.lines / r.elapsedMs) * 1000;
    const incomplete = c.closed
      ? 'INCOMPLETE: client disconnected'
      : c.lines < lines
        ? 'INCOMPLETE: lines lost'
        : undefined;
    const stop = await srv.stop();
    const notes = [
      `${c.lines.toLocaleString('en-US')}/${lines.toLocaleString('en-US')} lines in ${(r.elapsedMs / 1000).toFixed(2)} s; ` +
        `started reply after ${r.startReplyMs.toFixed(1)} ms; child exit code ${c.exitCode}`,
      `server CPU ${(r.serverCpuMs / 1000).toFixed(2)} s (${Math.round((r.serverCpuMs / r.elapsedMs) * 100)} % of one core), ` +
        `bench client CPU ${(r.clientCpuMs / 1000).toFixed(2)} s`,
      `server RSS ${Math.round(r.rssBaseKB / 1024)} MB before, peak ${Math.round(r.hwmKB / 1024)} MB`,
      ...r.oddities,
    ];
    if (c.closed) {
      notes.push(
        `THE (READING) CLIENT WAS DISCONNECTED after ${(c.closed.atMs / 1000).toFixed(2)} s and ${c.lines.toLocaleString('en-US')} lines: ` +
          `code ${c.closed.code} "${c.closed.reason}"; the lines/s figure covers only what it got until then`,
      );
    }
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric(
          'lines_per_sec',
          'lines/s, 1 client',
          rate,
          'lines/s',
          { op: '>=', value: 120_000 },
          incomplete,
        ),
        metric('raw_pipe_lines_per_sec', 'raw pipe limit (flood | wc -l)', raw.linesPerSec, 'lines/s'),
        metric('lines_lost', 'lines not received', lines - c.lines, 'lines', { op: '<=', value: 0 }),
        metric('server_cpu_pct', 'server CPU during flood', (r.serverCpuMs / r.elapsedMs) * 100, '%'),
      ],
      notes,
      data: { raw, ...r, shutdown: stop },
    };
  },
};
