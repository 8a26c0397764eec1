// Starting and stopping the server under test (the sticky-overseer bin), one fresh instance per scenario.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuMs, cpuMsWithChildren, descendants, hwmKB, killSurvivors, rssKB } from './proc.mjs';
import { sleep } from './util.mjs';
import { connect } from './wsclient.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The server command: BENCH_SERVER_BIN (a .js/.mjs file is run with this node, anything else is
 * executed directly) or the built dist/cli/sticky-overseer.js.
 * @returns {{command: string, args: string[], display: string}}
 */
export function serverCommand() {
  const bin = process.env.BENCH_SERVER_BIN || join(REPO, 'dist', 'cli', 'sticky-overseer.js');
  if (!existsSync(bin)) {
    throw new Error(`server bin ${bin} not found; run \`npm run build\` first (or set BENCH_SERVER_BIN)`);
  }
  if (/\.[cm]?js$/.test(bin)) return { command: process.execPath, args: [bin], display: `node ${bin}` };
  return { command: bin, args: [], display: bin };
}

/** A free TCP port on the loopback interface (listen on port 0, read it, close). */
export function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => res(port));
    });
  });
}

/**
 * @typedef {object} StopInfo
 * @property {number | null} code exit code
 * @property {string | null} signal signal that ended it
 * @property {number} shutdownMs SIGTERM → exit
 * @property {boolean} killed whether SIGKILL was needed
 * @property {number} leftoverChildren descendants still alive after the server exited (then SIGKILLed)
 */

export class ServerHandle {
  /**
   * @param {import('node:child_process').ChildProcess} proc
   * @param {number} port
   * @param {string} dir
   * @param {string} logPath
   */
  constructor(proc, port, dir, logPath) {
    this.proc = proc;
    this.pid = /** @type {number} */ (proc.pid);
    this.port = port;
    this.dir = dir;
    this.logPath = logPath;
    /** @type {{code: number | null, signal: string | null} | null} */
    this.exit = null;
    /** @type {Promise<{code: number | null, signal: string | null}>} */
    this.exited = new Promise((r) => {
      proc.on('exit', (code, signal) => {
        this.exit = { code, signal };
        r(this.exit);
      });
    });
    /** @type {StopInfo | null} */
    this.stopInfo = null;
    /** CPU used by the server and its reaped children up to the stop request, ms (set by stop) */
    this.totalCpuMs = 0;
    /** @type {Promise<StopInfo> | null} */
    this.stopping = null;
  }

  /** Server RSS now, KiB. */
  rssKB() {
    return rssKB(this.pid);
  }

  /** Server peak RSS since it started, KiB. */
  hwmKB() {
    return hwmKB(this.pid);
  }

  /** Server CPU time so far (user + system), ms. */
  cpuMs() {
    return cpuMs(this.pid);
  }

  /** The last `bytes` of the server's stdout/stderr. */
  logTail(bytes = 4000) {
    try {
      const text = readFileSync(this.logPath, 'utf8');
      return text.length > bytes ? `…${text.slice(-bytes)}` : text;
    } catch {
      return '';
    }
  }

  /**
   * SIGTERM, wait for exit (SIGKILL after `graceMs`), then SIGKILL any descendant that outlived it.
   * Idempotent. Removes the temp dir unless BENCH_KEEP is set.
   * @param {number} [graceMs]
   * @returns {Promise<StopInfo>}
   */
  stop(graceMs = 20_000) {
    if (!this.stopping) this.stopping = this.doStop(graceMs);
    return this.stopping;
  }

  /** Last resort, synchronous (for process exit): SIGKILL the server and every descendant. */
  killNow() {
    if (this.exit || this.stopInfo) return;
    const kids = descendants(this.pid);
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // gone
    }
    killSurvivors(kids);
    if (!process.env.BENCH_KEEP) rmSync(this.dir, { recursive: true, force: true });
  }

  /** @param {number} graceMs */
  async doStop(graceMs) {
    const kids = this.exit ? [] : descendants(this.pid);
    if (!this.exit) this.totalCpuMs = cpuMsWithChildren(this.pid) || 0;
    const t0 = performance.now();
    let killed = false;
    if (!this.exit) {
      this.proc.kill('SIGTERM');
      const timer = sleep(graceMs).then(() => 'timeout');
      if ((await Promise.race([this.exited, timer])) === 'timeout') {
        killed = true;
        this.proc.kill('SIGKILL');
        await this.exited;
      }
    }
    const shutdownMs = performance.now() - t0;
    await sleep(50);
    const leftoverChildren = killSurvivors(kids);
    const exit = this.exit ?? { code: null, signal: null };
    this.stopInfo = { code: exit.code, signal: exit.signal, shutdownMs, killed, leftoverChildren };
    if (!process.env.BENCH_KEEP) rmSync(this.dir, { recursive: true, force: true });
    return this.stopInfo;
  }
}

/**
 * Start a fresh server (own temp dir and database, free port, trusted CIDRs unset) and wait until
 * ws://127.0.0.1:PORT/ws accepts a WebSocket.
 * @param {{readyTimeoutMs?: number}} [opts]
 * @returns {Promise<ServerHandle>}
 */
export async function startServer({ readyTimeoutMs = 20_000 } = {}) {
  const { command, args } = serverCommand();
  const dir = mkdtempSync(join(tmpdir(), 'overseer-bench-'));
  const port = await freePort();
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const env = { ...process.env, OVERSEER_PORT: String(port) };
  delete env.OVERSEER_TRUSTED_CIDRS;
  delete env.OVERSEER_DB;
  delete env.OVERSEER_LOG_FILE;
  const proc = spawn(command, [...args, '-db', join(dir, 'overseer.db')], {
    cwd: dir,
    env,
    stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  const srv = new ServerHandle(proc, port, dir, logPath);
  await new Promise((res, rej) => {
    proc.once('spawn', res);
    proc.once('error', rej);
  });
  const deadline = performance.now() + readyTimeoutMs;
  for (;;) {
    if (srv.exit) {
      await srv.stop();
      throw new Error(`server exited during start-up (${JSON.stringify(srv.exit)}); log:\n${srv.logTail()}`);
    }
    try {
      const ws = await connect(port, { timeoutMs: 1000 });
      ws.destroy();
      return srv;
    } catch (err) {
      if (performance.now() > deadline) {
        const log = srv.logTail();
        await srv.stop();
        throw new Error(
          `server not accepting WebSockets on port ${port} after ${readyTimeoutMs} ms (${/** @type {Error} */ (err).message}); log:\n${log}`,
        );
      }
      await sleep(100);
    }
  }
}
