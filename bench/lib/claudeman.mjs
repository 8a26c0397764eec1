// The Claudeman side of the benchmarks: starting `claudeman web` with the fake `claude`, its REST API,
// a lean Server-Sent Events client, the terminal WebSocket, and the fake CLI run straight in a PTY.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as pty from 'node-pty';
import { cpuMs, descendants, killSurvivors, procInfo, procState, rssKB } from './proc.mjs';
import { freePort, REPO, ServerHandle } from './server.mjs';
import { deferred, sleep, within } from './util.mjs';
import { connect, parseFrame } from './wsclient.mjs';

/** The access token every benchmark server runs with (CLAUDEMAN_TOKEN). */
export const TOKEN = 'claudeman-bench-token';

/** Claude Code's input prompt glyph. */
export const PROMPT_GLYPH = '\u276f';

/** The first line of a `[[big:N]]` reply: where a flood starts. */
export const FLOOD_MARKER = 'big reply line 000001';

/**
 * Everything this module started (servers, the bare-PTY CLI): killed when the runner exits, even one a
 * scenario started after its time cap had already cleaned up.
 * @type {Set<{killNow: () => void}>}
 */
const started = new Set();
process.on('exit', () => {
  for (const p of started) p.killNow();
});

/** Terminal size of every interactive session and of the bare PTY. */
export const SIZE = { cols: 120, rows: 40 };

/**
 * The claudeman command: BENCH_CLAUDEMAN_BIN (a .js/.mjs file is run with this node) or the built
 * dist/cli/claudeman.js, with `web`.
 * @returns {{command: string, args: string[], display: string}}
 */
export function claudemanCommand() {
  const bin = process.env.BENCH_CLAUDEMAN_BIN || join(REPO, 'dist', 'cli', 'claudeman.js');
  if (!existsSync(bin)) {
    throw new Error(
      `claudeman bin ${bin} not found; run \`npm run build\` first (or set BENCH_CLAUDEMAN_BIN)`,
    );
  }
  if (/\.[cm]?js$/.test(bin))
    return { command: process.execPath, args: [bin, 'web'], display: `node ${bin} web` };
  return { command: bin, args: ['web'], display: `${bin} web` };
}

/** The fake `claude` (BENCH_CLAUDE_BIN overrides): test/fixtures/fake-claude/claude. */
export function fakeClaudeBin() {
  const bin = process.env.BENCH_CLAUDE_BIN || join(REPO, 'test', 'fixtures', 'fake-claude', 'claude');
  if (!existsSync(bin)) throw new Error(`fake claude ${bin} not found (or set BENCH_CLAUDE_BIN)`);
  return bin;
}

/**
 * The environment of the fake CLI: no transcripts (no CLAUDE_CONFIG_DIR / FAKE_CLAUDE_STATE_DIR), no
 * recording, no idle Notification hook, no nested-Claude marker.
 * @param {NodeJS.ProcessEnv} base
 */
function cliEnv(base) {
  const env = { ...base };
  for (const k of Object.keys(env)) if (k.startsWith('FAKE_CLAUDE_')) delete env[k];
  delete env.CLAUDE_CONFIG_DIR;
  delete env.CLAUDECODE;
  env.FAKE_CLAUDE_IDLE_NOTIFY_MS = 'off';
  return env;
}

export class ClaudemanHandle extends ServerHandle {
  /**
   * @param {import('node:child_process').ChildProcess} proc
   * @param {number} port
   * @param {string} dir
   * @param {string} logPath
   */
  constructor(proc, port, dir, logPath) {
    super(proc, port, dir, logPath);
    this.token = TOKEN;
    /** working directory for sessions */
    this.workDir = join(dir, 'work');
  }

  /** With BENCH_TERMINAL_HOST=tmux the agents outlive the server by design: end its tmux server too. */
  endTmux() {
    const socket = join(this.dir, 'home', 'tmux', 'tmux.sock');
    if (existsSync(socket))
      spawnSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore', timeout: 5_000 });
  }

