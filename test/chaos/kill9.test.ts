// Chaos: `kill -9` of a busy `claudeman web` (the built bin, a real child process) and a restart on
// the same data directory. What must hold afterwards is what the README's "what survives what" table
// promises. Runs after the main suite (`npm test`), alone, so its load disturbs no other test;
// `npm run test:chaos` runs it on its own, CHAOS_ROUNDS times (default 1).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INTERRUPTED_RUN_REASON } from '../../src/agent/session/session-manager.js';
import { TmuxServer } from '../../src/agent/terminal/tmux/tmux-server.js';
import { DEFAULT_COMPLETION_PHRASE } from '../../src/protocol/rest/tasks.js';
import {
  isSameProcess,
  processStartTime,
  readProcessStat,
} from '../../src/supervisor/recovery/process-identity.js';
import { FAKE_CLAUDE } from '../helpers/claudeman-server.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';
import { is, WsClient } from '../helpers/ws-client.js';

const CLI = fileURLToPath(new URL('../../dist/cli/claudeman.js', import.meta.url));
const FLOOD = fileURLToPath(new URL('../fixtures/steady-flood.pl', import.meta.url));
const REAPING_PARENT = fileURLToPath(new URL('../fixtures/reaping-parent.pl', import.meta.url));
const TOKEN = 'chaos-token-0123456789abcdef';
const ROUNDS = Number(process.env.CHAOS_ROUNDS ?? '1');
const TASKS = 50;
const INTERACTIVE = 5;
/** Lines per second of each flooding task: 50 × 400 = 20,000 lines/s through the server. */
const FLOOD_RATE = 400;
/**
 * Tasks whose leader dies first: once the server is gone, the `sh` dies of SIGPIPE at its next echo
 * and its `sleep 3600` lives on in its group. (Paced by a short sleep: the unpaced loop would only
 * burn the CPU this test shares with the server; the shape is the same.)
 */
const LEADER_FIRST = 5;
const LEADER_FIRST_SCRIPT = 'sleep 3600 & while :; do echo line; sleep 0.01; done';

type Json = Record<string, unknown>;

interface Server {
  readonly child: ChildProcess;
  /** The server's own pid (under a reaping parent, `child` is that parent). */
  readonly pid: number;
  readonly baseUrl: string;
  api(path: string, init?: RequestInit): Promise<Json>;
  send(method: string, path: string, body?: unknown): Promise<Json>;
}

const temp = makeTempDir('claudeman-chaos-');
/** Each round has a data directory of its own (set at its start), so rounds do not see each other. */
let dataDir = join(temp.path, 'data');
const logFile = (): string => join(dataDir, 'overseer-events.jsonl');
const started: ChildProcess[] = [];
const dataDirs: string[] = [];
/**
 * Every process a round saw started, with its start time: ended after the test even when a failed
 * round left them, and only if the pid still names that same process.
 */
const seenProcesses = new Map<number, string | null>();
function remember(pid: number): void {
  seenProcesses.set(pid, processStartTime(pid));
}

/** The living processes of group `pgid` other than its leader, with their start times. */
function groupMembers(pgid: number): Map<number, string> {
  const members = new Map<number, string>();
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === pgid) continue;
    const stat = readProcessStat(pid);
    if (stat?.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') members.set(pid, stat.startTime);
  }
  return members;
}

/**
 * Starts `claudeman web` on the shared data directory and waits until its server.json names it.
 * `reaped`: under a parent that reaps the orphans of its descendants (reaping-parent.pl), as on a
 * machine whose init or session manager reaps: then the workers that die after a kill -9 of the
 * server are gone at once, not zombies that still hold their pids.
 */
