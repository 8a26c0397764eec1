// API: the event stream GET /api/events — init snapshot, framing, ids, session filter, Last-Event-ID
// resume, resync when the gap is too old, disconnecting and slow clients.
import { describe, expect, it } from 'vitest';
import { excludeQuery, TERMINAL_OUTPUT_EVENT_TYPES } from '../../src/protocol/sse.js';
import { SseLimits } from '../../src/server/sse/sse-hub.js';
import {
  asArray,
  asNumber,
  asObject,
  createSession,
  expectFraming,
  expectJson,
  expectSession,
  pollAsync,
  rawRequest,
  type SseClient,
  type SseFrame,
  useApiResources,
  waitForSession,
  waitForTerminal,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';

const r = useApiResources();

async function createCase(s: ClaudemanTestServer, name: string): Promise<void> {
  await expectJson(await s.send('POST', '/api/cases', { name }), 201);
}

async function runToEnd(s: ClaudemanTestServer, id: string, prompt: string): Promise<void> {
  await expectJson(await s.send('POST', `/api/sessions/${id}/run`, { prompt }), 200);
  await waitForSession(s, id, (x) => x.status !== 'busy' && x.pid === null, 'the run to end', 20_000);
}

function caseCreated(name: string): (f: SseFrame) => boolean {
  return (f) => f.type === 'case:created' && f.data.name === name;
}

/** Frames after `init` (the events proper). */
function eventsOf(sse: SseClient): SseFrame[] {
  return sse.frames.filter((f) => f.type !== 'init' && f.type !== 'resync');
}

describe('GET /api/events: init and framing', () => {
  it('starts with an init event holding the status snapshot', async () => {
    const s = await r.server();
    const a = await createSession(s);
    const b = await createSession(s, { workingDir: r.tempDir() });
    const sse = await r.sse(s);
    const init = await sse.next(() => true);
    expect(init.type).toBe('init');
    expect(sse.frames[0]).toBe(init);
    expectFraming(init);
    expect(Object.keys(init.data).sort()).toEqual([
      'casesRoot',
      'costs',
      'respawnStatus',
      'scheduledRuns',
      'sessions',
      'timestamp',
    ]);
    const sessions = asArray(init.data.sessions).map((x) => expectSession(x));
    expect(sessions.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect(init.data.scheduledRuns).toEqual([]);
    expect(init.data.respawnStatus).toEqual({});
    expect(Math.abs(asNumber(init.data.timestamp) - Date.now())).toBeLessThan(10_000);
    const status = await expectJson(await s.api('/api/status'), 200);
    expect(
      asArray(status.sessions)
        .map((x) => asObject(x).id)
        .sort(),
    ).toEqual([a.id, b.id].sort());
  });

  it('frames every event as id/event/data with increasing ids and event == data.type', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    const first = await sse.nextOf('init');
    const one = String((await createSession(s)).id);
    await runToEnd(s, one, 'frame me [[garbage]]');
    const two = String((await createSession(s)).id);
    await expectJson(await s.send('POST', `/api/sessions/${two}/interactive`, {}), 200);
    await waitForTerminal(s, two, '\u276f');
    await createCase(s, 'framed');
    await sse.next(caseCreated('framed'));
    await expectJson(await s.api(`/api/sessions/${two}`, { method: 'DELETE' }), 200);
    await sse.nextOf('session:deleted', two);

    for (const frame of sse.frames) expectFraming(frame);
    const events = eventsOf(sse);
    expect(events.length).toBeGreaterThan(10);
    // The init id is the last id so far; every event after it has the next id.
    expect(events[0]?.id).toBe(first.id + 1);
    for (let i = 1; i < events.length; i++) expect(events[i]?.id).toBe((events[i - 1]?.id ?? 0) + 1);
    const types = new Set(events.map((f) => f.type));
    for (const type of [
      'session:created',
      'session:updated',
      'session:running',
      'session:message',
      'session:output',
      'session:terminal',
      'session:completion',
      'session:exit',
      'session:interactive',
      'session:deleted',
      'case:created',
    ]) {
      expect(types, `events include ${type}`).toContain(type);
    }
    // Data of the catalogue.
    const created = events.find((f) => f.type === 'session:created' && f.sessionId === one);
    expect(expectSession(created?.data.session).id).toBe(one);
    const updated = events.find((f) => f.type === 'session:updated' && f.sessionId === one);
    expectSession(updated?.data.session);
    const output = events.find((f) => f.type === 'session:output' && f.sessionId === one);
    expect(typeof output?.data.text).toBe('string');
    expect(typeof output?.data.raw).toBe('string');
    const terminal = events.find((f) => f.type === 'session:terminal' && f.sessionId === two);
    expect(typeof terminal?.data.data).toBe('string');
    expect(events.find((f) => f.type === 'session:deleted')?.data).toEqual({});
    expect(events.find((f) => f.type === 'session:interactive')?.data).toEqual({});
    // Session events do not embed buffers: no event's session carries terminal text.
    for (const f of events.filter((x) => x.type === 'session:updated' || x.type === 'session:created')) {
      expect(Object.keys(asObject(f.data.session))).not.toContain('terminalBuffer');
    }
  });
});

describe('HEAD /api/events', () => {
  it('answers the stream headers at once and holds no client slot (found by the HTTP fuzzer)', async () => {
    const s = await r.server();
    const head = await rawRequest(s.port, {
      method: 'HEAD',
      path: '/api/events',
      headers: { authorization: `Bearer ${s.token}` },
    });
    expect(head.status).toBe(200);
    expect(head.headers['content-type']).toContain('text/event-stream');
    expect(s.running.sse.clientCount).toBe(0);
  });
});

describe('GET /api/events: keep-alive', () => {
  it(
    'sends a keep-alive comment within 15 s of quiet',
    async () => {
      const s = await r.server();
      const sse = await r.sse(s);
      await sse.nextOf('init');
      await pollAsync(
        () => sse.comments.length > 0,
        'a keep-alive comment',
        SseLimits.keepAliveMs + 5_000,
        100,
      );
      expect(sse.comments[0]?.startsWith(':')).toBe(true);
      // Comments are not events.
      expect(sse.frames.map((f) => f.type)).toEqual(['init']);
    },
    SseLimits.keepAliveMs + 15_000,
  );
});

describe('GET /api/events?sessions=…', () => {
  it('keeps only the listed sessions’ events, and events that concern no session', async () => {
    const s = await r.server();
    const all = await r.sse(s);
    const a = String((await createSession(s)).id);
    const b = String((await createSession(s)).id);
    const onlyA = await r.sse(s, { query: `sessions=${a}` });
    const both = await r.sse(s, { query: `sessions=${encodeURIComponent(`${a}, ${b}`)}` });
    await onlyA.nextOf('init');
    await both.nextOf('init');

    await runToEnd(s, a, 'for a');
    await runToEnd(s, b, 'for b');
    const c = String((await createSession(s)).id);
    await createCase(s, 'marker');
    await all.next(caseCreated('marker'));
    await onlyA.next(caseCreated('marker'));
    await both.next(caseCreated('marker'));

    const sessionsIn = (sse: SseClient) => new Set(eventsOf(sse).map((f) => f.sessionId ?? 'none'));
    expect(sessionsIn(onlyA)).toEqual(new Set([a, 'none']));
    expect(sessionsIn(both)).toEqual(new Set([a, b, 'none']));
    expect(sessionsIn(all)).toEqual(new Set([a, b, c, 'none']));
    // Nothing of A is missing from the filtered stream (since it connected).
    const since = onlyA.frames[0]?.id ?? 0;
    const ofA = (sse: SseClient) =>
      eventsOf(sse)
        .filter((f) => f.sessionId === a && f.id > since)
        .map((f) => f.id);
    expect(ofA(onlyA)).toEqual(ofA(all));
    expect(ofA(onlyA).length).toBeGreaterThan(5);
    // Ids stay the global ones (increasing, with gaps where other sessions' events were).
    const ids = eventsOf(onlyA).map((f) => f.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBeGreaterThan(ids[i - 1] ?? 0);
  });
});

describe('GET /api/events?exclude=…', () => {
  it('leaves out the listed event types, live and in the replay; every other event arrives', async () => {
    const s = await r.server();
    const all = await r.sse(s);
    const init = await all.nextOf('init');
    const quiet = await r.sse(s, { query: excludeQuery(TERMINAL_OUTPUT_EVENT_TYPES) });
    await quiet.nextOf('init');
    const oneshot = String((await createSession(s)).id);
    await runToEnd(s, oneshot, 'print something');
    const interactive = String((await createSession(s)).id);
    await expectJson(await s.send('POST', `/api/sessions/${interactive}/interactive`, {}), 200);
    await all.next((f) => f.type === 'session:terminal' && f.sessionId === interactive);
    await createCase(s, 'after-output');
    await all.next(caseCreated('after-output'));
    await quiet.next(caseCreated('after-output'));

    const terminal = new Set<string>(TERMINAL_OUTPUT_EVENT_TYPES);
    expect(eventsOf(all).filter((f) => terminal.has(f.type ?? '')).length).toBeGreaterThan(0);
    expect(eventsOf(quiet).filter((f) => terminal.has(f.type ?? ''))).toEqual([]);
    const since = quiet.frames[0]?.id ?? 0;
    const rest = (sse: SseClient) => eventsOf(sse).filter((f) => !terminal.has(f.type ?? '') && f.id > since);
    expect(rest(quiet).map((f) => f.id)).toEqual(rest(all).map((f) => f.id));

    const resumed = await r.sse(s, {
      query: 'exclude=session:terminal',
      headers: { 'last-event-id': String(init.id) },
    });
    await resumed.next(caseCreated('after-output'));
    expect(resumed.ofType('session:terminal')).toEqual([]);
    expect(resumed.ofType('session:output').length).toBe(all.ofType('session:output').length);
  });

  it('answers an unknown event type with 400 BAD_REQUEST, holding no stream', async () => {
    const s = await r.server();
    const reply = await s.api('/api/events?exclude=session:terminal,session:bogus');
    const body = await expectJson(reply, 400);
    expect(body.code).toBe('BAD_REQUEST');
    expect(String(body.error)).toContain('session:bogus');
    const status = await expectJson(await s.api('/api/status'), 200);
    expect(status.sessions).toEqual([]);
  });
});

describe('Last-Event-ID', () => {
  it('resumes exactly after the given id: no duplicates, nothing missing, no init', async () => {
    const s = await r.server();
    const live = await r.sse(s);
    const first = await r.sse(s);
    await first.nextOf('init');
    await createCase(s, 'c1');
    await createCase(s, 'c2');
    await createCase(s, 'c3');
    await first.next(caseCreated('c3'));
    const resumeFrom = (await first.next(caseCreated('c2'))).id;
    await first.close();

    await createCase(s, 'c4');
    const id = String((await createSession(s)).id);
    await runToEnd(s, id, 'while away');
    await createCase(s, 'c5');
    await live.next(caseCreated('c5'));
    const missed = eventsOf(live).filter((f) => f.id > resumeFrom);
    expect(missed.length).toBeGreaterThan(5);

    const resumed = await r.sse(s, { headers: { 'last-event-id': String(resumeFrom) } });
    await pollAsync(() => resumed.frames.length >= missed.length, 'the missed events to be replayed');
    await resumed.next(caseCreated('c5'));
    expect(resumed.frames.map((f) => f.id)).toEqual(missed.map((f) => f.id));
    expect(resumed.frames.map((f) => f.dataText)).toEqual(missed.map((f) => f.dataText));
    expect(resumed.ofType('init')).toEqual([]);
    expect(resumed.ofType('case:created').map((f) => f.data.name)).toEqual(['c3', 'c4', 'c5']);

    // Then it continues live.
    await createCase(s, 'c6');
    const next = await resumed.next(caseCreated('c6'));
    expect(next.id).toBe((missed.at(-1)?.id ?? 0) + 1);
  });

  it('resumes from the id of init (nothing missed between init and reconnect)', async () => {
    const s = await r.server();
    const first = await r.sse(s);
    const init = await first.nextOf('init');
    await first.close();
    await createCase(s, 'after-init');
    const resumed = await r.sse(s, { headers: { 'last-event-id': String(init.id) } });
    const frame = await resumed.next(caseCreated('after-init'));
    expect(resumed.frames[0]).toBe(frame);
    expect(frame.id).toBe(init.id + 1);
  });

  it('applies the session filter to the replay', async () => {
    const s = await r.server();
    const a = String((await createSession(s)).id);
    const b = String((await createSession(s)).id);
    const live = await r.sse(s);
    const init = await live.nextOf('init');
    await runToEnd(s, a, 'a run');
    await runToEnd(s, b, 'b run');
    await createCase(s, 'end');
    await live.next(caseCreated('end'));
    const resumed = await r.sse(s, { query: `sessions=${b}`, headers: { 'last-event-id': String(init.id) } });
    await resumed.next(caseCreated('end'));
    const expected = eventsOf(live).filter((f) => f.sessionId === b || f.sessionId === undefined);
    expect(resumed.frames.map((f) => f.id)).toEqual(expected.map((f) => f.id));
  });

  it('answers an id from the future (e.g. a previous server) with resync, then init', async () => {
    const s = await r.server();
    const sse = await r.sse(s, { headers: { 'last-event-id': '999999' } });
    await sse.nextOf('init');
    expect(sse.frames.map((f) => f.type)).toEqual(['resync', 'init']);
    for (const frame of sse.frames) expectFraming(frame);
  });

  it('treats a malformed Last-Event-ID as a fresh start (init only)', async () => {
    const s = await r.server();
    const sse = await r.sse(s, { headers: { 'last-event-id': 'not-a-number' } });
    await sse.nextOf('init');
    await createCase(s, 'later');
    await sse.next(caseCreated('later'));
    expect(sse.frames.map((f) => f.type)).toEqual(['init', 'case:created']);
  });

  it('answers an id older than the history with resync, then init; the oldest kept id still resumes', async () => {
    const s = await r.server();
    const total = SseLimits.historyEvents + 1;
    const names = Array.from({ length: total }, (_, i) => `bulk-${i}`);
    for (let i = 0; i < names.length; i += 50) {
      await Promise.all(names.slice(i, i + 50).map((name) => createCase(s, name)));
    }
    // A fresh stream's init carries the last id.
    const probe = await r.sse(s);
    const last = (await probe.nextOf('init')).id;
    expect(last).toBe(total);
    await probe.close();

    const stale = await r.sse(s, { headers: { 'last-event-id': '0' } });
    await stale.nextOf('init');
    expect(stale.frames.map((f) => f.type)).toEqual(['resync', 'init']);
    expect(asArray(stale.frames[1]?.data.sessions)).toEqual([]);
    await createCase(s, 'after-resync');
    await stale.next(caseCreated('after-resync'));
    expect(stale.frames.map((f) => f.type)).toEqual(['resync', 'init', 'case:created']);

    // The oldest event still kept is last - historyEvents + 1: resuming just before it works.
    const oldestKept = last + 1 - SseLimits.historyEvents + 1; // one more event was published since
    const edge = await r.sse(s, { headers: { 'last-event-id': String(oldestKept - 1) } });
    await edge.next(caseCreated('after-resync'), 20_000);
    expect(edge.frames[0]?.type).toBe('case:created');
    expect(edge.frames[0]?.id).toBe(oldestKept);
    expect(edge.frames).toHaveLength(SseLimits.historyEvents);
    const older = await r.sse(s, { headers: { 'last-event-id': String(oldestKept - 2) } });
    await older.nextOf('init');
    expect(older.frames.map((f) => f.type)).toEqual(['resync', 'init']);
  }, 120_000);
});

describe('clients that go away or fall behind', () => {
  /** An interactive session with its prompt on screen. */
  async function interactive(s: ClaudemanTestServer): Promise<string> {
    const id = String((await createSession(s)).id);
    await expectJson(await s.send('POST', `/api/sessions/${id}/interactive`, {}), 200);
    await waitForTerminal(s, id, '\u276f');
    return id;
  }

  /** Makes the fake print `chars` characters of reply (80-character lines) into its terminal. */
  async function flood(s: ClaudemanTestServer, id: string, chars: number): Promise<string> {
    await expectJson(
      await s.send('POST', `/api/sessions/${id}/input`, { input: `flood [[big:${chars}]]\r` }),
      200,
    );
    return `big reply line ${String(Math.ceil(chars / 80)).padStart(6, '0')}`;
  }

  function terminalText(sse: SseClient, id: string): string {
    return sse.frames
      .filter((f) => f.type === 'session:terminal' && f.sessionId === id)
      .map((f) => String(f.data.data))
      .join('');
  }

  it('a client that disconnects mid-stream does not disturb the others', async () => {
    const s = await r.server();
    const leaving = await r.sse(s);
    const staying = await r.sse(s);
    await leaving.nextOf('init');
    await staying.nextOf('init');
    expect(s.running.sse.clientCount).toBe(2);
    const id = await interactive(s);
    const lastLine = await flood(s, id, 3_000_000);
    await leaving.next(
      (f) => f.type === 'session:terminal' && String(f.data.data).includes('big reply line'),
    );
    await leaving.close();
    await waitForTerminal(s, id, lastLine, 30_000);
    await pollAsync(
      () => terminalText(staying, id).includes(lastLine),
      'the whole flood on the other client',
      30_000,
    );
    await pollAsync(() => s.running.sse.clientCount === 1, 'the server to drop the closed client');
    await createCase(s, 'still-flowing');
    await staying.next(caseCreated('still-flowing'));
    // The staying client saw every event in order, without gaps, and every terminal chunk in order.
    const ids = eventsOf(staying).map((f) => f.id);
    for (let i = 1; i < ids.length; i++) expect(ids[i]).toBe((ids[i - 1] ?? 0) + 1);
    const seqs = staying.frames
      .filter((f) => f.type === 'session:terminal' && f.sessionId === id)
      .map((f) => Number(f.data.seq));
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] ?? 0) + 1);
  });

  it('a client that stops reading gets resync + init when it catches up; others are not held up', async () => {
    // A plain PTY: every byte of the flood must reach the events (tmux would condense it to redraws).
    const s = await r.server({ terminalHost: 'pty' });
    const slow = await r.sse(s);
    const fast = await r.sse(s);
    await slow.nextOf('init');
    await fast.nextOf('init');
    const id = await interactive(s);
    slow.pause();
    // Far more than the 8 MiB a client may fall behind plus what the sockets buffer.
    const lastLine = await flood(s, id, 24_000_000);
    await pollAsync(
      () => terminalText(fast, id).includes(lastLine),
      'the whole flood on the fast client',
      60_000,
    );
    expect((await s.api('/healthz')).status).toBe(200);
    await createCase(s, 'after-flood');
    await fast.next(caseCreated('after-flood'));

    slow.resume();
    const resync = await slow.nextOf('resync', undefined, 30_000);
    const init = await slow.nextOf('init', undefined, 10_000);
    expect(slow.frames.indexOf(init)).toBe(slow.frames.indexOf(resync) + 1);
    expectFraming(resync);
    expect(asArray(init.data.sessions).map((x) => asObject(x).id)).toContain(id);
    await createCase(s, 'after-resync');
    await slow.next(caseCreated('after-resync'), 10_000);
  }, 120_000);
});
