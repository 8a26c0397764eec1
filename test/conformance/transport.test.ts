// Conformance: transport — frame size limit, plain GET, trusted CIDRs, Origin, concurrency, slow clients.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message } from '../helpers/ws-client.js';
import { httpGet, is, tasksOf, tryConnect, useResources, WsClient } from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const MiB = 1024 * 1024;

/**
 * Closes the server and fails when the graceful shutdown does not finish in time (a hung close would
 * otherwise only show up as an afterEach hook timeout).
 */
async function closeWithin(s: OverseerTestServer, ms: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server close() did not finish within ${ms} ms ${what}`)), ms);
  });
  try {
    await Promise.race([r.closeServer(s), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function padded(target: number, id: string): string {
  const base = JSON.stringify({ type: 'list', id, pad: '' });
  return JSON.stringify({ type: 'list', id, pad: 'x'.repeat(target - base.length) });
}

describe('frame size', () => {
  it('closes a connection that sends a frame over 1 MiB with code 1009; others are unaffected', async () => {
    const s = await r.server();
    const a = await r.client(s);
    const b = await r.client(s);

    const under = padded(MiB - 4096, 'under');
    expect(Buffer.byteLength(under)).toBe(MiB - 4096);
    a.sendRaw(under);
    expect(await a.next(is('tasks', { id: 'under' }), 10_000)).toEqual({
      type: 'tasks',
      id: 'under',
      tasks: [],
    });

    const over = padded(MiB + 4096, 'over');
    a.sendRaw(over);
    const closed = await a.waitClose(10_000);
    expect(closed.code).toBe(1009);
    expect(a.received(is('tasks', { id: 'over' }))).toEqual([]);

    b.send({ type: 'list', id: 'b' });
    expect(await b.next(is('tasks', { id: 'b' }))).toEqual({ type: 'tasks', id: 'b', tasks: [] });
  });
});

describe('HTTP upgrade checks', () => {
  it('answers a plain GET /ws without upgrade headers with 400', async () => {
    const s = await r.server();
    const res = await httpGet(s.url);
    expect(res.upgraded).toBe(false);
    expect(res.status).toBe(400);
  });

  it('refuses a peer outside the trusted CIDRs with 403 and body "forbidden\\n"', async () => {
    const s = await r.server({ trustedCidrs: '127.0.0.2' });
    const raw = await httpGet(s.url, { upgrade: true });
    expect(raw.upgraded).toBe(false);
    expect(raw.status).toBe(403);
    expect(raw.body).toBe('forbidden\n');

    const viaWs = await tryConnect(s.url);
    expect(viaWs).toEqual({ opened: false, status: 403, body: 'forbidden\n' });

    // The trusted address itself is let in (loopback source address 127.0.0.2).
    const ok = await r.client(s, { localAddress: '127.0.0.2' });
    ok.send({ type: 'list', id: 'in' });
    expect((await ok.next(is('tasks', { id: 'in' }))).tasks).toEqual([]);
    await ok.close();
    await closeWithin(s, 10_000, 'after refused upgrades');
  });

  it('accepts CIDR ranges and trims whitespace around entries', async () => {
    const s = await r.server({ trustedCidrs: ' 127.0.0.0/30 , 10.0.0.0/8 ' });
    for (const addr of ['127.0.0.1', '127.0.0.3']) {
      const res = await tryConnect(s.url, { localAddress: addr });
      expect(res, addr).toEqual({ opened: true });
    }
    for (const addr of ['127.0.0.4', '127.0.0.9']) {
      const res = await tryConnect(s.url, { localAddress: addr });
      expect(res, addr).toEqual({ opened: false, status: 403, body: 'forbidden\n' });
    }
    await closeWithin(s, 10_000, 'after refused upgrades');
  });

  it('trusts the whole loopback range by default', async () => {
    const s = await r.server();
    for (const addr of ['127.0.0.1', '127.0.0.9', '127.1.2.3']) {
      expect(await tryConnect(s.url, { localAddress: addr }), addr).toEqual({ opened: true });
    }
  });

  it('refuses invalid trusted CIDR entries at start-up', async () => {
    const cases: Array<[string, string]> = [
      ['bogus', 'invalid IP in trusted CIDRs: bogus'],
      ['10.0.0.0/33', 'invalid CIDR in trusted CIDRs: 10.0.0.0/33'],
      ['127.0.0.1,', 'invalid IP in trusted CIDRs: '],
    ];
    for (const [value, message] of cases) {
      let error: unknown;
      try {
        await r.server({ trustedCidrs: value });
      } catch (e) {
        error = e;
      }
      expect(error, `trustedCidrs ${JSON.stringify(value)} must fail`).toBeInstanceOf(Error);
      expect(error instanceof Error ? error.message : '').toContain(message);
    }
  });

  it('refuses a browser Origin from another site; accepts a matching Origin and no Origin', async () => {
    const s = await r.server();
    const evil = await tryConnect(s.url, { headers: { Origin: 'http://evil.example.com' } });
    expect(evil.opened).toBe(false);
    if (!evil.opened) {
      expect(evil.status).toBeGreaterThanOrEqual(400);
      expect(evil.status).toBeLessThan(500);
    }
    const evilRaw = await httpGet(s.url, { upgrade: true, headers: { Origin: 'https://attacker.test' } });
    expect(evilRaw.upgraded).toBe(false);

    const same = await r.client(s, { headers: { Origin: `http://127.0.0.1:${s.port}` } });
    same.send({ type: 'list', id: 'o' });
    expect((await same.next(is('tasks', { id: 'o' }))).tasks).toEqual([]);

    const none = await r.client(s);
    none.send({ type: 'list', id: 'n' });
    expect((await none.next(is('tasks', { id: 'n' }))).tasks).toEqual([]);
    await same.close();
    await none.close();
    await closeWithin(s, 10_000, 'after refused upgrades');
  });
});

