// The flood workload shared by the flood, fanout and stalled scenarios.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { findTcpPair } from './tcp.mjs';
import { deferred, sleep } from './util.mjs';
import { connect, frameType, parseFrame } from './wsclient.mjs';

/**
 * Absolute path of an executable found in PATH.
 * @param {string} name
 */
export function which(name) {
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw new Error(`${name} not found in PATH`);
}

/**
 * A child that prints `lines` lines of 100 bytes (99 × '0' + newline) as fast as it can, then exits 0.
 * @param {number} lines
 */
export function floodCommand(lines) {
  return {
    command: which('awk'),
    args: [`BEGIN{l=sprintf("%099d",0); for(i=0;i<${lines};i++) print l}`],
  };
}

/**
 * The raw pipe limit: wall time of `flood | wc -l`, as lines/s.
 * @param {number} lines
 * @returns {Promise<{linesPerSec: number, elapsedMs: number, counted: number}>}
 */
export function rawPipeRate(lines) {
  const { command, args } = floodCommand(lines);
  return new Promise((res, rej) => {
    const t0 = performance.now();
    const child = spawn('/bin/sh', ['-c', `'${command}' '${args[0]}' | wc -l`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.on('error', rej);
    child.on('close', (code) => {
      const elapsedMs = performance.now() - t0;
      const counted = Number(out.trim());
      if (code !== 0 || counted !== lines)
        rej(new Error(`flood | wc -l: exit ${code}, counted ${out.trim()}`));
      else res({ linesPerSec: (lines / elapsedMs) * 1000, elapsedMs, counted });
    });
  });
}

/**
 * @typedef {object} ClientResult
 * @property {number} lines output events received (live, before exited)
 * @property {boolean} exited whether the `exited` event arrived
 * @property {number} elapsedMs from the `started` reply until this client had everything (or was closed)
 * @property {{code: number, reason: string, atMs: number} | null} closed if the server closed it
 */

/**
 * Start one flooding task and count what each client receives.
 * @param {import('./server.mjs').ServerHandle} srv
 * @param {object} o
 * @param {number} o.clients normal (reading) clients; client 0 sends the start
 * @param {number} o.lines lines the child prints
 * @param {boolean} [o.stalled] add one client that never reads
 * @param {number} o.capMs give up after this long
 * @param {Record<string, unknown>} o.progress live progress, reported by the runner on a time-out
 * @param {(ws: import('./wsclient.mjs').LeanWs) => void} [o.track] register a connection for clean-up
 * @param {string} [o.id] request id of the start
 */
export async function runFlood(
  srv,
  { clients, lines, stalled = false, capMs, progress, track = () => {}, id = 'flood' },
) {
  const conns = [];
  for (let i = 0; i < clients; i++) {
    const ws = await connect(srv.port);
    track(ws);
    conns.push(ws);
  }
  /** @type {import('./wsclient.mjs').LeanWs | null} */
  let stalledWs = null;
  if (stalled) {
    stalledWs = await connect(srv.port);
    track(stalledWs);
    stalledWs.pause();
  }
  await sleep(200); // let the server settle before the baseline figures

  const rssBaseKB = srv.rssKB();
  const st = conns.map(() => ({
    lines: 0,
    exited: false,
    exitCode: NaN,
    doneAt: 0,
    closed: /** @type {ClientResult['closed']} */ (null),
  }));
  const allDone = deferred();
  let allDoneAt = 0;
  let remaining = clients;
  let t0 = 0;
  let tSend = 0;
  /** @type {Record<string, unknown> | null} */
  let startedMsg = null;
  /** @type {string[]} */
  const oddities = [];
  /** @param {number} i */
  const finish = (i) => {
    const s = /** @type {(typeof st)[0]} */ (st[i]);
    if (s.doneAt) return;
    s.doneAt = performance.now();
    if (--remaining === 0) {
      allDoneAt = s.doneAt;
      allDone.resolve(undefined);
    }
  };
  conns.forEach((ws, i) => {
    const s = /** @type {(typeof st)[0]} */ (st[i]);
    ws.onmessage = (buf, off, len) => {
      const type = frameType(buf, off, len);
      if (type === 'output') {
        if (s.lines++ === 0 && i === 0 && !startedMsg) {
          // Output before the `started` reply (a server ordering quirk): the clock starts here.
          if (!t0) t0 = performance.now();
        }
        return;
      }
      const m = parseFrame(buf, off, len);
      if (type === 'started' && i === 0 && m.id === id) {
        if (!t0) t0 = performance.now();
        startedMsg = m;
        if (s.lines > 0) oddities.push(`${s.lines} output events arrived before the started reply`);
      } else if (type === 'exited') {
        s.exited = true;
        s.exitCode = m.exit_code;
        if (s.lines !== lines) oddities.push(`client ${i}: exited after ${s.lines} of ${lines} lines`);
        finish(i);
      } else if (type === 'error') {
        allDone.reject(new Error(`server error reply: ${m.message}`));
      } else if (oddities.length < 20) {
        oddities.push(`client ${i}: unexpected ${type} ${JSON.stringify(m).slice(0, 200)}`);
      }
    };
    ws.closed.then((info) => {
      if (s.doneAt) return;
      s.closed = { code: info.code, reason: info.reason, atMs: t0 ? info.at - t0 : 0 };
      finish(i);
    });
  });

  // Stalled-client bookkeeping: when the server side of its TCP connection stops being ESTABLISHED.
  const stalledInfo = {
    serverClosedAtMs: /** @type {number | null} */ (null),
    serverState: /** @type {string | null} */ (null),
    maxServerTxQueue: 0,
    maxClientRxQueue: 0,
  };
  const stalledPort = stalledWs?.socket.localPort ?? 0;
  let rssPeakKB = rssBaseKB;
  /** @type {{ms: number, lines: number, rssMB: number}[]} progress of client 0 every 200 ms */
  const timeline = [];
  const sample = () => {
    const rss = srv.rssKB();
    if (rss > rssPeakKB) rssPeakKB = rss;
    progress.elapsedMs = t0 ? Math.round(performance.now() - t0) : 0;
    if (t0 && !allDoneAt)
      timeline.push({ ms: progress.elapsedMs, lines: st[0]?.lines ?? 0, rssMB: Math.round(rss / 1024) });
    progress.linesPerClient = st.map((s) => s.lines);
    if (stalledWs && stalledInfo.serverClosedAtMs === null) {
      const { server, client } = findTcpPair(srv.port, stalledPort);
      if (client) stalledInfo.maxClientRxQueue = Math.max(stalledInfo.maxClientRxQueue, client.rxQueue);
      if (server) stalledInfo.maxServerTxQueue = Math.max(stalledInfo.maxServerTxQueue, server.txQueue);
      if (server?.state !== 'ESTABLISHED') {
        stalledInfo.serverClosedAtMs = t0 ? performance.now() - t0 : 0;
        stalledInfo.serverState = server ? server.state : 'gone';
      }
      progress.stalled = stalledInfo;
    }
  };
  const sampler = setInterval(sample, 200);

  const cpu0 = srv.cpuMs();
  const ccpu0 = process.cpuUsage();
  const { command, args } = floodCommand(lines);
  tSend = performance.now();
  /** @type {import('./wsclient.mjs').LeanWs} */ (conns[0]).send({
    type: 'start',
    command,
    args,
    id,
  });
  /** @type {NodeJS.Timeout | undefined} */
  let capTimer;
  const cap = new Promise((_, rej) => {
    capTimer = setTimeout(() => {
      const got = st.reduce((a, s) => a + s.lines, 0);
      const el = t0 ? performance.now() - t0 : 0;
      rej(
        new Error(
          `flood not finished after ${capMs / 1000} s: ${got.toLocaleString('en-US')} of ${(lines * clients).toLocaleString('en-US')} lines delivered` +
            (el
              ? ` (${Math.round((got / el) * 1000).toLocaleString('en-US')} lines/s so far)`
              : ', no started reply'),
        ),
      );
    }, capMs);
  });
  try {
    await Promise.race([allDone.promise, cap]);
  } finally {
    clearTimeout(capTimer);
    clearInterval(sampler);
  }
  const tEnd = performance.now();
  sample();
  const serverCpuMs = srv.cpuMs() - cpu0;
  const cu = process.cpuUsage(ccpu0);
  const clientCpuMs = (cu.user + cu.system) / 1000;
  const hwm = srv.hwmKB();

  /** @type {Record<string, unknown> | null} */
  let stalledResult = null;
  if (stalledWs) {
    // The reading clients are done. Watch the stalled connection's TCP state for up to 1 s more; the
    // server may already have sent its close frame (queued behind what the socket held), which the
    // client can only see once it reads again — and must, before the server's close timeout (5 s).
    const watchUntil = performance.now() + 1000;
    while (stalledInfo.serverClosedAtMs === null && performance.now() < watchUntil) {
      await sleep(100);
      sample();
    }
    // Now read what the stalled client was sent: it ends with a close frame if the server dropped it.
    const sw = stalledWs;
    let sLines = 0;
    let sExited = false;
    const sDone = deferred();
    sw.onmessage = (buf, off, len) => {
      const type = frameType(buf, off, len);
      if (type === 'output') sLines++;
      else if (type === 'exited') {
        sExited = true;
        sDone.resolve(undefined);
      }
    };
    sw.closed.then(() => sDone.resolve(undefined));
    const tResume = performance.now();
    sw.resume();
    const drained = await Promise.race([sDone.promise.then(() => true), sleep(30_000).then(() => false)]);
    stalledResult = {
      disconnected: sw.closeInfo !== null,
      closeCode: sw.closeInfo?.code ?? null,
      closeReason: sw.closeInfo?.reason ?? null,
      serverClosedTcpAtMs: stalledInfo.serverClosedAtMs,
      serverTcpStateSeen: stalledInfo.serverState,
      linesReceived: sLines,
      exitedReceived: sExited,
      drainMs: Math.round(performance.now() - tResume),
      drainedWithin30s: drained,
      maxServerKernelSendQueueBytes: stalledInfo.maxServerTxQueue,
      maxClientKernelRecvQueueBytes: stalledInfo.maxClientRxQueue,
    };
  }

  const perClient = st.map((s) => ({
    lines: s.lines,
    exited: s.exited,
    exitCode: s.exitCode,
    elapsedMs: s.doneAt && t0 ? s.doneAt - t0 : Number.NaN,
    closed: s.closed,
  }));
  for (const ws of conns) await ws.close();
  if (stalledWs) stalledWs.destroy();
  return {
    lines,
    clients,
    startReplyMs: t0 ? t0 - tSend : Number.NaN,
    started: startedMsg,
    elapsedMs:
      Math.max(0, ...perClient.map((c) => (Number.isNaN(c.elapsedMs) ? 0 : c.elapsedMs))) || tEnd - t0,
    perClient,
    complete: perClient.filter((c) => c.exited && c.lines === lines && !c.closed).length,
    delivered: perClient.reduce((a, c) => a + c.lines, 0),
    serverCpuMs,
    clientCpuMs,
    rssBaseKB,
    rssPeakKB,
    hwmKB: hwm,
    stalled: stalledResult,
    timeline,
    oddities,
  };
}