  /** @param {number} graceMs */
  async doStop(graceMs) {
    const socketDir = join(this.dir, 'home', 'tmux');
    if (!existsSync(socketDir)) return super.doStop(graceMs);
    const keep = process.env.BENCH_KEEP;
    process.env.BENCH_KEEP = '1';
    try {
      const info = await super.doStop(graceMs);
      this.endTmux();
      return info;
    } finally {
      if (keep === undefined) delete process.env.BENCH_KEEP;
      if (!keep) rmSync(this.dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    }
  }

  killNow() {
    this.endTmux();
    super.killNow();
  }

  /**
   * One REST call (its own connection, no keep-alive): resolves with the status and the parsed body.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   * @param {number} [timeoutMs]
   * @returns {Promise<{status: number, body: any}>}
   */
  request(method, path, body, timeoutMs = 10_000) {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
      /** @type {Record<string, string | number>} */
      const headers = { authorization: `Bearer ${this.token}` };
      if (payload) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = payload.length;
      }
      const req = http.request(
        { host: '127.0.0.1', port: this.port, method, path, headers, agent: false, timeout: timeoutMs },
        (res) => {
          /** @type {Buffer[]} */
          const parts = [];
          res.on('data', (d) => parts.push(d));
          res.on('end', () => {
            const text = Buffer.concat(parts).toString('utf8');
            let parsed = text;
            try {
              parsed = text ? JSON.parse(text) : null;
            } catch {
              // not JSON: keep the text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end(payload ?? undefined);
    });
  }

  /**
   * A REST call that must succeed (2xx), else throws with the answer.
   * @param {string} method
   * @param {string} path
   * @param {unknown} [body]
   */
  async call(method, path, body) {
    const r = await this.request(method, path, body);
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${method} ${path}: HTTP ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    }
    return r.body;
  }

  /** Create a session in the scratch working directory; returns its id. */
  async createSession() {
    const r = await this.call('POST', '/api/sessions', { workingDir: this.workDir });
    const id = r?.session?.id;
    if (typeof id !== 'string') throw new Error(`POST /api/sessions: no session id in ${JSON.stringify(r)}`);
    return id;
  }

  /** @param {string} id */
  startInteractive(id) {
    return this.call('POST', `/api/sessions/${id}/interactive`, SIZE);
  }

  /**
   * Wait until the session's terminal shows the `❯` prompt (and, with `idle`, its status is idle).
   * Polls GET /api/sessions/:id[/terminal] every `everyMs`.
   * @param {string} id
   * @param {{idle?: boolean, timeoutMs?: number, everyMs?: number}} [o]
   * @returns {Promise<{promptMs: number, idleMs: number}>} when each was first seen
   */
  async waitForPrompt(id, { idle = false, timeoutMs = 20_000, everyMs = 100 } = {}) {
    const t0 = performance.now();
    const deadline = t0 + timeoutMs;
    let promptMs = Number.NaN;
    let idleMs = Number.NaN;
    /** @type {any} */
    let last = null;
    while (performance.now() < deadline) {
      if (Number.isNaN(promptMs)) {
        last = await this.call('GET', `/api/sessions/${id}/terminal`);
        if (String(last?.terminalBuffer ?? '').includes(PROMPT_GLYPH)) promptMs = performance.now() - t0;
      }
      if (!Number.isNaN(promptMs) && idle && Number.isNaN(idleMs)) {
        last = await this.call('GET', `/api/sessions/${id}`);
        if (last?.status === 'idle') idleMs = performance.now() - t0;
      }
      if (!Number.isNaN(promptMs) && (!idle || !Number.isNaN(idleMs))) return { promptMs, idleMs };
      await sleep(everyMs);
    }
    throw new Error(
      `session ${id}: ${Number.isNaN(promptMs) ? 'no ❯ prompt' : 'status never idle'} within ${timeoutMs} ms; ` +
        `last answer: ${JSON.stringify(last).slice(0, 400)}`,
    );
  }

  /**
   * Open the terminal WebSocket of a session (token in the query string).
   * @param {string} id
   */
  terminal(id) {
    return connect(this.port, {
      path: `/ws/sessions/${id}/terminal?token=${encodeURIComponent(this.token)}`,
    });
  }

  /**
   * Connect to the server's inspector (started with `inspect: true`): returns a function that makes V8
   * collect all garbage (HeapProfiler.collectGarbage, twice) and reports the heap in use afterwards.
   * @returns {Promise<{gc: () => Promise<{usedKB: number, totalKB: number}>, close: () => Promise<void>}>}
   */
  async inspector() {
    const url = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)(\/\S+)/.exec(this.logTail(100_000));
    if (!url) throw new Error('the server has no inspector (start it with inspect: true)');
    const ws = await connect(Number(url[1]), { path: url[2] });
    let nextId = 1;
    /** @type {Map<number, {resolve: (v: any) => void, reject: (e: Error) => void}>} */
    const waiting = new Map();
    ws.onmessage = (buf, off, len) => {
      const m = parseFrame(buf, off, len);
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      if (m.error) w.reject(new Error(`inspector: ${JSON.stringify(m.error)}`));
      else w.resolve(m.result);
    };
    /** @param {string} method */
    const call = (method) => {
      const id = nextId++;
      /** @type {{promise: Promise<any>, resolve: (v: any) => void, reject: (e: Error) => void}} */
      const d = deferred();
      waiting.set(id, d);
      ws.send({ id, method });
      return within(d.promise, 15_000, `inspector: no answer to ${method}`);
    };
    return {
      gc: async () => {
        await call('HeapProfiler.collectGarbage');
        await call('HeapProfiler.collectGarbage');
        const h = await call('Runtime.getHeapUsage');
        return { usedKB: h.usedSize / 1024, totalKB: h.totalSize / 1024 };
      },
      close: () => ws.close(),
    };
  }

  /**
   * Open the event stream.
   * @param {string} query e.g. `sessions=<id>`
   * @param {SseHandler} onevent set before the first byte arrives (the `init` event comes at once)
   */
  events(query, onevent) {
    return openEvents(this.port, this.token, query, onevent);
  }
}

/**
 * Start a fresh `claudeman web` (own temp dir as CLAUDEMAN_HOME, cases dir and session working dir;
 * free port; fixed token; the fake claude) and wait for its `Claudeman listening on` line. The handle
 * is registered with the scenario at once, so it is stopped (and its CLI processes killed) whatever
 * happens next.
 * @param {import('../run.mjs').Ctx} ctx
 * With `inspect`, the server runs with its inspector on a free loopback port (see inspector()); with
 * `nodeArgs`, those node options are added (both only when the server is a node script).
 * @param {{readyTimeoutMs?: number, inspect?: boolean, nodeArgs?: string[], env?: Record<string, string>}} [o]
 * @returns {Promise<ClaudemanHandle>}
 */
export async function startClaudeman(
  ctx,
  { readyTimeoutMs = 20_000, inspect = false, nodeArgs = [], env: extra = {} } = {},
) {
  const { command, args } = claudemanCommand();
  const claudeBin = fakeClaudeBin();
  const dir = mkdtempSync(join(tmpdir(), 'claudeman-bench-'));
  for (const d of ['home', 'cases', 'work']) mkdirSync(join(dir, d));
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const env = {
    ...cliEnv(process.env),
    CLAUDEMAN_PORT: String(port),
    CLAUDEMAN_HOST: '127.0.0.1',
    CLAUDEMAN_HOME: join(dir, 'home'),
    CLAUDEMAN_CASES_DIR: join(dir, 'cases'),
    CLAUDEMAN_TOKEN: TOKEN,
    CLAUDEMAN_CLAUDE_BIN: claudeBin,
    CLAUDEMAN_LOG_LEVEL: 'warn',
    // Plain PTYs unless BENCH_TERMINAL_HOST=tmux: the terminal scenarios measure our own pipeline
    // (tmux condenses a flood into screen redraws, and its agents would outlive the benchmark).
    CLAUDEMAN_TERMINAL_HOST: process.env.BENCH_TERMINAL_HOST || 'pty',
    ...extra,
  };
  const isNode = command === process.execPath;
  const opts = [...nodeArgs];
  if (process.env.BENCH_CPU_PROF) opts.push('--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`);
  if (inspect) opts.push(`--inspect=127.0.0.1:${await freePort()}`);
  const proc = spawn(command, isNode ? [...opts, ...args] : args, {
    cwd: dir,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const srv = new ClaudemanHandle(proc, port, dir, logPath);
  ctx.servers.push(srv);
  started.add(srv);
  await new Promise((res, rej) => {
    proc.once('spawn', res);
    proc.once('error', rej);
  });
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (srv.exit) {
      const log = srv.logTail();
      await srv.stop();
      throw new Error(`claudeman exited during start-up (${JSON.stringify(srv.exit)}); log:\n${log}`);
    }
    let log = '';
    try {
      log = readFileSync(logPath, 'utf8');
    } catch {
      // not yet
    }
    if (log.includes('Claudeman listening on http://')) return srv;
    if (performance.now() > deadline) {
      await srv.stop();
      throw new Error(`claudeman not listening on port ${port} after ${readyTimeoutMs} ms; log:\n${log}`);
    }
    await sleep(50);
  }
}

const EVENT_END = Buffer.from('\n\n');
const EVENT_FIELD = Buffer.from('\nevent: ');
const DATA_FIELD = Buffer.from('\ndata: ');

/**
 * @typedef {(type: string, buf: Buffer, dataStart: number, dataEnd: number) => void} SseHandler
 *   one event: its name and where its `data:` line's text lies in `buf` (valid only during the call)
 */

/**
 * A lean Server-Sent Events reader on `GET /api/events`: splits the byte stream at blank lines and
 * hands each event's name and data span to `onevent`; JSON is parsed only by handlers that need it.
 */
export class SseStream {
  /**
   * @param {import('node:http').ClientRequest} req
   * @param {SseHandler} onevent
   */
  constructor(req, onevent) {
    this.req = req;
    this.onevent = onevent;
    this.events = 0;
    this.bytes = 0;
    /** @type {Buffer[]} */
    this.pending = [];
    this.pendingLen = 0;
    /** @type {string | null} why the stream ended, once it has */
    this.ended = null;
    const done = deferred();
    /** resolves with the reason when the stream ends */
    this.closed = done.promise;
    this.endWith = (/** @type {string} */ why) => {
      if (this.ended === null) {
        this.ended = why;
        done.resolve(why);
      }
    };
  }

  /** @param {Buffer} chunk */
  onData(chunk) {
    this.bytes += chunk.length;
    let start = 0;
    if (this.pendingLen > 0) {
      // An event continued from earlier chunks: find its end (which may straddle the boundary).
      const last = this.pending[this.pending.length - 1];
      let end = -1;
      if (last && last[last.length - 1] === 0x0a && chunk[0] === 0x0a) end = 1;
      else {
        const i = chunk.indexOf(EVENT_END);
        if (i >= 0) end = i + 2;
      }
      if (end < 0) {
        this.pending.push(chunk);
        this.pendingLen += chunk.length;
        return;
      }
      this.pending.push(chunk.subarray(0, end));
      const ev = Buffer.concat(this.pending, this.pendingLen + end);
      this.pending = [];
      this.pendingLen = 0;
      this.dispatch(ev, 0, ev.length);
      start = end;
    }
    for (;;) {
      const i = chunk.indexOf(EVENT_END, start);
      if (i < 0) break;
      this.dispatch(chunk, start, i + 2);
      start = i + 2;
    }
    if (start < chunk.length) {
      this.pending.push(chunk.subarray(start));
      this.pendingLen += chunk.length - start;
    }
  }

  /**
   * @param {Buffer} buf
   * @param {number} from
   * @param {number} to end of the event (after its blank line)
   */
  dispatch(buf, from, to) {
    if (buf[from] === 0x3a) return; // a comment (keep-alive)
    this.events++;
    // Fields are `id:`, `event:`, `data:` in that order; look for them after a line break.
    const e = buf.indexOf(EVENT_FIELD, from);
    let type = 'message';
    if (e >= 0 && e < to) {
      const eol = buf.indexOf(0x0a, e + EVENT_FIELD.length);
      type = buf.toString('latin1', e + EVENT_FIELD.length, eol);
    }
    const d = buf.indexOf(DATA_FIELD, from);
    if (d < 0 || d >= to) {
      this.onevent(type, buf, to, to);
      return;
    }
    const ds = d + DATA_FIELD.length;
    const de = buf.indexOf(0x0a, ds);
    this.onevent(type, buf, ds, de < 0 || de > to ? to : de);
  }

  close() {
    this.endWith('closed by the benchmark');
    this.req.destroy();
  }
}

/**
 * @param {number} port
 * @param {string} token
 * @param {string} query
 * @param {SseHandler} onevent
 * @returns {Promise<SseStream>} once the response headers arrived (200)
 */
export function openEvents(port, token, query, onevent) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'GET',
      path: `/api/events${query ? `?${query}` : ''}`,
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      agent: false,
    });
    const stream = new SseStream(req, onevent);
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`GET /api/events: HTTP ${res.statusCode}`));
        res.resume();
        return;
      }
      res.socket.setNoDelay(true);
      res.on('data', (chunk) => stream.onData(chunk));
      res.on('end', () => stream.endWith('the server ended the stream'));
      res.on('close', () => stream.endWith('connection closed'));
      resolve(stream);
    });
    req.on('error', (err) => {
      stream.endWith(`error: ${err.message}`);
      reject(err);
    });
    req.end();
  });
}