describe('concurrency', () => {
  it('serves 30 clients doing start/list/connect/disconnect interleaved without deadlock', async () => {
    const s = await r.server();
    const watcher = await r.client(s);
    const n = 30;
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const c = await r.client(s);
        c.send({ type: 'start', id: `s${i}`, task_id: `c${i}`, command: '/bin/echo', args: [`hello ${i}`] });
        const churn = await WsClient.connect(s.url);
        r.track(churn);
        c.send({ type: 'list', id: `l${i}` });
        const st = await c.next(is('started', { id: `s${i}` }), 20_000);
        expect(st.task_id).toBe(`c${i}`);
        const l = await c.next(is('tasks', { id: `l${i}` }), 20_000);
        expect(tasksOf(l).some((t) => t.task_id === `c${i}`)).toBe(true);
        churn.send({ type: 'list', id: 'churn' });
        await churn.close();
        const out = await c.next(is('output', { task_id: `c${i}` }), 20_000);
        expect(out.data).toBe(`hello ${i}`);
        await c.close();
      }),
    );
    for (let i = 0; i < n; i++) {
      await watcher.next(is('exited', { task_id: `c${i}` }), 20_000);
    }
    watcher.send({ type: 'list', id: 'final' });
    const l = await watcher.next(is('tasks', { id: 'final' }));
    const ids = tasksOf(l)
      .map((t) => String(t.task_id))
      .sort();
    expect(ids).toEqual(Array.from({ length: n }, (_, i) => `c${i}`).sort());
  }, 60_000);
});

interface RawFrame {
  opcode: number;
  payload: Buffer;
}

function parseFrames(buf: Buffer): { frames: RawFrame[]; rest: Buffer } {
  const frames: RawFrame[] = [];
  let off = 0;
  for (;;) {
    if (buf.length - off < 2) break;
    const b0 = buf[off] ?? 0;
    const b1 = buf[off + 1] ?? 0;
    let len = b1 & 0x7f;
    let hdr = 2;
    if (len === 126) {
      if (buf.length - off < 4) break;
      len = buf.readUInt16BE(off + 2);
      hdr = 4;
    } else if (len === 127) {
      if (buf.length - off < 10) break;
      len = Number(buf.readBigUInt64BE(off + 2));
      hdr = 10;
    }
    if (b1 & 0x80) hdr += 4;
    if (buf.length - off < hdr + len) break;
    frames.push({ opcode: b0 & 0x0f, payload: buf.subarray(off + hdr, off + hdr + len) });
    off += hdr + len;
  }
  return { frames, rest: buf.subarray(off) };
}

