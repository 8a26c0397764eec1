import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RespawnStatus } from '../../src/protocol/rest/respawn.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { SseClient } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import {
  createRealClaudeHome,
  describeEachRealClaude,
  pollFor,
  type RealClaudeHome,
  realCliSessions,
} from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IDLE_TIMEOUT_MS = 8_000;
/** What the controller types first in a cycle: it reaches the fake API as a turn's prompt. */
const UPDATE_PROMPT = 'RESPAWN-UPDATE please update the docs';

/**
 * The respawn controller on the real CLI: the quiet time it waits after a turn ends is the user's
 * `idleTimeoutMs`, whatever told it the turn ended (here the CLI's own Stop hook), so no `/clear`
 * or update prompt is typed into a session that has just finished a turn.
 */
describeEachRealClaude('the respawn controller with the real CLI', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer;
  let events: SseClient | null = null;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    temp = makeTempDir('claudeman-respawn-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir], version: claude.version });
    server = await startClaudeman({ claudeBin: claude.path, env: home.env });
  });
  afterAll(async () => {
    await events?.close();
    await server?.close();
    await fake?.close();
    home?.remove();
    temp?.remove();
  });

  it(`starts no cycle within 5 s of a turn ending (idleTimeoutMs ${IDLE_TIMEOUT_MS}), and one after it`, async () => {
    const api = realCliSessions(server);
    const id = await api.interactive(workDir);
    const stream = await SseClient.open(server, {
      query: `sessions=${id}&exclude=session:terminal,session:output`,
    });
    events = stream;
    const respawn = async () =>
      (await (await server.api(`/api/sessions/${id}/respawn`)).json()) as RespawnStatus;
    const updatePrompts = () => fake.turnRequests().filter((request) => request.userText === UPDATE_PROMPT);

    const started = await server.send('POST', `/api/sessions/${id}/respawn/start`, {
      config: { idleTimeoutMs: IDLE_TIMEOUT_MS, updatePrompt: UPDATE_PROMPT, interStepDelayMs: 500 },
    });
    expect(started.status).toBe(200);
    const turns = fake.turnRequests().length;
    await api.typeLine(id, 'a turn before the quiet');
    const after = await api.waitFor(
      id,
      (session) => session.state === 'waiting' && fake.turnRequests().length > turns,
      'the turn answered and ended',
    );
    const turnEnded = after.stateSince;

    // Five seconds from the end of the turn: watching, no cycle, nothing typed.
    while (Date.now() < turnEnded + 5_000) {
      const status = await respawn();
      expect({ state: status.state, cycleCount: status.cycleCount }).toEqual({
        state: 'watching',
        cycleCount: 0,
      });
      expect(stream.ofType('respawn:cycleStarted')).toEqual([]);
      expect(stream.ofType('respawn:stepSent')).toEqual([]);
      expect(updatePrompts()).toEqual([]);
      await sleep(250);
    }

    // After the idle timeout the cycle runs: the update prompt reaches the API, then /clear and /init.
    await stream.nextOf('respawn:cycleStarted', id, 30_000);
    const firstStep = await stream.nextOf('respawn:stepSent', id, 30_000);
    expect(firstStep.data).toEqual({ step: 'update' });
    const [update] = await pollFor(
      async () => updatePrompts(),
      (found) => found.length > 0,
      'the update prompt at the API',
      30_000,
    );
    expect(update?.receivedAt).toBeGreaterThanOrEqual(turnEnded + 5_000);
    await stream.nextOf('respawn:cycleCompleted', id, 90_000);
    const steps = stream.ofType('respawn:stepSent').map((frame) => frame.data.step);
    expect(steps).toEqual(['update', 'clear', 'init']);
    expect((await respawn()).cycleCount).toBeGreaterThanOrEqual(1);

    expect((await server.send('POST', `/api/sessions/${id}/respawn/stop`, {})).status).toBe(200);
    await api.remove(id);
  }, 180_000);
});
