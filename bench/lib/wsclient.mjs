// A deliberately minimal WebSocket client for the benchmarks.
//
// The benchmark client shares a 2-core machine with the server, so it must cost as little CPU per frame
// as possible. Instead of the `ws` package (which allocates a Buffer and emits an event per message and
// validates UTF-8), this client parses the frame headers straight out of the TCP chunks and hands the
// payload to the callback as (chunk, offset, length) without copying. Callers look at the first bytes
// to learn the message type (see frameType) and JSON.parse only the frames they must inspect.
//
// Supports what the overseer server sends: unmasked text/binary frames (7/16/64-bit lengths),
// fragmentation, ping (answered with pong), close (code + reason). No extensions are negotiated.
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import net from 'node:net';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * @typedef {(buf: Buffer, off: number, len: number, isBinary: boolean) => void} FrameHandler
 * @typedef {{code: number, reason: string, at: number, byServer: boolean}} CloseInfo
 */

/**
 * Open a WebSocket to ws://host:port/path (loopback only in the benchmarks).
 *
 * The socket reads into one preallocated buffer (net's `onread` option): no Buffer is allocated and no
 * stream event is emitted per read, which keeps the per-read cost of the benchmark client low.
 * @param {number} port
 * @param {{host?: string, path?: string, timeoutMs?: number}} [opts]
 * @returns {Promise<LeanWs>}
 */