async function startServer(options: { reaped?: boolean } = {}): Promise<Server> {
  const argv = [CLI, 'web', '--no-open', '-p', '0', '--data-dir', dataDir];
  const [command, args] =
    options.reaped === true
      ? ['perl', [REAPING_PARENT, process.execPath, ...argv]]
      : [process.execPath, argv];
  const child = spawn(command, args, {
    env: {
      ...process.env,
      CLAUDEMAN_TOKEN: TOKEN,
      CLAUDEMAN_CASES_DIR: join(temp.path, 'cases'),
      CLAUDEMAN_CLAUDE_BIN: FAKE_CLAUDE,
      OVERSEER_LOG_FILE: logFile(),
      // What the fake CLIs were asked (each submitted prompt), to count how often a task was typed.
      FAKE_CLAUDE_RECORD: join(dataDir, 'fake-claude.jsonl'),
      // Quick interactive turns, no idle notifications of the fake's own.
      FAKE_CLAUDE_WORK_MS: '100',
      FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
    },
    // stdout: the reaping parent's first line is the server's pid; the rest is drained.
    stdio: ['ignore', options.reaped === true ? 'pipe' : 'ignore', 'pipe'],
  });
  started.push(child);
  const pid =
    options.reaped === true
      ? await new Promise<number>((resolve, reject) => {
          let text = '';
          child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
            text += chunk;
            if (text.includes('\n')) resolve(Number(text.slice(0, text.indexOf('\n'))));
          });
          child.once('exit', (code) => reject(new Error(`reaping parent exited (${code})`)));
        })
      : (child.pid ?? 0);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const serverFile = join(dataDir, 'server.json');
  await pollUntil(
    () => {
      if (!existsSync(serverFile)) return false;
      try {
        return (JSON.parse(readFileSync(serverFile, 'utf8')) as { pid: number }).pid === pid;
      } catch {
        return false;
      }
    },
    `claudeman web to start (stderr: ${stderr.slice(-500)})`,
    20_000,
  );
  const baseUrl = (JSON.parse(readFileSync(serverFile, 'utf8')) as { url: string }).url;
  const call = async (path: string, init: RequestInit = {}): Promise<Json> => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${TOKEN}`);
    const response = await fetch(`${baseUrl}${path}`, { ...init, headers });
    const text = await response.text();
    if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as Json;
  };
  return {
    child,
    pid,
    baseUrl,
    api: call,
    send: (method, path, body) =>
      call(path, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      }),
  };
}

function overseer(server: Server): Promise<WsClient> {
  return WsClient.connect(`${server.baseUrl.replace('http', 'ws')}/ws`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
}

async function terminalText(server: Server, id: string): Promise<string> {
  const terminal = await server.api(`/api/sessions/${id}/terminal`);
  return String(terminal.terminalBuffer);
}

async function waitForText(server: Server, id: string, text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await terminalText(server, id)).includes(text)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`session ${id} never showed ${JSON.stringify(text)}`);
}

function sessionInfo(server: Server, id: string): Promise<Json> {
  return server.api(`/api/sessions/${id}`).then((reply) => (reply.session ?? reply) as Json);
}

function integrity(): string {
  const db = new Database(join(dataDir, 'claudeman.db'), { readonly: true, fileMustExist: true });
  try {
    return String(db.pragma('integrity_check', { simple: true }));
  } finally {
    db.close();
  }
}

/** Pids of tmux clients attached to our socket: one per session per live server, no more. */
function attachClients(socketPath: string): number[] {
  const found = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return found.stdout
    .split('\n')
    .filter((line) => line.includes(socketPath) && line.includes('attach-session'))
    .map((line) => Number(line.trim().split(/\s+/)[0]));
}

describe.skipIf(!TMUX_TESTS)('kill -9 of a busy server, and a restart', () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  });

  afterAll(async () => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await Promise.all(
      started.map((child) =>
        child.exitCode === null && child.signalCode === null
          ? new Promise((resolve) => child.once('exit', resolve))
          : null,
      ),
    );
    for (const dir of dataDirs) TmuxServer.detect(dir, process.env.PATH)?.killServer();
    for (const [pid, startTime] of seenProcesses) {
      if (startTime === null || !isSameProcess(pid, startTime)) continue;
      // The group, for a leader; the process alone, for a member whose leader is gone.
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // Not a group id, or gone meanwhile.
        }
      }
    }
    temp.remove();
  });

  for (let round = 1; round <= ROUNDS; round++) {
    it(`round ${round}: nothing is lost, nothing is orphaned, sessions are re-attached`, async () => {
      dataDir = join(temp.path, `round-${round}`);
      dataDirs.push(dataDir);
      const first = await startServer({ reaped: true });

      // 50 overseer tasks flooding output.
      const ws = await overseer(first);
      const taskIds = Array.from({ length: TASKS }, (_, i) => `chaos-${round}-${i}`);
      for (const taskId of taskIds) {
        ws.send({ type: 'start', id: taskId, task_id: taskId, command: FLOOD, args: [String(FLOOD_RATE)] });
      }
      const taskPids = new Map<string, number>();
      for (const taskId of taskIds) {
        const reply = await ws.waitFor(is('started', { id: taskId }), 10_000);
        taskPids.set(taskId, Number(reply.pid));
        remember(Number(reply.pid));
      }

      // Tasks whose leader will die first, each with a `sleep 3600` in its group.
      const leaderFirstIds = Array.from({ length: LEADER_FIRST }, (_, i) => `leader-first-${round}-${i}`);
      for (const taskId of leaderFirstIds) {
        ws.send({
          type: 'start',
          id: taskId,
          task_id: taskId,
          command: '/bin/sh',
          args: ['-c', LEADER_FIRST_SCRIPT],
        });
      }
      const leaderPids = new Map<string, number>();
      for (const taskId of leaderFirstIds) {
        const reply = await ws.waitFor(is('started', { id: taskId }), 10_000);
        leaderPids.set(taskId, Number(reply.pid));
      }
      /** Each leader's `sleep 3600`, by pid, with its start time: what must not outlive the restart. */
      const sleepers = new Map<number, string>();
      for (const leader of leaderPids.values()) {
        let found: [number, string] | undefined;
        await pollUntil(() => {
          found = [...groupMembers(leader)].find(([pid]) =>
            readFileSync(`/proc/${pid}/cmdline`, 'latin1').startsWith('sleep\u00003600'),
          );
          return found !== undefined;
        }, `the sleep of task leader ${leader}`);
        if (found === undefined) throw new Error('unreachable');
        sleepers.set(found[0], found[1]);
        seenProcesses.set(found[0], found[1]);
      }

      // Five interactive sessions, each with a line of its own in its scrollback.
      const interactive: string[] = [];
      for (let i = 0; i < INTERACTIVE; i++) {
        const { session } = (await first.send('POST', '/api/sessions', {})) as { session: Json };
        const id = String(session.id);
        interactive.push(id);
        await first.send('POST', `/api/sessions/${id}/interactive`, {});
      }
      for (const [i, id] of interactive.entries()) {
        await waitForText(first, id, '\u276f');
        await first.send('POST', `/api/sessions/${id}/input`, { input: `marker ${round}-${i}\r` });
      }
      for (const [i, id] of interactive.entries()) await waitForText(first, id, `Echo: marker ${round}-${i}`);
      const interactivePids = new Map<string, number>();
      for (const id of interactive) interactivePids.set(id, Number((await sessionInfo(first, id)).pid));

      // A one-shot run that never finishes on its own.
      const { session: oneShotSession } = (await first.send('POST', '/api/sessions', {})) as {
        session: Json;
      };
      const oneShot = String(oneShotSession.id);
      await first.send('POST', `/api/sessions/${oneShot}/run`, { prompt: 'never ends [[hang]]' });
      const oneShotPid = Number((await sessionInfo(first, oneShot)).pid);
      remember(oneShotPid);

      // A Ralph loop on its own worker session, mid-task: the first task takes seconds.
      const { session: workerSession } = (await first.send('POST', '/api/sessions', {})) as { session: Json };
      const worker = String(workerSession.id);
      await first.send('POST', `/api/sessions/${worker}/interactive`, {});
      await waitForText(first, worker, '\u276f');
      const marker = `[[promise:${DEFAULT_COMPLETION_PHRASE}]]`;
      const queued: string[] = [];
      for (const [i, sleep] of [4_000, 100, 100].entries()) {
        const { task } = (await first.send('POST', '/api/tasks', {
          prompt: `chaos task ${round}-${i} [[sleep:${sleep}]] ${marker}`,
        })) as { task: Json };
        queued.push(String(task.id));
      }
      await first.send('POST', '/api/ralph/start', { sessionIds: [worker] });
      // The agent has the first task and works on it (a 4 s turn) when the server dies.
      await waitForText(first, worker, `chaos task ${round}-0`);

      // Let the flood run, then the crash.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      process.kill(first.pid, 'SIGKILL');
      // Its reaping parent reaps it.
      await pollUntil(() => readProcessStat(first.pid) === null, 'the killed server to be reaped');
      ws.ws.terminate();

      // The crash left the flooders running (that is what the next boot must clean up), and the
      // store consistent.
      const stillRunning = [...taskPids.values()].filter((pid) => processExists(pid));
      expect(stillRunning).toHaveLength(TASKS);
      // The leaders died of SIGPIPE and were reaped: their pids name nothing. Their sleeps live on.
      await pollUntil(
        () => [...leaderPids.values()].every((pid) => readProcessStat(pid) === null),
        'the task leaders to die of SIGPIPE and be reaped',
      );
      for (const [pid, startTime] of sleepers)
        expect(isSameProcess(pid, startTime), `sleep ${pid}`).toBe(true);
      expect(integrity()).toBe('ok');

      const second = await startServer();

      // No orphans: every flooder, every sleep of a leader that died first (by pid and start time)
      // and the one-shot CLI of the old instance is gone.
      await pollUntil(
        () =>
          [...taskPids.values(), oneShotPid].every((pid) => !processExists(pid)) &&
          [...sleepers].every(([pid, startTime]) => !isSameProcess(pid, startTime)),
        'the old instance’s processes to be ended',
        15_000,
      );
      // /metrics says what the start found: the flooders and the one-shot CLI ended, the agents adopted.
      const metrics = await (
        await fetch(`${second.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
      ).text();
      const sample = (series: string): number => {
        const line = metrics.split('\n').find((candidate) => candidate.startsWith(`${series} `));
        return Number(line?.slice(series.length + 1));
      };
      expect(
        sample('claudeman_boot_orphans{outcome="ended"}') +
          sample('claudeman_boot_orphans{outcome="killed"}'),
      ).toBe(TASKS + LEADER_FIRST + 1);
      expect(sample('claudeman_boot_sessions{result="adopted"}')).toBe(INTERACTIVE + 1);

      // Overseer tasks: active → stopped, not restarted.
      const ws2 = await overseer(second);
      ws2.send({ type: 'list', id: 'after' });
      const listed = await ws2.waitFor(is('tasks', { id: 'after' }), 10_000);
      const tasks = (listed.tasks as Json[]).filter((task) => taskIds.includes(String(task.task_id)));
      expect(tasks).toHaveLength(TASKS);
      for (const task of tasks) {
        expect(task.state, String(task.task_id)).toBe('stopped');
        expect(task.current_pid, String(task.task_id)).toBeUndefined();
      }
      // A task whose leader died first says what happened to what was left of it.
      const leaderFirstTasks = (listed.tasks as Json[]).filter((task) =>
        leaderFirstIds.includes(String(task.task_id)),
      );
      expect(leaderFirstTasks).toHaveLength(LEADER_FIRST);
      for (const task of leaderFirstTasks) {
        expect(task.state, String(task.task_id)).toBe('stopped');
        expect(String(task.error_message), String(task.task_id)).toBe(
          `server restarted: orphaned worker (pid ${leaderPids.get(String(task.task_id))}) ended`,
        );
      }
      ws2.ws.terminate();

      // Interactive sessions: the same agents, re-attached, scrollback intact, still answering.
      for (const [i, id] of interactive.entries()) {
        const info = await sessionInfo(second, id);
        expect(info.pid, `session ${i} pid`).toBe(interactivePids.get(id));
        expect(info.mode).toBe('interactive');
        expect(info.lastError).toBeNull();
        expect(await terminalText(second, id)).toContain(`Echo: marker ${round}-${i}`);
      }
      await second.send('POST', `/api/sessions/${interactive[0]}/input`, { input: `after ${round}\r` });
      await waitForText(second, String(interactive[0]), `Echo: after ${round}`);
      // One client per session: the old server's tmux clients died with it.
      const socketPath = TmuxServer.detect(dataDir, process.env.PATH)?.socketPath ?? '';
      await pollUntil(
        () => attachClients(socketPath).length === INTERACTIVE + 1,
        `one tmux client per session (found ${attachClients(socketPath).length})`,
        10_000,
      );

      // Every session's record agrees with reality: a pid it names is a running process.
      const all = (await second.api('/api/sessions')) as unknown as Json[];
      expect(all).toHaveLength(INTERACTIVE + 2);
      for (const session of all) {
        if (session.pid !== null) expect(processExists(Number(session.pid)), String(session.id)).toBe(true);
        else expect(session.status, String(session.id)).not.toBe('busy');
      }

      // The one-shot run is marked with what happened.
      const cut = await sessionInfo(second, oneShot);
      expect(cut.pid).toBeNull();
      expect(cut.status).toBe('stopped');
      expect(cut.lastError).toBe(INTERRUPTED_RUN_REASON);

      // The Ralph loop resumed: every queued task ends completed, none is left running.
      const loop = await second.api('/api/ralph');
      expect(loop.running).toBe(true);
      const finishBy = Date.now() + 40_000;
      let statuses: string[] = [];
      while (Date.now() < finishBy) {
        statuses = [];
        for (const id of queued) {
          const task = await second.api(`/api/tasks/${id}`);
          statuses.push(String(task.status));
        }
        if (statuses.every((status) => status === 'completed')) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(statuses).toEqual(queued.map(() => 'completed'));
      // The task that was mid-way when the server died was watched on in its adopted agent, not
      // typed a second time.
      const submits = readFileSync(join(dataDir, 'fake-claude.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { event: string; text?: string | null })
        .filter((entry) => entry.event === 'submit' && String(entry.text).includes(`chaos task ${round}-0`));
      expect(submits).toHaveLength(1);
      if ((await second.api('/api/ralph')).running === true) await second.send('POST', '/api/ralph/stop', {});

      // The event log: every line whole, valid JSON.
      const lines = readFileSync(logFile(), 'utf8').split('\n');
      expect(lines.pop()).toBe('');
      expect(lines.length).toBeGreaterThan(TASKS);
      for (const line of lines) expect(() => JSON.parse(line), line.slice(0, 200)).not.toThrow();

      // A clean stop this time: tmux agents are let go of (the next round adopts or ends them).
      second.child.kill('SIGTERM');
      await new Promise((resolve) => second.child.once('exit', resolve));
      expect(integrity()).toBe('ok');
      // The agents it let go of end with their tmux server.
      TmuxServer.detect(dataDir, process.env.PATH)?.killServer();
      await pollUntil(
        () => [...interactivePids.values()].every((pid) => !processExists(pid)),
        'the agents to end with their tmux server',
        10_000,
      );
    }, 180_000);
  }
});
