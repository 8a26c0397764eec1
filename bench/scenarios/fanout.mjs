// Scenario 2: the flood with 20 connected clients, each of which receives every line.
import { runFlood } from '../lib/flood.mjs';
import { metric } from '../lib/util.mjs';

export default {
  name: 'fanout',
  title: '1,000,000-line flood broadcast to 20 clients',
  capMs: 420_000,
  /** @param {import('../run.mjs').Ctx} ctx */
  async run(ctx) {
    const lines = ctx.quick ? 50_000 : 1_000_000;
    const clients = 20;
    const srv = await ctx.startServer();
    const r = await runFlood(srv, {
      clients,
      lines,
      capMs: this.capMs - 20_000,
      progress: ctx.progress,
      track: ctx.track,
    });
    const stop = await srv.stop();
    const total = (r.delivered / r.elapsedMs) * 1000;
    const incomplete =
      r.complete < clients ? `INCOMPLETE: ${clients - r.complete} client(s) short` : undefined;
    const dropped = r.perClient
      .map((c, i) => ({ i, ...c }))
      .filter((c) => c.closed)
      .map(
        (c) =>
          `client ${c.i} disconnected by the server after ${((c.closed?.atMs ?? 0) / 1000).toFixed(2)} s with ${c.lines.toLocaleString('en-US')} lines: ` +
          `code ${c.closed?.code} "${c.closed?.reason}"` +
          (c.closed?.code === 1006 ? ' (no close frame: the TCP connection was dropped)' : ''),
      );
    const slowest = Math.max(...r.perClient.map((c) => (Number.isNaN(c.elapsedMs) ? 0 : c.elapsedMs)));
    const fastest = Math.min(...r.perClient.map((c) => (Number.isNaN(c.elapsedMs) ? Infinity : c.elapsedMs)));
    const notes = [
      `${r.delivered.toLocaleString('en-US')}/${(lines * clients).toLocaleString('en-US')} lines delivered in ${(r.elapsedMs / 1000).toFixed(2)} s ` +
        `(first client done after ${(fastest / 1000).toFixed(2)} s, last after ${(slowest / 1000).toFixed(2)} s)`,
      `server CPU ${(r.serverCpuMs / 1000).toFixed(2)} s (${Math.round((r.serverCpuMs / r.elapsedMs) * 100)} % of one core), ` +
        `bench client CPU ${(r.clientCpuMs / 1000).toFixed(2)} s (${Math.round((r.clientCpuMs / r.elapsedMs) * 100)} %)`,
      `server RSS ${Math.round(r.rssBaseKB / 1024)} MB before, peak ${Math.round(r.hwmKB / 1024)} MB`,
      ...dropped,
      ...r.oddities,
    ];
    if (stop.leftoverChildren)
      notes.push(`${stop.leftoverChildren} child process(es) survived server shutdown`);
    return {
      metrics: [
        metric(
          'total_lines_per_sec',
          `lines/s delivered, sum over ${clients} clients`,
          total,
          'lines/s',
          { op: '>=', value: 190_000 },
          incomplete,
        ),
        metric('per_client_lines_per_sec', 'lines/s per client', total / clients, 'lines/s'),
        metric('clients_complete', `clients that got all lines (of ${clients})`, r.complete, 'clients', {
          op: '>=',
          value: clients,
        }),
        metric('server_cpu_pct', 'server CPU during flood', (r.serverCpuMs / r.elapsedMs) * 100, '%'),
      ],
      notes,
      data: { ...r, shutdown: stop },
    };
  },
};