export function connect(port, { host = '127.0.0.1', path = '/ws', timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString('base64');
    /** @type {LeanWs | null} */
    let ws = null;
    /** @type {Buffer[]} */
    let head = [];
    let settled = false;
    /** @param {Error} err */
    const fail = (err) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const socket = net.connect({
      port,
      host,
      onread: {
        buffer: Buffer.allocUnsafe(256 * 1024),
        callback: (nread, buf) => {
          if (ws) {
            ws.onData(buf, nread);
            return true;
          }
          // Still in the HTTP handshake: collect until the end of the response header.
          head.push(Buffer.from(buf.subarray(0, nread)));
          const all = Buffer.concat(head);
          const end = all.indexOf('\r\n\r\n');
          if (end < 0) {
            head = [all];
            if (all.length > 16384) fail(new Error('WebSocket handshake: response header too long'));
            return true;
          }
          const header = all.toString('latin1', 0, end);
          const status = /^HTTP\/1\.[01] (\d{3})/.exec(header)?.[1];
          if (status !== '101') {
            fail(
              new Error(
                `WebSocket handshake: HTTP ${status ?? '?'} instead of 101: ${header.split('\r\n')[0]}`,
              ),
            );
            return false;
          }
          const accept = /^sec-websocket-accept:\s*(\S+)/im.exec(header)?.[1];
          const expected = createHash('sha1')
            .update(key + GUID)
            .digest('base64');
          if (accept !== expected) {
            fail(new Error('WebSocket handshake: bad Sec-WebSocket-Accept'));
            return false;
          }
          settled = true;
          clearTimeout(timer);
          ws = new LeanWs(socket);
          const rest = Buffer.from(all.subarray(end + 4));
          // Frames that came with the handshake (a server's first message often does) wait until the
          // caller, resumed by resolve(), has set onmessage; reading pauses so nothing overtakes them.
          socket.pause();
          resolve(ws);
          setImmediate(() => {
            if (rest.length) ws?.onData(rest, rest.length);
            socket.resume();
          });
          return true;
        },
      },
    });
    const timer = setTimeout(
      () => fail(new Error(`WebSocket connect to port ${port} timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('error', (err) => fail(err));
    socket.on('close', () => fail(new Error('connection closed during the WebSocket handshake')));
    socket.on('connect', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
  });
}

export class LeanWs {
  /**
   * @param {import('node:net').Socket} socket connected, handshake done, reading via `onread` into onData
   */
  constructor(socket) {
    this.socket = socket;
    /** @type {FrameHandler} called for every complete text/binary message; (buf, off, len) is only valid during the call */
    this.onmessage = () => {};
    /** messages received */
    this.messages = 0;
    /** raw bytes received */
    this.bytes = 0;
    /** @type {CloseInfo | null} */
    this.closeInfo = null;
    /** @type {Error | null} */
    this.error = null;
    /** @type {Buffer[]} unparsed bytes, waiting for the rest of a frame */
    this.pending = [];
    this.pendingLen = 0;
    this.need = 0;
    /** @type {Buffer[] | null} fragments of a fragmented message */
    this.frag = null;
    this.fragBinary = false;
    this.closeSent = false;
    /** @type {(info: CloseInfo) => void} */
    let resolveClosed = () => {};
    /** @type {Promise<CloseInfo>} resolves when the TCP connection is gone */
    this.closed = new Promise((r) => {
      resolveClosed = r;
    });
    socket.setNoDelay(true);
    socket.on('error', (err) => {
      this.error = err;
    });
    socket.on('close', () => {
      if (!this.closeInfo) {
        this.closeInfo = {
          code: 1006,
          reason: this.error ? this.error.message : '',
          at: performance.now(),
          byServer: true,
        };
      }
      resolveClosed(this.closeInfo);
    });
  }

  /** True once a close frame arrived or the connection dropped. */
  get isClosed() {
    return this.closeInfo !== null;
  }

  /**
   * Parse `n` bytes of `chunk`. The chunk is the socket's reusable read buffer: nothing may keep a
   * reference to it after this returns, so an incomplete frame at the end is copied.
   * @param {Buffer} chunk
   * @param {number} n
   */
  onData(chunk, n) {
    this.bytes += n;
    if (this.pendingLen > 0) {
      this.pending.push(Buffer.from(chunk.subarray(0, n)));
      this.pendingLen += n;
      if (this.pendingLen < this.need) return;
      chunk = Buffer.concat(this.pending, this.pendingLen);
      n = chunk.length;
      this.pending = [];
      this.pendingLen = 0;
    }
    let off = 0;
    for (;;) {
      const avail = n - off;
      if (avail < 2) {
        this.need = 2;
        break;
      }
      const b1 = chunk[off + 1];
      let len = b1 & 0x7f;
      let hdr = 2;
      if (len === 126) {
        if (avail < 4) {
          this.need = 4;
          break;
        }
        len = chunk.readUInt16BE(off + 2);
        hdr = 4;
      } else if (len === 127) {
        if (avail < 10) {
          this.need = 10;
          break;
        }
        len = chunk.readUInt32BE(off + 2) * 0x100000000 + chunk.readUInt32BE(off + 6);
        hdr = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      if (masked) hdr += 4;
      if (avail < hdr + len) {
        this.need = hdr + len;
        break;
      }
      const p = off + hdr;
      if (masked) {
        for (let i = 0; i < len; i++) chunk[p + i] ^= chunk[p - 4 + (i & 3)];
      }
      this.frame(chunk[off], chunk, p, len);
      off = p + len;
    }
    if (off < n) {
      this.pending.push(Buffer.from(chunk.subarray(off, n)));
      this.pendingLen = n - off;
    }
  }

  /**
   * @param {number} b0 first header byte (FIN + opcode)
   * @param {Buffer} buf
   * @param {number} p payload offset
   * @param {number} len payload length
   */
  frame(b0, buf, p, len) {
    const fin = (b0 & 0x80) !== 0;
    const op = b0 & 0x0f;
    if (op === 1 || op === 2) {
      if (fin) {
        this.messages++;
        this.onmessage(buf, p, len, op === 2);
      } else {
        this.frag = [Buffer.from(buf.subarray(p, p + len))];
        this.fragBinary = op === 2;
      }
    } else if (op === 0) {
      if (!this.frag) return;
      this.frag.push(Buffer.from(buf.subarray(p, p + len)));
      if (fin) {
        const m = Buffer.concat(this.frag);
        this.frag = null;
        this.messages++;
        this.onmessage(m, 0, m.length, this.fragBinary);
      }
    } else if (op === 8) {
      const code = len >= 2 ? buf.readUInt16BE(p) : 1005;
      const reason = len > 2 ? buf.toString('utf8', p + 2, p + len) : '';
      if (!this.closeInfo)
        this.closeInfo = { code, reason, at: performance.now(), byServer: !this.closeSent };
      if (!this.closeSent) this.writeFrame(0x8, len >= 2 ? buf.subarray(p, p + 2) : Buffer.alloc(0));
      this.closeSent = true;
      this.socket.end();
    } else if (op === 9) {
      this.writeFrame(0xa, Buffer.from(buf.subarray(p, p + len)));
    }
  }

  /**
   * @param {number} op
   * @param {Buffer} payload
   */
  writeFrame(op, payload) {
    if (this.socket.destroyed || !this.socket.writable) return;
    const len = payload.length;
    const hdr = len < 126 ? 6 : len < 65536 ? 8 : 14;
    const out = Buffer.allocUnsafe(hdr + len);
    out[0] = 0x80 | op;
    if (len < 126) {
      out[1] = 0x80 | len;
    } else if (len < 65536) {
      out[1] = 0x80 | 126;
      out.writeUInt16BE(len, 2);
    } else {
      out[1] = 0x80 | 127;
      out.writeUInt32BE(Math.floor(len / 0x100000000), 2);
      out.writeUInt32BE(len >>> 0, 6);
    }
    const mask = out.subarray(hdr - 4, hdr);
    randomFillSync(mask);
    for (let i = 0; i < len; i++) out[hdr + i] = payload[i] ^ mask[i & 3];
    this.socket.write(out);
  }

  /**
   * Send one message (an object is JSON-encoded) as a text frame.
   * @param {unknown} msg
   */
  send(msg) {
    this.writeFrame(0x1, Buffer.from(typeof msg === 'string' ? msg : JSON.stringify(msg)));
  }

  /**
   * Send many messages in one burst (pipelined, corked into as few TCP segments as possible).
   * @param {unknown[]} msgs
   */
  sendMany(msgs) {
    this.socket.cork();
    for (const m of msgs) this.send(m);
    process.nextTick(() => this.socket.uncork());
  }

  /** Stop reading from the socket (the kernel buffers fill up, then the server's queue does). */
  pause() {
    this.socket.pause();
  }

  resume() {
    this.socket.resume();
  }

  /**
   * Close politely (close frame), and drop the connection if the server does not answer in time.
   * @param {number} [timeoutMs]
   */
  async close(timeoutMs = 1000) {
    if (this.socket.destroyed) return;
    if (!this.closeSent) {
      this.closeSent = true;
      const b = Buffer.alloc(2);
      b.writeUInt16BE(1000);
      this.writeFrame(0x8, b);
    }
    const t = setTimeout(() => this.socket.destroy(), timeoutMs);
    await this.closed;
    clearTimeout(t);
  }

  /** Drop the TCP connection at once. */
  destroy() {
    this.socket.destroy();
  }
}

const TYPE_PREFIX = Buffer.from('{"type":"');

/**
 * The `type` of a server message, read from its first bytes without parsing JSON when the message
 * starts with `{"type":"` (the key order the original uses); otherwise falls back to JSON.parse.
 * @param {Buffer} buf
 * @param {number} off
 * @param {number} len
 * @returns {string}
 */
export function frameType(buf, off, len) {
  if (
    len > 12 &&
    buf[off + 8] === 0x22 &&
    buf[off] === 0x7b &&
    buf[off + 2] === 0x74 &&
    buf[off + 7] === 0x3a
  ) {
    let ok = true;
    for (let i = 1; i < 8; i++) {
      if (buf[off + i] !== TYPE_PREFIX[i]) {
        ok = false;
        break;
      }
    }
    if (ok) {
      const start = off + 9;
      const end = off + len;
      let j = start;
      while (j < end && buf[j] !== 0x22) j++;
      const n = j - start;
      const c = buf[start];
      // (first letter, length) identifies each known type without allocating a string.
      if (c === 0x6f && n === 6) return 'output';
      if (c === 0x65 && n === 6) return 'exited';
      if (c === 0x73 && n === 7) return 'started';
      if (c === 0x72 && n === 10) return 'restarting';
      if (c === 0x74 && n === 5) return 'tasks';
      if (c === 0x65 && n === 7) return 'errored';
      if (c === 0x65 && n === 5) return 'error';
      return buf.toString('latin1', start, j);
    }
  }
  try {
    const t = parseFrame(buf, off, len).type;
    return typeof t === 'string' ? t : '?';
  } catch {
    return '?';
  }
}

/**
 * JSON-decode one message.
 * @param {Buffer} buf
 * @param {number} off
 * @param {number} len
 * @returns {Record<string, any>}
 */
export function parseFrame(buf, off, len) {
  return JSON.parse(buf.toString('utf8', off, off + len));
}