/** The JSON of an event's data line. @param {Buffer} buf @param {number} s @param {number} e */
export const eventJson = (buf, s, e) => JSON.parse(buf.toString('utf8', s, e));

/**
 * A stand-in for a server in ctx.servers so that the runner's clean-up (stop, and killNow at exit)
 * also ends a process the benchmark itself runs (the bare-PTY fake claude).
 */
export class OwnChild {
  /** @param {number} pid */
  constructor(pid) {
    this.pid = pid;
    this.info = procInfo(pid);
    this.totalCpuMs = 0; // it is this process's child: its CPU counts as the runner's own
    this.done = false;
  }

  killNow() {
    if (this.done) return;
    this.done = true;
    // Only the same process (pid and start time), never a successor that reused the pid.
    if (!this.info || procState(this.info) !== 'alive') return;
    const kids = descendants(this.pid);
    killSurvivors([this.info]);
    killSurvivors(kids);
  }

  async stop() {
    this.killNow();
    return { code: null, signal: null, shutdownMs: 0, killed: true, leftoverChildren: 0 };
  }

  logTail() {
    return '';
  }
}

/**
 * The bare-PTY limit: the fake claude run directly in node-pty in this process, the same `[[big:N]]`
 * line typed at its prompt; characters from the first reply line until `bytes` of them have arrived,
 * then on to the end of the turn (for the total the server must deliver too). The better of two runs.
 * @param {import('../run.mjs').Ctx} ctx
 * @param {{bytes: number, timeoutMs: number}} o
 */