describe('slow clients', () => {
  it('a client that stops reading stalls neither the child nor other clients, and loses no event silently', async () => {
    const s = await r.server();
    const a = await r.client(s);

    // A raw WebSocket client that completes the handshake and then stops reading.
    const sock = net.connect(s.port, '127.0.0.1');
    r.onCleanup(() => {
      sock.destroy();
    });
    await once(sock, 'connect');
    sock.write(
      `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    let buf: Buffer = Buffer.alloc(0);
    const head = await new Promise<string>((resolve, reject) => {
      const onData = (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const i = buf.indexOf('\r\n\r\n');
        if (i >= 0) {
          sock.pause();
          sock.off('data', onData);
          const h = buf.subarray(0, i).toString('latin1');
          buf = buf.subarray(i + 4);
          resolve(h);
        }
      };
      sock.on('data', onData);
      sock.once('error', reject);
    });
    expect(head).toMatch(/^HTTP\/1\.1 101/);

    const n = 100_000;
    const line = (i: number) => String(i).padStart(99, '0');
    a.send({
      type: 'start',
      id: 'flood',
      task_id: 'flood',
      command: 'awk',
      args: ['-v', `n=${n}`, 'BEGIN { for (i = 1; i <= n; i++) printf "%099d\\n", i }'],
    });
    await a.next(is('started', { id: 'flood' }), 10_000);
    const ex = await a.waitFor(is('exited', { task_id: 'flood' }), 60_000);
    expect(ex.exit_code).toBe(0);
    const outs = a.received(is('output', { task_id: 'flood' }));
    expect(outs).toHaveLength(n);
    expect(outs.every((m, i) => m.data === line(i + 1))).toBe(true);

    // Now read what the stalled client got: a gap-free prefix, then either everything (still open) or
    // a close frame with 1008/1013 and a reason.
    const received: Message[] = [];
    let close: { code: number; reason: string } | undefined;
    let ended = false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 20_000);
      const finish = () => {
        clearTimeout(timer);
        resolve();
      };
      const consume = () => {
        const { frames, rest } = parseFrames(buf);
        buf = rest;
        for (const f of frames) {
          if (f.opcode === 0x1 || f.opcode === 0x2) {
            received.push(JSON.parse(f.payload.toString('utf8')) as Message);
          } else if (f.opcode === 0x8) {
            close = {
              code: f.payload.length >= 2 ? f.payload.readUInt16BE(0) : 1005,
              reason: f.payload.subarray(2).toString('utf8'),
            };
          }
        }
        if (close || received.some(is('exited', { task_id: 'flood' }))) finish();
      };
      sock.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        consume();
      });
      sock.on('end', () => {
        ended = true;
        finish();
      });
      sock.on('close', () => {
        ended = true;
        finish();
      });
      sock.resume();
      consume();
    });

    const slowOuts = received.filter(is('output', { task_id: 'flood' }));
    expect(
      slowOuts.every((m, i) => m.data === line(i + 1)),
      'gap-free prefix',
    ).toBe(true);
    const complete = slowOuts.length === n && received.some(is('exited', { task_id: 'flood' }));
    if (!complete) {
      expect(
        close,
        `disconnected without a close frame after ${slowOuts.length} events (ended=${ended})`,
      ).toBeDefined();
      expect([1008, 1013]).toContain(close?.code);
      expect(close?.reason).not.toBe('');
    }

    // The server is still responsive for the other client.
    a.send({ type: 'list', id: 'after' });
    expect(tasksOf(await a.next(is('tasks', { id: 'after' }))).map((t) => t.task_id)).toEqual(['flood']);
  }, 120_000);
});
