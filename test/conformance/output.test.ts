// Conformance: `output` line framing and `exited` events, both broadcast to every connection.
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message, WsClient } from '../helpers/ws-client.js';
import {
  EXITED_KEYS,
  expectKeys,
  expectTs,
  fixture,
  is,
  num,
  OUTPUT_EXTENSIONS,
  OUTPUT_KEYS,
  useResources,
} from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);

/** Starts a task and returns the started reply; the task's events are then read from the clients. */
async function run(a: WsClient, taskId: string, command: string, args: string[] = []): Promise<Message> {
  a.send({ type: 'start', id: `start-${taskId}`, task_id: taskId, command, args });
  return a.next(is('started', { id: `start-${taskId}` }), 10_000);
}

/** Waits for the task's exited event and returns the task's output events received before it. */
async function outputsUntilExit(c: WsClient, taskId: string, timeoutMs = 10_000): Promise<Message[]> {
  const ex = await c.waitFor(is('exited', { task_id: taskId }), timeoutMs);
  const all = c.received((m) => m.task_id === taskId && (m.type === 'output' || m.type === 'exited'));
  const exIdx = all.indexOf(ex);
  expect(
    all.slice(exIdx + 1).filter((m) => m.type === 'output'),
    'no output after exited',
  ).toEqual([]);
  return all.slice(0, exIdx).filter((m) => m.type === 'output');
}

function hex(s: string | Buffer): string {
  return (typeof s === 'string' ? Buffer.from(s, 'utf8') : s).toString('hex');
}

describe('output', () => {
  it('emits stdout and stderr lines with stream, in field order, to every connection', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s); // never sends anything
    const st = await run(a, 'streams', fixture('exit-with.sh'), ['x', 'y']);
    const pid = num(st, 'pid');
    for (const c of [a, b]) {
      const outs = await outputsUntilExit(c, 'streams');
      expect(outs).toHaveLength(2);
      const stdout = outs.find((m) => m.stream === 'stdout');
      const stderr = outs.find((m) => m.stream === 'stderr');
      expect(stdout).toBeDefined();
      expect(stderr).toBeDefined();
      for (const o of outs) {
        expectKeys(o, OUTPUT_KEYS, OUTPUT_EXTENSIONS);
        expect(o.type).toBe('output');
        expect(o.task_id).toBe('streams');
        expect(o.pid).toBe(pid);
        expectTs(o.ts);
      }
      expect(stdout?.data).toBe('out: x y');
      expect(stderr?.data).toBe('err: x y');
    }
    // Both connections see the very same events.
    expect(b.received((m) => m.task_id === 'streams')).toEqual(
      a.received((m) => m.task_id === 'streams' && m.type !== 'started'),
    );
  });

  it('splits on \\n, drops one trailing \\r, keeps empty lines and emits a final line without newline', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await run(a, 'framing', fixture('print-bytes.mjs'), [hex('a\r\n\nb\r\r\n\r\nlast')]);
    const outs = await outputsUntilExit(a, 'framing');
    expect(outs.map((m) => m.data)).toEqual(['a', '', 'b\r', '', 'last']);
    expect(outs.every((m) => m.stream === 'stdout')).toBe(true);
  });

  it('emits no event for output that ends with a newline beyond its lines', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await run(a, 'trail', fixture('print-bytes.mjs'), [hex('one\ntwo\n')]);
    const outs = await outputsUntilExit(a, 'trail');
    expect(outs.map((m) => m.data)).toEqual(['one', 'two']);
  });

  it('replaces invalid UTF-8 with U+FFFD and keeps valid multi-byte text', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const bytes = Buffer.concat([
      Buffer.from('ok'),
      Buffer.from([0xff]),
      Buffer.from('mid'),
      Buffer.from([0xfe]),
      Buffer.from('end\nhé ✓ 𝄞\n'),
    ]);
    await run(a, 'utf8', fixture('print-bytes.mjs'), [hex(bytes)]);
    const outs = await outputsUntilExit(a, 'utf8');
    expect(outs.map((m) => m.data)).toEqual(['ok\uFFFDmid\uFFFDend', 'hé ✓ 𝄞']);
  });

  it('keeps reading past a very long line (split or not, no byte is lost)', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await run(a, 'long', process.execPath, [
      '-e',
      "process.stdout.write('x'.repeat(200000) + '\\nafter\\n')",
    ]);
    const outs = await outputsUntilExit(a, 'long', 15_000);
    const data = outs.map((m) => String(m.data));
    expect(data[data.length - 1]).toBe('after');
    const longPart = data.slice(0, -1);
    expect(longPart.length).toBeGreaterThanOrEqual(1);
    expect(longPart.join('')).toBe('x'.repeat(200000));
  });

  it('delivers every line of a large output, in order, to every connection', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    await run(a, 'flood', fixture('flood.sh'), ['5000']);
    const line = '0'.repeat(99);
    for (const c of [a, b]) {
      const outs = await outputsUntilExit(c, 'flood', 20_000);
      expect(outs).toHaveLength(5000);
      expect(outs.every((m) => m.data === line && m.stream === 'stdout')).toBe(true);
    }
  });
});

describe('exited', () => {
  it('carries the exit code, intentional false, in field order, to every connection', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    const st = await run(a, 'code7', '/bin/sh', ['-c', 'exit 7']);
    for (const c of [a, b]) {
      const ex = await c.next(is('exited', { task_id: 'code7' }));
      expectKeys(ex, EXITED_KEYS);
      expect(ex).toEqual({
        type: 'exited',
        task_id: 'code7',
        pid: st.pid,
        exit_code: 7,
        intentional: false,
        ts: ex.ts,
      });
      expectTs(ex.ts);
    }
  });

  it('reports exit_code -1 when the child was ended by a signal', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);
    await run(a, 'sigterm', '/bin/sh', ['-c', 'kill -TERM $$']);
    await run(a, 'sigkill', '/bin/sh', ['-c', 'kill -KILL $$']);
    for (const c of [a, b]) {
      for (const id of ['sigterm', 'sigkill']) {
        const ex = await c.next(is('exited', { task_id: id }));
        expect(ex.exit_code).toBe(-1);
        expect(ex.intentional).toBe(false);
      }
    }
  });

  it('reports exit code 0', async () => {
    const s = await r.server();
    const a = await r.client(s);
    await run(a, 'zero', '/bin/true');
    const ex = await a.next(is('exited', { task_id: 'zero' }));
    expect(ex.exit_code).toBe(0);
    expect(ex.intentional).toBe(false);
  });
});
