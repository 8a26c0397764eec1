// Scenario 3: one client that never reads plus one normal client during a 1,000,000-line flood.
import { runFlood } from '../lib/flood.mjs';
import { metric } from '../lib/util.mjs';

export default {
  name: 'stalled',
  title: 'flood with one stalled (never reading) client + one normal client',
  capMs: 240_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const lines = ctx.quick ? 100_000 : 1_000_000;
    const srv = await ctx.startServer();
    const r = await runFlood(srv, {
      clients: 1,
      lines,
      stalled: true,
      capMs: this.capMs - 60_000,
      progress: ctx.progress,
      track: ctx.track,
    });
    const stop = await srv.stop();
    const c = /** @type {import('../lib/flood.mjs').ClientResult} */ (r.perClient[0]);
    const rate = (c.lines / r.elapsedMs) * 1000;
    const incomplete = c.closed
      ? 'INCOMPLETE: normal client disconnected'
      : c.lines < lines
        ? 'INCOMPLETE: lines lost'
        : undefined;
    const s = /** @type {Record<string, any>} */ (r.stalled);

    // Compare with scenario 1 of this run, or else with the last saved result.
    const ref = ctx.reference('flood', 'lines_per_sec');
    const ratio = ref ? rate / ref.value : Number.NaN;
    const growthMB = (r.hwmKB - r.rssBaseKB) / 1024;
    const notes = [
      `normal client: ${c.lines.toLocaleString('en-US')}/${lines.toLocaleString('en-US')} lines in ${(r.elapsedMs / 1000).toFixed(2)} s` +
        (ref
          ? `; scenario 1 (${ref.source}): ${Math.round(ref.value).toLocaleString('en-US')} lines/s`
          : '; no scenario 1 figure to compare with'),
      s.disconnected
        ? `stalled client disconnected: close code ${s.closeCode} reason "${s.closeReason}"` +
          `${s.closeCode === 1006 ? ' (no close frame reached it: the TCP connection was dropped)' : ''}; ` +
          (s.serverClosedTcpAtMs !== null
            ? `server closed its TCP side ${(s.serverClosedTcpAtMs / 1000).toFixed(2)} s after start (state seen: ${s.serverTcpStateSeen})`
            : 'server TCP close not observed while flooding (closed after the flood ended)')
        : `stalled client NOT disconnected (server-side TCP state change seen: ${s.serverTcpStateSeen ?? 'none'})`,
      `stalled client, once resumed, read ${s.linesReceived.toLocaleString('en-US')} lines` +
        `${s.exitedReceived ? ' and the exited event' : ''} in ${s.drainMs} ms; kernel buffers held up to ` +
        `${Math.round(s.maxClientKernelRecvQueueBytes / 1024)} KiB (client recv) + ${Math.round(s.maxServerKernelSendQueueBytes / 1024)} KiB (server send)`,
      `server RSS ${Math.round(r.rssBaseKB / 1024)} MB before, peak ${Math.round(r.hwmKB / 1024)} MB (sampled peak ${Math.round(r.rssPeakKB / 1024)} MB)`,
      `server CPU ${(r.serverCpuMs / 1000).toFixed(2)} s (${Math.round((r.serverCpuMs / r.elapsedMs) * 100)} % of one core), ` +
        `bench client CPU ${(r.clientCpuMs / 1000).toFixed(2)} s`,
      `normal client progress (time s: lines, server RSS): ${r.timeline
        .map((p) => `${(p.ms / 1000).toFixed(1)}: ${Math.round(p.lines / 1000)}k ${p.rssMB}MB`)
        .join(', ')}`,
      ...r.oddities,
    ];
    if (c.closed) {
      notes.push(
        `THE NORMAL CLIENT WAS DISCONNECTED after ${(c.closed.atMs / 1000).toFixed(2)} s and ${c.lines.toLocaleString('en-US')} lines: ` +
          `code ${c.closed.code} "${c.closed.reason}"`,
      );
    }
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric(
          'normal_lines_per_sec',
          'normal client lines/s',
          rate,
          'lines/s',
          { op: '>=', value: 120_000 },
          incomplete,
        ),
        metric(
          'ratio_vs_flood',
          'normal client rate / scenario 1 rate',
          ratio,
          'x',
          { op: '>=', value: 0.9 },
          incomplete ?? (ref ? undefined : 'no valid scenario 1 figure'),
        ),
        metric('stalled_disconnected', 'stalled client disconnected (1 = yes)', s.disconnected ? 1 : 0, '', {
          op: '>=',
          value: 1,
        }),
        metric(
          'stalled_close_code',
          'stalled client close code',
          s.closeCode ?? Number.NaN,
          s.closeReason ? `"${s.closeReason}"` : '',
        ),
        metric(
          'stalled_disconnect_s',
          'server closed stalled TCP at (s after start)',
          s.serverClosedTcpAtMs === null ? Number.NaN : s.serverClosedTcpAtMs / 1000,
          's',
        ),
        metric('rss_peak_mb', 'server RSS peak', r.hwmKB / 1024, 'MB'),
        metric('rss_growth_mb', 'server RSS growth (peak − before)', growthMB, 'MB', {
          op: '<=',
          value: 100,
        }),
      ],
      notes,
      data: { reference: ref, ...r, shutdown: stop },
    };
  },
};
