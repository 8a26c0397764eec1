// API: the respawn controller — GET/POST/PUT /api/sessions/:id/respawn…, /interactive-respawn, its
// respawn:* events, a full update → /clear → /init cycle against the fake claude, and persistence of
// its config across a restart.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripAnsi } from '../../src/agent/terminal/ansi.js';
import { DEFAULT_RESPAWN_CONFIG } from '../../src/protocol/rest/respawn.js';
import {
  asArray,
  asObject,
  asString,
  createSession,
  expectApiError,
  expectJson,
  type Json,
  pollAsync,
  type SseClient,
  useApiResources,
  waitForSession,
  waitForTerminal,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';

const r = useApiResources();
const PROMPT = '\u276f';
/** Small timings so that a whole cycle takes a few seconds against the fake. */
const FAST = { idleTimeoutMs: 500, interStepDelayMs: 100 };
/** Long enough that no cycle starts during a test that only inspects the controller. */
const SLOW = { idleTimeoutMs: 3_600_000 };
/** A cycle against the fake: the heuristic's 2 s idle, three steps, slack for a loaded machine. */
const CYCLE_TIMEOUT_MS = 25_000;

const STATUS_KEYS = [
  'config',
  'cycleCount',
  'enabled',
  'lastActivityTime',
  'pausedUntil',
  'promptDetected',
  'startedAt',
  'state',
  'stopReason',
  'timeSinceActivity',
  'workingDetected',
];

async function server(options: { dataDir?: string } = {}): Promise<ClaudemanTestServer> {
  // Quick turns; no idle_prompt Notification hook to muddle the signals.
  return r.server({
    ...options,
    env: { ...process.env, FAKE_CLAUDE_WORK_MS: '150', FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' },
  });
}

/** A session in its own temp directory (/init writes CLAUDE.md there). */
async function session(s: ClaudemanTestServer): Promise<{ id: string; dir: string }> {
  const dir = r.tempDir('claudeman-respawn-');
  const created = await createSession(s, { workingDir: dir });
  return { id: asString(created.id), dir: asString(created.workingDir) };
}

async function interactiveRespawn(s: ClaudemanTestServer, id: string, respawnConfig?: Json): Promise<Json> {
  const body = await expectJson(
    await s.send(
      'POST',
      `/api/sessions/${id}/interactive-respawn`,
      respawnConfig === undefined ? {} : { respawnConfig },
    ),
    200,
  );
  expect(Object.keys(body).sort()).toEqual(['message', 'respawnStatus', 'success']);
  expect(body.success).toBe(true);
  // Wait for the CLI's prompt before anything can stop it: a stop in the first milliseconds after the
  // spawn can miss the process group (see the report: GroupTerminator and setsid) and hang the close.
  await waitForTerminal(s, id, PROMPT);
  return expectStatus(body.respawnStatus);
}

function expectStatus(value: unknown): Json {
  const status = asObject(value, 'respawn status');
  expect(Object.keys(status).sort()).toEqual(STATUS_KEYS);
  return status;
}

async function getRespawn(s: ClaudemanTestServer, id: string): Promise<Json> {
  return expectJson(await s.api(`/api/sessions/${id}/respawn`), 200);
}

function respawnFrames(sse: SseClient, id: string) {
  return sse.frames.filter((f) => f.type?.startsWith('respawn:') === true && f.sessionId === id);
}

describe('a full respawn cycle against the fake claude', () => {
  it('types the update prompt, /clear and /init in turn; the events tell the story; output keeps flowing', async () => {
    const s = await server();
    const sse = await r.sse(s);
    const { id, dir } = await session(s);
    const status = await interactiveRespawn(s, id, FAST);
    expect(status).toMatchObject({ state: 'watching', enabled: true, cycleCount: 0 });
    expect(status.config).toEqual({ ...DEFAULT_RESPAWN_CONFIG, ...FAST });

    await sse.nextOf('respawn:cycleCompleted', id, CYCLE_TIMEOUT_MS);
    const stopped = await expectJson(await s.send('POST', `/api/sessions/${id}/respawn/stop`), 200);
    expect(stopped).toEqual({ success: true });

    // What the CLI showed: the update prompt's reply, the cleared screen, /init's result.
    const buffer = stripAnsi(await waitForTerminal(s, id, 'Created CLAUDE.md'));
    expect(buffer).toContain(`Echo: ${DEFAULT_RESPAWN_CONFIG.updatePrompt}`);
    expect(buffer).toContain('(no content)');
    expect(buffer).toContain('Created CLAUDE.md');
    expect(existsSync(join(dir, 'CLAUDE.md'))).toBe(true);

    const frames = respawnFrames(sse, id);
    const transitions = frames
      .filter((f) => f.type === 'respawn:stateChanged')
      .map((f) => `${asString(f.data.from)}>${asString(f.data.to)}`);
    expect(transitions.slice(0, 8)).toEqual([
      'stopped>watching',
      'watching>sending_update',
      'sending_update>waiting_update',
      'waiting_update>sending_clear',
      'sending_clear>waiting_clear',
      'waiting_clear>sending_init',
      'sending_init>waiting_init',
      'waiting_init>watching',
    ]);
    expect(transitions.at(-1)).toMatch(/>stopped$/);
    const steps = frames
      .filter((f) => f.type === 'respawn:stepSent' || f.type === 'respawn:stepCompleted')
      .map((f) => `${f.type === 'respawn:stepSent' ? 'sent' : 'done'} ${asString(f.data.step)}`);
    expect(steps.slice(0, 6)).toEqual([
      'sent update',
      'done update',
      'sent clear',
      'done clear',
      'sent init',
      'done init',
    ]);
    const cycle = frames.filter((f) => f.type?.startsWith('respawn:cycle') === true);
    expect(cycle.slice(0, 2).map((f) => [f.type, f.data.cycleNumber])).toEqual([
      ['respawn:cycleStarted', 1],
      ['respawn:cycleCompleted', 1],
    ]);
    expect(frames.at(-1)?.type).toBe('respawn:stopped');
    expect(frames.at(-1)?.data).toEqual({ reason: 'stopped by request' });

    // The terminal stream was not held up by the controller: output events between its start and the
    // end of the cycle, with gap-free sequence numbers.
    const started = frames.find((f) => f.type === 'respawn:started');
    const completed = frames.find((f) => f.type === 'respawn:cycleCompleted');
    const during = sse.frames.filter(
      (f) =>
        f.type === 'session:terminal' &&
        f.sessionId === id &&
        f.id > (started?.id ?? Number.POSITIVE_INFINITY) &&
        f.id < (completed?.id ?? 0),
    );
    expect(during.length).toBeGreaterThan(3);
    const seqs = sse.frames
      .filter((f) => f.type === 'session:terminal' && f.sessionId === id)
      .map((f) => Number(f.data.seq));
    expect(seqs).toEqual(seqs.map((_seq, i) => i + 1));

    // The controller's status after the stop, here and in the snapshot.
    const after = expectStatus(await getRespawn(s, id));
    expect(after).toMatchObject({ state: 'stopped', enabled: false, stopReason: 'stopped by request' });
    expect(Number(after.cycleCount)).toBeGreaterThanOrEqual(1);
    const snapshot = await expectJson(await s.api('/api/status'), 200);
    expect(expectStatus(asObject(snapshot.respawnStatus)[id]).state).toBe('stopped');
    // The session itself goes on.
    expect(stripAnsi(await waitForTerminal(s, id, PROMPT))).toContain(PROMPT);
  });
});

describe('respawn endpoints', () => {
  it('GET is {enabled: false, status: null} before a start; start/stop/config answer the seed-era shapes', async () => {
    const s = await server();
    const sse = await r.sse(s);
    const { id } = await session(s);
    expect(await getRespawn(s, id)).toEqual({ enabled: false, status: null });

    expect(await expectJson(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 200)).toMatchObject({
      success: true,
    });
    await waitForTerminal(s, id, PROMPT);
    // The config fields at top level (seed-era) and under `config` (which wins).
    const started = await expectJson(
      await s.send('POST', `/api/sessions/${id}/respawn/start`, {
        ...SLOW,
        updatePrompt: 'top level',
        config: { updatePrompt: 'nested', interStepDelayMs: 0 },
      }),
      200,
    );
    expect(Object.keys(started).sort()).toEqual(['status', 'success']);
    expect(expectStatus(started.status)).toMatchObject({
      state: 'watching',
      enabled: true,
      config: { ...DEFAULT_RESPAWN_CONFIG, ...SLOW, updatePrompt: 'nested', interStepDelayMs: 0 },
    });
    const startedEvent = await sse.nextOf('respawn:started', id);
    expectStatus(startedEvent.data.status);

    const running = expectStatus(await getRespawn(s, id));
    expect(running).toMatchObject({ state: 'watching', stopReason: null });
    expect(typeof running.startedAt).toBe('number');

    const updated = await expectJson(
      await s.send('PUT', `/api/sessions/${id}/respawn/config`, { updatePrompt: 'changed', enabled: false }),
      200,
    );
    expect(updated).toEqual({
      success: true,
      config: {
        ...DEFAULT_RESPAWN_CONFIG,
        ...SLOW,
        updatePrompt: 'changed',
        interStepDelayMs: 0,
        enabled: false,
      },
    });
    const configEvent = await sse.nextOf('respawn:configUpdated', id);
    expect(configEvent.data.config).toEqual(updated.config);
    expect(expectStatus(await getRespawn(s, id))).toMatchObject({ enabled: false, state: 'watching' });

    expect(await expectJson(await s.send('POST', `/api/sessions/${id}/respawn/stop`), 200)).toEqual({
      success: true,
    });
    expect((await sse.nextOf('respawn:stopped', id)).data).toEqual({ reason: 'stopped by request' });
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/respawn/stop`),
      409,
      'RESPAWN_NOT_RUNNING',
    );
    // A stopped controller keeps its config, which can still be changed for the next start.
    expect(
      await expectJson(
        await s.send('PUT', `/api/sessions/${id}/respawn/config`, { idleTimeoutMs: 800 }),
        200,
      ),
    ).toMatchObject({ success: true, config: { idleTimeoutMs: 800, updatePrompt: 'changed' } });
  });

  it('refuses unknown sessions (404), sessions not interactive (409) and invalid configs (400)', async () => {
    const s = await server();
    const missing = '00000000-0000-4000-8000-000000000000';
    await expectApiError(await s.api(`/api/sessions/${missing}/respawn`), 404, 'SESSION_NOT_FOUND');
    for (const [method, path] of [
      ['POST', 'respawn/start'],
      ['POST', 'respawn/stop'],
      ['PUT', 'respawn/config'],
      ['POST', 'interactive-respawn'],
    ] as const) {
      await expectApiError(
        await s.send(method, `/api/sessions/${missing}/${path}`, {}),
        404,
        'SESSION_NOT_FOUND',
      );
    }

    const { id } = await session(s);
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/respawn/start`, {}),
      409,
      'NOT_INTERACTIVE',
    );
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/respawn/stop`),
      409,
      'RESPAWN_NOT_RUNNING',
    );
    await expectApiError(
      await s.send('PUT', `/api/sessions/${id}/respawn/config`, { idleTimeoutMs: 900 }),
      404,
      'RESPAWN_NOT_FOUND',
    );

    const bad: Json[] = [
      { idleTimeoutMs: 5 },
      { idleTimeoutMs: '500' },
      { updatePrompt: '' },
      { interStepDelayMs: -1 },
      { enabled: 'yes' },
      { durationLimitMs: 10 },
      { idleTimeout: 500 },
    ];
    for (const config of bad) {
      await expectApiError(
        await s.send('POST', `/api/sessions/${id}/respawn/start`, { config }),
        400,
        'BAD_REQUEST',
      );
      await expectApiError(
        await s.send('POST', `/api/sessions/${id}/respawn/start`, config),
        400,
        'BAD_REQUEST',
      );
      await expectApiError(
        await s.send('POST', `/api/sessions/${id}/interactive-respawn`, { respawnConfig: config }),
        400,
        'BAD_REQUEST',
      );
      await expectApiError(
        await s.send('PUT', `/api/sessions/${id}/respawn/config`, config),
        400,
        'BAD_REQUEST',
      );
    }
    // None of the refused requests started anything.
    expect(await getRespawn(s, id)).toEqual({ enabled: false, status: null });
    const current = await waitForSession(s, id, () => true, 'the session');
    expect(current.mode).toBe('none');
  });

  it('interactive-respawn on a session that is already interactive just starts the controller', async () => {
    const s = await server();
    const { id } = await session(s);
    await expectJson(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 200);
    const status = await interactiveRespawn(s, id, SLOW);
    expect(status.state).toBe('watching');
  });

  it('the session ending stops the controller with the reason; the server stays up', async () => {
    const s = await server();
    const sse = await r.sse(s);
    const { id } = await session(s);
    await interactiveRespawn(s, id, SLOW);
    await waitForTerminal(s, id, PROMPT);
    await expectJson(await s.send('POST', `/api/sessions/${id}/input`, { input: '/exit\r' }), 200);
    const stopped = await sse.nextOf('respawn:stopped', id);
    expect(stopped.data).toEqual({ reason: 'the session exited with code 0' });
    const logged = respawnFrames(sse, id).filter((f) => f.type === 'respawn:log');
    expect(logged.map((f) => f.data.level)).toContain('warn');
    expect(expectStatus(await getRespawn(s, id))).toMatchObject({
      state: 'stopped',
      stopReason: 'the session exited with code 0',
    });
    await expectApiError(
      await s.send('POST', `/api/sessions/${id}/respawn/start`, {}),
      409,
      'NOT_INTERACTIVE',
    );
  });

  it('deleting the session forgets its controller', async () => {
    const s = await server();
    const { id } = await session(s);
    await interactiveRespawn(s, id, SLOW);
    expect(await expectJson(await s.send('DELETE', `/api/sessions/${id}`), 200)).toEqual({ success: true });
    const snapshot = await expectJson(await s.api('/api/status'), 200);
    expect(asObject(snapshot.respawnStatus)).toEqual({});
  });
});

describe('persistence', () => {
  it('after a restart the controller is stopped ("server restarted") with its config, which a start resumes', async () => {
    const dataDir = r.tempDir('claudeman-respawn-data-');
    const first = await server({ dataDir });
    const { id } = await session(first);
    const config = { ...SLOW, updatePrompt: 'persist me', interStepDelayMs: 250 };
    await interactiveRespawn(first, id, config);
    await r.closeServer(first);

    const second = await server({ dataDir });
    const restored = expectStatus(await getRespawn(second, id));
    expect(restored).toMatchObject({
      state: 'stopped',
      enabled: false,
      stopReason: 'server restarted',
      config: { ...DEFAULT_RESPAWN_CONFIG, ...config },
    });
    const snapshot = await expectJson(await second.api('/api/status'), 200);
    expect(expectStatus(asObject(snapshot.respawnStatus)[id]).stopReason).toBe('server restarted');
    const sessions = asArray(snapshot.sessions);
    expect(sessions.map((one) => asObject(one).id)).toContain(id);

    const resumed = await interactiveRespawn(second, id);
    expect(resumed).toMatchObject({ state: 'watching', config: { ...DEFAULT_RESPAWN_CONFIG, ...config } });
    await pollAsync(
      async () => (await getRespawn(second, id)).state === 'watching',
      'the resumed controller',
    );
  });
});
