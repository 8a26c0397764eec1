import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { renderPrometheus } from '../../src/server/metrics/stream-counters.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';

/** Parses the Prometheus text format into `name{labels}` → value. */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}

describe('GET /metrics', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('renders the text format with escaped labels', () => {
    expect(
      renderPrometheus([
        { name: 'x_total', help: 'An x.', type: 'counter', samples: [{ labels: { k: 'a"b\\c' }, value: 3 }] },
      ]),
    ).toBe('# HELP x_total An x.\n# TYPE x_total counter\nx_total{k="a\\"b\\\\c"} 3\n');
  });

  it('counts sessions, tasks, clients, restarts and shows the limits; needs the token', async () => {
    server = await startClaudeman();
    expect((await fetch(`${server.baseUrl}/metrics`)).status).toBe(401);
    await server.send('POST', '/api/sessions', {});
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    await new Promise((resolve) => ws.once('open', resolve));
    ws.send(JSON.stringify({ type: 'start', command: '/bin/false', retry_policy: { error_threshold: 3 } }));
    await pollUntil(() => server?.running.supervisor.list()[0]?.state === 'errored', 'the task to error');
    const response = await server.api('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const metrics = parseMetrics(await response.text());
    expect(metrics.get('claudeman_sessions{status="idle"}')).toBe(1);
    expect(metrics.get('claudeman_overseer_tasks{state="errored"}')).toBe(1);
    expect(metrics.get('claudeman_overseer_restarts_total')).toBe(2);
    expect(metrics.get('claudeman_clients{kind="overseer_ws"}')).toBe(1);
    expect(metrics.get('claudeman_limit_max_sessions')).toBe(200);
    expect(metrics.get('claudeman_limit_ws_max_frame_bytes')).toBe(1024 * 1024);
    // A first start on a fresh data directory found nothing of an earlier instance.
    expect(metrics.get('claudeman_boot_orphans{outcome="ended"}')).toBe(0);
    expect(metrics.get('claudeman_boot_sessions{result="adopted"}')).toBe(0);
    expect(metrics.get('claudeman_boot_sessions{result="interrupted"}')).toBe(0);
    ws.close();
  });
});
