import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  REPLACED_REASON,
  RespawnManager,
  type RespawnSession,
  SERVER_RESTARTED_REASON,
  SERVER_SHUTDOWN_REASON,
} from '../../src/agent/respawn/respawn-manager.js';
import type { SessionErrorCode } from '../../src/agent/session/session-errors.js';
import type { SessionSignal, SessionSignalListener } from '../../src/agent/session/session-signals.js';
import type { RespawnEvent } from '../../src/protocol/events.js';
import { DEFAULT_RESPAWN_CONFIG } from '../../src/protocol/rest/respawn.js';
import type { SessionAgentState, SessionStatus } from '../../src/protocol/rest/session.js';
import type { Result } from '../../src/protocol/result.js';
import { type Database, openDatabase } from '../../src/store/database.js';
import { SqliteRespawnRepository } from '../../src/store/respawn-controllers.js';
import { FakeClock } from '../helpers/fake-clock.js';

const A = 'aaaaaaaa-0000-4000-8000-000000000001';
const B = 'bbbbbbbb-0000-4000-8000-000000000002';

class FakeSession implements RespawnSession {
  isInteractive = true;
  status: SessionStatus = 'busy';
  state: SessionAgentState = 'working';
  limitedUntil: number | null = null;
  readonly listeners = new Set<SessionSignalListener>();
  readonly submitted: string[] = [];

  submitLine(text: string): Result<object, SessionErrorCode> {
    this.submitted.push(text);
    return { ok: true };
  }

