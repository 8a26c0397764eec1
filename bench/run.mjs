#!/usr/bin/env node
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busiestProcesses, cpuMsWithChildren, machineBusy, machineBusyMs } from './lib/proc.mjs';
import { serverCommand, startServer } from './lib/server.mjs';
import { fmtNum } from './lib/util.mjs';
import churn from './scenarios/churn.mjs';
import fanout from './scenarios/fanout.mjs';
import flood from './scenarios/flood.mjs';
import latency from './scenarios/latency.mjs';
import stalled from './scenarios/stalled.mjs';
import starts from './scenarios/starts.mjs';
import terminalEcho from './scenarios/terminal-echo.mjs';
import terminalFlood from './scenarios/terminal-flood.mjs';
import terminalIdle from './scenarios/terminal-idle.mjs';
import uiFlood from './scenarios/ui-flood.mjs';

const SCENARIOS = [
  flood,
  fanout,
  stalled,
  latency,
  starts,
  churn,
  terminalFlood,
  terminalIdle,
  terminalEcho,
  uiFlood,
];
const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'results');

/**
 * @typedef {{metrics: import('./lib/util.mjs').Metric[], notes: string[], data: Record<string, unknown>}} ScenarioOutput
 * @typedef {{name: string, title: string, capMs: number, run: (ctx: Ctx) => Promise<ScenarioOutput>}} Scenario
 * @typedef {ScenarioOutput & {name: string, title: string, status: 'ok' | 'error' | 'timeout', error?: string,
 *   durationMs: number, progress?: Record<string, unknown>,
 *   machine?: {busyBeforePct: number, waitedS: number, otherLoadPctOfOneCore: number}}} ScenarioResult
 */

/** What a scenario gets: options, clean-up registration, and the results of earlier scenarios. */
export class Ctx {
  /**
   * @param {string} name
   * @param {boolean} quick
   * @param {Record<string, ScenarioResult>} results this run's results so far
   * @param {Record<string, ScenarioResult>} previous the last saved run's results
   * @param {string} previousAt
   */
  constructor(name, quick, results, previous, previousAt) {
    this.name = name;
    this.quick = quick;
    this.results = results;
    this.previous = previous;
    this.previousAt = previousAt;
    /** @type {Record<string, unknown>} live progress, reported if the scenario hits its time cap */
    this.progress = {};
    /** @type {import('./lib/server.mjs').ServerHandle[]} */
    this.servers = [];
    /** @type {import('./lib/wsclient.mjs').LeanWs[]} */
    this.sockets = [];
  }

  /** Start a fresh server; it is stopped (and its children killed) when the scenario ends, whatever happens. */
  async startServer() {
    const srv = await startServer();
    this.servers.push(srv);
    return srv;
  }

  /**
   * Register a client connection to be dropped when the scenario ends.
   * @param {import('./lib/wsclient.mjs').LeanWs} ws
   */
  track = (ws) => {
    this.sockets.push(ws);
  };

  /** @param {string} msg */
  log(msg) {
    process.stdout.write(`  [${this.name}] ${msg}\n`);
  }

  /**
   * A figure from an earlier scenario of this run, or else from the last saved run.
   * @param {string} scenario
   * @param {string} key
   * @returns {{value: number, source: string} | null}
   */
  reference(scenario, key) {
    const here = this.results[scenario]?.metrics?.find((m) => m.key === key);
    if (here && !here.invalid && Number.isFinite(here.value))
      return { value: here.value, source: 'this run' };
    const prev = this.previous[scenario]?.metrics?.find((m) => m.key === key);
    if (prev && Number.isFinite(prev.value))
      return { value: prev.value, source: `run of ${this.previousAt}` };
    return null;
  }

  /** Drop every connection, stop every server (SIGTERM, then SIGKILL) and kill their leftover children. */
  async cleanup() {
    for (const ws of this.sockets) ws.destroy();
    await Promise.all(this.servers.map((s) => s.stop().catch(() => undefined)));
  }
}

/** @type {Set<Ctx>} */
const active = new Set();
// Whatever happens, no server or child outlives the runner.
process.on('exit', () => {
  for (const c of active) for (const s of c.servers) s.killNow();
});
process.on('unhandledRejection', (err) => {
  process.stderr.write(
    `(bench) unhandled rejection, ignored: ${/** @type {Error} */ (err)?.message ?? err}\n`,
  );
});
let interrupted = false;
for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
  process.on(sig, async () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stdout.write(`\n${sig}: cleaning up servers and children…\n`);
    await Promise.all([...active].map((c) => c.cleanup()));
    process.exit(130);
  });
}