export async function barePtyFlood(ctx, o) {
  const a = await barePtyFloodOnce(ctx, o);
  await sleep(300);
  const b = await barePtyFloodOnce(ctx, o);
  const best = b.mbPerSec > a.mbPerSec ? b : a;
  return { ...best, runs: [a.mbPerSec, b.mbPerSec] };
}

/**
 * One bare-PTY flood (see barePtyFlood).
 * @param {import('../run.mjs').Ctx} ctx
 * @param {{bytes: number, timeoutMs: number}} o
 */
async function barePtyFloodOnce(ctx, { bytes, timeoutMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'claudeman-bench-pty-'));
  const env = cliEnv(process.env);
  if (process.getuid?.() === 0) env.IS_SANDBOX = '1';
  const t0 = performance.now();
  const term = pty.spawn(fakeClaudeBin(), ['--dangerously-skip-permissions'], {
    name: 'xterm-256color',
    cols: SIZE.cols,
    rows: SIZE.rows,
    cwd: dir,
    env: /** @type {Record<string, string>} */ (env),
  });
  const own = new OwnChild(term.pid);
  ctx.servers.push(own);
  started.add(own);
  try {
    const prompt = deferred();
    const cpu = new CpuWindow([term.pid]);
    const counter = new FloodCounter(bytes, { onFirst: () => cpu.start(), onTarget: () => cpu.end() });
    let seenPrompt = false;
    term.onData((d) => {
      if (!seenPrompt && d.includes(PROMPT_GLYPH)) {
        seenPrompt = true;
        prompt.resolve(undefined);
      }
      counter.feed(d, performance.now());
    });
    term.onExit(({ exitCode, signal }) => {
      const e = new Error(`bare fake claude exited (code ${exitCode}, signal ${signal})`);
      prompt.reject(e);
      counter.reached.reject(e);
      counter.finished.reject(e);
    });
    await within(prompt.promise, 15_000, 'bare PTY: no ❯ prompt from the fake claude');
    const startupMs = performance.now() - t0;
    await sleep(300);
    term.write(`[[big:${bytes}]]`);
    await sleep(30);
    term.write('\r');
    await within(
      counter.reached.promise,
      timeoutMs,
      `bare PTY: flood incomplete (${counter.received} of ${bytes} characters)`,
    );
    let doneErr = '';
    await within(counter.finished.promise, 20_000, 'bare PTY: the turn did not end').catch((e) => {
      doneErr = e.message;
    });
    return {
      mbPerSec: counter.mbPerSec,
      elapsedMs: counter.tTarget - counter.tFirst,
      chunks: counter.chunks,
      totalAtDone: counter.totalAtDone,
      doneErr,
      startupMs,
      readerCpuMs: cpu.selfMs,
      cliCpuMs: cpu.pidMs[0] ?? Number.NaN,
    };
  } finally {
    try {
      term.kill('SIGKILL');
    } catch {
      // gone
    }
    own.killNow();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * CPU used between two moments by this process and by some other processes (read from /proc).
 */
export class CpuWindow {
  /** @param {number[]} pids */
  constructor(pids) {
    this.pids = pids;
    /** @type {NodeJS.CpuUsage | null} */
    this.self0 = null;
    /** @type {number[]} */
    this.pid0 = [];
    this.selfMs = Number.NaN;
    /** @type {number[]} */
    this.pidMs = [];
  }

  start() {
    this.self0 = process.cpuUsage();
    this.pid0 = this.pids.map((p) => cpuMs(p));
  }

  end() {
    if (!this.self0) return;
    const cu = process.cpuUsage(this.self0);
    this.selfMs = (cu.user + cu.system) / 1000;
    this.pidMs = this.pids.map((p, i) => cpuMs(p) - (this.pid0[i] ?? Number.NaN));
  }
}

/**
 * Resident memory of a process tree's members other than the root (the CLI processes), KiB.
 * @param {number} root
 */
export function childrenRssKB(root) {
  let total = 0;
  let count = 0;
  for (const p of descendants(root)) {
    const r = rssKB(p.pid);
    if (Number.isFinite(r)) {
      total += r;
      count++;
    }
  }
  return { total, count };
}

/** The line a finished interactive turn ends with: `✻ Baked for 3s`. */
const TURN_DONE = /✻ \S+ for \d+s/;

/**
 * Counts a `[[big:N]]` flood in a terminal stream (the same way for the bare PTY and the server):
 * characters from the first reply line on, the time the first of them and the `target`-th arrived, and
 * where the turn ended (its `✻ … for Ns` line), for an end-to-end integrity check.
 */
export class FloodCounter {
  /**
   * @param {number} target
   * @param {{onFirst?: () => void, onTarget?: () => void}} [hooks] called when the first flood character
   *   and the target-th arrive (to read CPU counters at those moments)
   */
  constructor(target, hooks = {}) {
    this.target = target;
    this.hooks = hooks;
    this.counting = false;
    /** characters since the first reply line */
    this.received = 0;
    /** chunks (PTY reads or events) that carried flood characters */
    this.chunks = 0;
    this.tFirst = 0;
    this.tTarget = 0;
    /** characters from the first reply line to the end of the turn's last line, once seen */
    this.totalAtDone = Number.NaN;
    this.tDone = 0;
    this.tail = '';
    this.reached = deferred();
    this.finished = deferred();
  }

  /**
   * @param {string} d a chunk of terminal output
   * @param {number} now performance.now() at its arrival
   */
  feed(d, now) {
    const combined = this.tail + d;
    if (!this.counting) {
      const i = combined.indexOf(FLOOD_MARKER);
      if (i < 0) {
        this.tail = combined.slice(-FLOOD_MARKER.length);
        return;
      }
      this.counting = true;
      this.tFirst = now;
      this.received = combined.length - i;
      this.hooks.onFirst?.();
    } else this.received += d.length;
    this.chunks++;
    if (!this.tTarget && this.received >= this.target) {
      this.tTarget = now;
      this.hooks.onTarget?.();
      this.reached.resolve(undefined);
    }
    if (this.tTarget && !this.tDone) {
      const m = TURN_DONE.exec(combined);
      if (m) {
        this.tDone = now;
        this.totalAtDone = this.received - (combined.length - (m.index + m[0].length));
        this.finished.resolve(undefined);
      }
    }
    this.tail = combined.slice(-40);
  }

  /** MB/s (10^6 characters per second) from the first flood character to the target-th. */
  get mbPerSec() {
    return this.tTarget ? this.target / 1e6 / ((this.tTarget - this.tFirst) / 1000) : Number.NaN;
  }
}