  onSignal(listener: SessionSignalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  signal(signal: SessionSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}

let db: Database;
let repository: SqliteRespawnRepository;
let clock: FakeClock;
let sessions: Map<string, FakeSession>;
let events: RespawnEvent[];
let warnings: string[];

function insertSessionRow(id: string): void {
  db.prepare(
    `INSERT INTO sessions (id, working_dir, created_at, mode, status, last_activity_at, permission_mode)
     VALUES (?, '/tmp', 0, 'interactive', 'idle', 0, 'skip')`,
  ).run(id);
}

function manager(): RespawnManager {
  return new RespawnManager({
    sessions,
    repository,
    clock,
    publish: (event) => events.push(event),
    warn: (message) => warnings.push(message),
  });
}

beforeEach(() => {
  db = openDatabase(':memory:');
  repository = new SqliteRespawnRepository(db);
  clock = new FakeClock();
  sessions = new Map([
    [A, new FakeSession()],
    [B, new FakeSession()],
  ]);
  insertSessionRow(A);
  insertSessionRow(B);
  events = [];
  warnings = [];
});

afterEach(() => db.close());

describe('RespawnManager', () => {
  it('starts a controller per session, publishing its events and writing it to the store', () => {
    const m = manager();
    const started = m.start(A, { idleTimeoutMs: 500 });
    expect(started).toMatchObject({ ok: true, status: { state: 'watching', enabled: true } });
    expect(events.map((e) => [e.kind, e.sessionId])).toEqual([
      ['respawn:stateChanged', A],
      ['respawn:started', A],
    ]);
    expect(repository.load(A)).toEqual({
      sessionId: A,
      config: { ...DEFAULT_RESPAWN_CONFIG, idleTimeoutMs: 500 },
      running: true,
      cycleCount: 0,
      startedAt: clock.now(),
      stopReason: null,
    });
    expect(m.status(B)).toBeNull();
    expect(Object.keys(m.list())).toEqual([A]);
  });

  it('refuses unknown sessions, sessions not interactive, and invalid configs, with codes', () => {
    const m = manager();
    expect(m.start('nope')).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    const a = sessions.get(A);
    if (a === undefined) throw new Error('no session A');
    a.isInteractive = false;
    expect(m.start(A)).toMatchObject({ ok: false, code: 'NOT_INTERACTIVE' });
    a.isInteractive = true;
    expect(m.start(A, { idleTimeoutMs: 1 })).toMatchObject({ ok: false, code: 'INVALID_RESPAWN_CONFIG' });
    expect(m.start(A, { bogus: 1 })).toMatchObject({ ok: false, code: 'INVALID_RESPAWN_CONFIG' });
    expect(events).toEqual([]);
    expect(repository.load(A)).toBeNull();
    expect(m.stop('nope')).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
    expect(m.stop(A)).toMatchObject({ ok: false, code: 'RESPAWN_NOT_RUNNING' });
    expect(m.updateConfig(A, {})).toMatchObject({ ok: false, code: 'RESPAWN_NOT_FOUND' });
    expect(m.updateConfig('nope', {})).toMatchObject({ ok: false, code: 'SESSION_NOT_FOUND' });
  });

  it('stops (stored as not running, with the reason); a second stop is RESPAWN_NOT_RUNNING', () => {
    const m = manager();
    m.start(A);
    expect(m.stop(A)).toEqual({ ok: true });
    expect(repository.load(A)).toMatchObject({ running: false, stopReason: 'stopped by request' });
    expect(m.status(A)).toMatchObject({ state: 'stopped', enabled: false, stopReason: 'stopped by request' });
    expect(m.stop(A)).toMatchObject({ ok: false, code: 'RESPAWN_NOT_RUNNING' });
  });

  it('updates the config of a running or stopped controller and stores it; the next start keeps it', () => {
    const m = manager();
    m.start(A);
    expect(m.updateConfig(A, { updatePrompt: 'tidy up' })).toEqual({
      ok: true,
      config: { ...DEFAULT_RESPAWN_CONFIG, updatePrompt: 'tidy up' },
    });
    expect(repository.load(A)?.config).toMatchObject({ updatePrompt: 'tidy up' });
    expect(m.updateConfig(A, { interStepDelayMs: 'x' })).toMatchObject({
      ok: false,
      code: 'INVALID_RESPAWN_CONFIG',
    });
    m.stop(A);
    expect(m.updateConfig(A, { idleTimeoutMs: 900 })).toMatchObject({ ok: true });
    const restarted = m.start(A);
    expect(restarted.ok && restarted.status.config).toEqual({
      ...DEFAULT_RESPAWN_CONFIG,
      updatePrompt: 'tidy up',
      idleTimeoutMs: 900,
    });
  });

  it('a start on a running controller replaces it (the old one stops with the reason)', () => {
    const m = manager();
    m.start(A, { idleTimeoutMs: 700 });
    events.length = 0;
    const again = m.start(A, { interStepDelayMs: 0 });
    expect(again.ok && again.status.config).toMatchObject({ idleTimeoutMs: 700, interStepDelayMs: 0 });
    expect(events.find((e) => e.kind === 'respawn:stopped')?.data).toEqual({ reason: REPLACED_REASON });
    expect(sessions.get(A)?.listeners.size).toBe(1);
    expect(repository.load(A)).toMatchObject({ running: true, stopReason: null });
  });

  it('counts cycles in the store', () => {
    const m = manager();
    m.start(A, { idleTimeoutMs: 100 });
    sessions.get(A)?.signal({ kind: 'idle', source: 'heuristic', reason: 'test' });
    clock.advance(100);
    expect(repository.load(A)?.cycleCount).toBe(1);
  });

  it('restore: a controller that ran comes back stopped ("server restarted") with its config', () => {
    const first = manager();
    first.start(A, { updatePrompt: 'keep notes' });
    first.start(B);
    first.stop(B);
    first.shutdown();
    // Shutdown does not write "stopped": the store still says A ran.
    expect(repository.load(A)).toMatchObject({ running: true, stopReason: null });
    expect(events.filter((e) => e.kind === 'respawn:stopped').at(-1)?.data).toEqual({
      reason: SERVER_SHUTDOWN_REASON,
    });

    // After a restart the sessions exist but are not interactive.
    for (const session of sessions.values()) session.isInteractive = false;
    events = [];
    const second = manager();
    expect(second.restore()).toBe(2);
    expect(events).toEqual([]);
    expect(second.status(A)).toMatchObject({
      state: 'stopped',
      enabled: false,
      stopReason: SERVER_RESTARTED_REASON,
      config: { updatePrompt: 'keep notes' },
    });
    expect(repository.load(A)).toMatchObject({ running: false, stopReason: SERVER_RESTARTED_REASON });
    expect(second.status(B)).toMatchObject({ state: 'stopped', stopReason: 'stopped by request' });

    // Starting again without a config resumes with the stored one.
    const a = sessions.get(A);
    if (a === undefined) throw new Error('no session A');
    a.isInteractive = true;
    const resumed = second.start(A);
    expect(resumed.ok && resumed.status.config.updatePrompt).toBe('keep notes');
  });

  it('restore: a controller that ran starts again when its session is interactive', () => {
    const first = manager();
    first.start(A, { idleTimeoutMs: 300 });
    first.shutdown();
    const second = manager();
    second.restore();
    expect(second.status(A)).toMatchObject({ state: 'watching', config: { idleTimeoutMs: 300 } });
  });

  it('restore: a stored config that is not valid falls back to the defaults, with a warning', () => {
    repository.upsert({
      sessionId: A,
      config: { idleTimeoutMs: -5, futureOption: true },
      running: false,
      cycleCount: 3,
      startedAt: 1,
      stopReason: 'stopped by request',
    });
    db.prepare("UPDATE respawn_controllers SET config = '{not json' WHERE session_id = ?").run(A);
    repository.upsert({
      sessionId: B,
      config: { idleTimeoutMs: -5, futureOption: true },
      running: false,
      cycleCount: 3,
      startedAt: 1,
      stopReason: null,
    });
    const m = manager();
    m.restore();
    expect(m.status(A)?.config).toEqual(DEFAULT_RESPAWN_CONFIG);
    expect(m.status(B)).toMatchObject({ config: DEFAULT_RESPAWN_CONFIG, cycleCount: 3 });
    expect(warnings).toHaveLength(1);
  });

  it('forgets the controller of a deleted session', () => {
    const m = manager();
    m.start(A);
    sessions.delete(A);
    db.prepare('DELETE FROM sessions WHERE id = ?').run(A);
    expect(m.status(A)).toBeNull();
    expect(m.list()).toEqual({});
    expect(warnings).toEqual([]);
    expect(repository.load(A)).toBeNull();
  });
});