const IDLE_BUSY = 0.15;

/** A scenario's time cap in ms (BENCH_CAP_S overrides). @param {Scenario} sc */
const capOf = (sc) => (process.env.BENCH_CAP_S ? Number(process.env.BENCH_CAP_S) * 1000 : sc.capMs);

/**
 * Wait (up to BENCH_IDLE_WAIT_S) until other processes leave the CPUs idle; returns the busy fraction
 * seen last and, when still busy, who is busy.
 * @returns {Promise<{busy: number, waitedS: number, busiest: string[]}>}
 */
async function waitForIdle() {
  const capS = Number(process.env.BENCH_IDLE_WAIT_S ?? 60);
  const t0 = performance.now();
  let busy = await machineBusy(500);
  let warned = false;
  while (busy > IDLE_BUSY && performance.now() - t0 < capS * 1000) {
    if (!warned) {
      warned = true;
      const who = await busiestProcesses(500);
      process.stdout.write(
        `  machine busy (${Math.round(busy * 100)} % of all CPUs; ${who.join(', ')}); waiting up to ${capS} s for it to calm down…\n`,
      );
    }
    busy = await machineBusy(1000);
  }
  const busiest = busy > IDLE_BUSY ? await busiestProcesses(500) : [];
  return { busy, waitedS: (performance.now() - t0) / 1000, busiest };
}

/**
 * @param {Scenario} sc
 * @param {Ctx} ctx
 * @returns {Promise<ScenarioResult>}
 */
async function runOne(sc, ctx) {
  const t0 = performance.now();
  const capMs = capOf(sc);
  active.add(ctx);
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const cap = new Promise((_, rej) => {
    timer = setTimeout(
      () => rej(Object.assign(new Error(`aborted: time cap of ${capMs / 1000} s reached`), { cap: true })),
      capMs,
    );
  });
  const running = sc.run(ctx);
  running.catch(() => undefined); // it may reject after the cap aborted it
  try {
    const out = await Promise.race([running, cap]);
    return { name: sc.name, title: sc.title, status: 'ok', durationMs: performance.now() - t0, ...out };
  } catch (e) {
    const err = /** @type {Error & {cap?: boolean}} */ (e);
    const logs = ctx.servers.map((s) => s.logTail(2000)).filter(Boolean);
    return {
      name: sc.name,
      title: sc.title,
      status: err.cap ? 'timeout' : 'error',
      error: err.message,
      durationMs: performance.now() - t0,
      progress: ctx.progress,
      metrics: [],
      notes: [
        `${err.cap ? 'ABORTED' : 'FAILED'}: ${err.message}`,
        `progress: ${JSON.stringify(ctx.progress).slice(0, 400)}`,
        ...logs.map((l) => `server log tail:\n${l.replace(/^/gm, '      | ')}`),
      ],
      data: { stack: err.stack },
    };
  } finally {
    clearTimeout(timer);
    await ctx.cleanup();
    active.delete(ctx);
  }
}

/** @param {import('./lib/util.mjs').Metric} m */
function fmtValue(m) {
  if (!Number.isFinite(m.value)) return 'n/a';
  return `${fmtNum(m.value)}${m.unit ? ` ${m.unit}` : ''}`;
}

/** @param {import('./lib/util.mjs').Metric} m */
function fmtTarget(m) {
  return m.target ? `${m.target.op === '>=' ? '≥' : '≤'} ${fmtNum(m.target.value)}` : '';
}

/**
 * @param {ScenarioResult[]} results
 */
