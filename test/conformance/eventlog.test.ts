// Conformance: the JSONL event log (OVERSEER_LOG_FILE).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { OverseerTestServer, StartOverseerOptions } from '../helpers/overseer-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import type { Message, WsClient } from '../helpers/ws-client.js';
import { fixture, is, useResources, waitUntil } from '../helpers/ws-client.js';

const r = useResources<OverseerTestServer, StartOverseerOptions>(startOverseer);
const NEVER = fixture('never-exits.sh');

function readLines(path: string): string[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  return text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

function parseLog(path: string, skip = 0): Message[] {
  return readLines(path)
    .slice(skip)
    .map((l) => JSON.parse(l) as Message);
}

/** Polls the log until `count` entries (after `skip` lines) are there, then returns them. */
async function waitLog(path: string, count: number, skip = 0): Promise<Message[]> {
  await waitUntil(() => readLines(path).length - skip >= count, 5000, `${count} event log entries`);
  return parseLog(path, skip);
}

/** Deep equality including key order. */
function expectSameJson(logged: Message, wire: Message): void {
  expect(logged).toEqual(wire);
  expect(Object.keys(logged)).toEqual(Object.keys(wire));
}

async function start(c: WsClient, body: Record<string, unknown>): Promise<Message> {
  c.send({ type: 'start', ...body });
  return c.next(is('started', { task_id: body.task_id }), 10_000);
}

describe('event log', () => {
  it('holds one JSON object per line for started, every output and exited — the wire JSON', async () => {
    const dir = r.tempDir();
    const logFile = join(dir, 'events.jsonl');
    const s = await r.server({ logFile });
    const a = await r.client(s);
    const st = await start(a, { task_id: 'log', command: fixture('exit-with.sh'), args: ['1', '2'] });
    await a.waitFor(is('exited', { task_id: 'log' }));
    const wire = [
      st,
      ...a.received((m) => m.task_id === 'log' && (m.type === 'output' || m.type === 'exited')),
    ];
    expect(wire).toHaveLength(4);

    const logged = await waitLog(logFile, 4);
    expect(logged).toHaveLength(4);
    const text = readFileSync(logFile, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    // Same JSON, key order included; started is logged before the exited.
    for (const w of wire) {
      const match = logged.find((l) => JSON.stringify(l) === JSON.stringify(w));
      expect(match, `logged: ${JSON.stringify(w)}`).toBeDefined();
    }
    const types = logged.map((m) => m.type);
    expect(types.filter((t) => t === 'output')).toHaveLength(2);
    expect(types.indexOf('started')).toBeLessThan(types.indexOf('exited'));
    expect(types.at(-1)).toBe('exited');
    const outs = logged.filter((m) => m.type === 'output');
    expect(outs.map((m) => m.data).sort()).toEqual(['err: 1 2', 'out: 1 2']);
    // Each line is a single compact object (no pretty printing across lines).
    for (const line of readLines(logFile)) expect(() => JSON.parse(line)).not.toThrow();
  });

  it('logs started from start and reset and the exited of a stop, never replies like tasks or error', async () => {
    const dir = r.tempDir();
    const logFile = join(dir, 'events.jsonl');
    const s = await r.server({ logFile });
    const a = await r.client(s);

    await start(a, { task_id: 'n', command: NEVER });
    await a.next(is('output', { task_id: 'n' }));
    a.send({ type: 'list', id: 'l' });
    await a.next(is('tasks', { id: 'l' }));
    a.send({ type: 'stop', task_id: 'missing' });
    await a.next(is('error'));
    a.send({ type: 'stop', task_id: 'n' });
    const stopEx = await a.next(is('exited', { task_id: 'n' }), 10_000);
    expect(stopEx.intentional).toBe(true);

    a.send({
      type: 'start',
      task_id: 'f',
      command: '/bin/false',
      retry_policy: { restart_delay: '0s', error_threshold: 1 },
    });
    await a.waitFor(is('errored', { task_id: 'f' }), 10_000);
    a.send({ type: 'reset', id: 'rs', task_id: 'f' });
    const resetStarted = await a.next(is('started', { id: 'rs' }));
    await a.waitFor((m) => m.type === 'errored' && m.task_id === 'f' && m.pid === resetStarted.pid, 10_000);

    await waitUntil(
      () => parseLog(logFile).some((m) => m.type === 'exited' && m.pid === resetStarted.pid),
      5000,
      'exited of the reset worker in the log',
    );
    const logged = parseLog(logFile);
    const types = new Set(logged.map((m) => m.type));
    for (const t of ['tasks', 'error', 'restarting', 'errored']) expect(types.has(t), t).toBe(false);

    const loggedStopEx = logged.find((m) => m.type === 'exited' && m.pid === stopEx.pid);
    expect(loggedStopEx).toBeDefined();
    if (loggedStopEx) expectSameJson(loggedStopEx, stopEx);

    const loggedReset = logged.find((m) => m.type === 'started' && m.pid === resetStarted.pid);
    expect(loggedReset).toBeDefined();
    if (loggedReset) {
      for (const k of ['type', 'task_id', 'pid', 'ts']) expect(loggedReset[k], k).toEqual(resetStarted[k]);
      expect(loggedReset).not.toHaveProperty('restart_of');
    }
    expect(logged.filter((m) => m.type === 'started' && m.task_id === 'n')).toHaveLength(1);
    // Every live output and exited the client saw is in the log.
    const wireEvents = a.received((m) => m.type === 'output' || m.type === 'exited');
    for (const w of wireEvents) {
      const match = logged.find((l) => JSON.stringify(l) === JSON.stringify(w));
      expect(match, JSON.stringify(w)).toBeDefined();
    }
  });

  it('appends to an existing file', async () => {
    const dir = r.tempDir();
    const logFile = join(dir, 'events.jsonl');
    writeFileSync(logFile, '{"type":"previous"}\n');
    const s = await r.server({ logFile });
    const a = await r.client(s);
    await start(a, { task_id: 'p', command: '/bin/true' });
    await a.waitFor(is('exited', { task_id: 'p' }));
    const logged = await waitLog(logFile, 3);
    expect(logged[0]).toEqual({ type: 'previous' });
    expect(logged.slice(1).map((m) => m.type)).toEqual(['started', 'exited']);
  });
});