function table(results) {
  /** @type {string[][]} */
  const rows = [['scenario', 'figure', 'value', 'target', 'result']];
  for (const r of results) {
    if (r.status !== 'ok') rows.push([r.name, r.status.toUpperCase(), r.error ?? '', '', 'FAIL']);
    const busy =
      (r.machine?.otherLoadPctOfOneCore ?? 0) > 25 || (r.machine?.busyBeforePct ?? 0) > IDLE_BUSY * 100;
    r.metrics.forEach((m, i) => {
      rows.push([
        i === 0 && r.status === 'ok' ? `${r.name}${busy ? ' (busy machine!)' : ''}` : '',
        m.label,
        fmtValue(m),
        fmtTarget(m),
        m.pass === null ? '' : m.pass ? 'PASS' : 'MISS',
      ]);
    });
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length))) ?? [];
  const line = (/** @type {string[]} */ row) =>
    row
      .map((cell, c) => (c === 2 ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(/** @type {string[]} */ (rows[0])), sep, ...rows.slice(1).map(line)].join('\n');
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`usage: node bench/run.mjs [--quick] [--list] [scenario ...]\n`);
    return 0;
  }
  if (argv.includes('--list')) {
    for (const s of SCENARIOS)
      process.stdout.write(`${s.name.padEnd(14)} ${s.title} (cap ${capOf(s) / 1000} s)\n`);
    return 0;
  }
  const quick = argv.includes('--quick');
  const names = argv.filter((a) => !a.startsWith('-'));
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) {
    process.stderr.write(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    return 2;
  }
  const chosen = names.length ? SCENARIOS.filter((s) => names.includes(s.name)) : SCENARIOS;
  const server = serverCommand();
  const outFile = join(RESULTS_DIR, quick ? 'quick.json' : 'latest.json');

  /** @type {Record<string, ScenarioResult>} */
  let previous = {};
  let previousAt = '';
  try {
    const prev = JSON.parse(readFileSync(join(RESULTS_DIR, 'latest.json'), 'utf8'));
    previous = prev.scenarios ?? {};
    previousAt = prev.startedAt ?? '';
  } catch {
    // no earlier run
  }

  const startedAt = new Date().toISOString();
  process.stdout.write(
    `overseer benchmarks${quick ? ' (QUICK: scaled-down workloads)' : ''}: ${server.display}\n` +
      `${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), node ${process.version}, ${os.type()} ${os.release()}\n\n`,
  );
  /** @type {Record<string, ScenarioResult>} */
  const results = {};
  for (const sc of chosen) {
    process.stdout.write(`▶ ${sc.name}: ${sc.title} (cap ${capOf(sc) / 1000} s)\n`);
    const idle = await waitForIdle();
    const ctx = new Ctx(sc.name, quick, results, previous, previousAt);
    const busy0 = machineBusyMs();
    const self0 = cpuMsWithChildren(process.pid);
    const r = await runOne(sc, ctx);
    // CPU the rest of the machine used meanwhile: all busy time minus this runner (and its reaped
    // children) and the servers (and theirs).
    const ours = cpuMsWithChildren(process.pid) - self0 + ctx.servers.reduce((a, s) => a + s.totalCpuMs, 0);
    const otherPct = Math.max(0, ((machineBusyMs() - busy0 - ours) / r.durationMs) * 100);
    r.machine = {
      busyBeforePct: Math.round(idle.busy * 100),
      waitedS: Math.round(idle.waitedS),
      otherLoadPctOfOneCore: Math.round(otherPct),
    };
    if (otherPct > 25) {
      r.notes.unshift(
        `WARNING: other processes used about ${Math.round(otherPct)} % of a core during this scenario: figures are unreliable`,
      );
    }
    if (idle.busy > IDLE_BUSY) {
      r.notes.unshift(
        `WARNING: the machine was ${Math.round(idle.busy * 100)} % busy with other work when this scenario started ` +
          `(${idle.busiest.join(', ')}): figures are unreliable`,
      );
    }
    results[sc.name] = r;
    for (const m of r.metrics) {
      const verdict = m.pass === null ? '' : m.pass ? '  PASS' : '  MISS';
      process.stdout.write(
        `  ${m.label}: ${fmtValue(m)}${m.target ? ` (target ${fmtTarget(m)})${verdict}` : ''}\n`,
      );
    }
    for (const n of r.notes) process.stdout.write(`  · ${n}\n`);
    process.stdout.write(`  (${(r.durationMs / 1000).toFixed(1)} s)\n\n`);
  }

  const all = Object.values(results);
  process.stdout.write(`${table(all)}\n\n`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    quick,
    server: server.display,
    host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
    scenarios: results,
  };
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  const misses = all.flatMap((r) =>
    r.metrics.filter((m) => m.pass === false).map((m) => `${r.name}: ${m.label}`),
  );
  const failed = all.filter((r) => r.status !== 'ok');
  process.stdout.write(
    `results: ${outFile}\n${misses.length} target(s) missed${misses.length ? ` (${misses.join('; ')})` : ''}; ` +
      `${failed.length} scenario(s) failed${failed.length ? ` (${failed.map((f) => f.name).join(', ')})` : ''}\n`,
  );
  return failed.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err?.stack ?? err}\n`);
    process.exit(1);
  },
);
