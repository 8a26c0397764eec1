// API: limits — the most SSE, /ws and terminal clients at once (over the limit: 503 TOO_MANY_CLIENTS for
// SSE, close 1013 with a reason for WebSockets, also on the standalone sticky-overseer), the most
// sessions, the terminal socket's send backlog, and /metrics listing every limit as a gauge whose HELP
// line gives its reason, with the current usage beside it.
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import type { Session } from '../../src/agent/session/session.js';
import { MAX_SESSIONS } from '../../src/agent/session/session-manager.js';
import { SessionLimits } from '../../src/agent/session/session-settings.js';
import { EventBus } from '../../src/events/bus.js';
import { TerminalFlow } from '../../src/protocol/terminal-frames.js';
import { BODY_LIMIT_BYTES } from '../../src/server/claudeman-app.js';
import type { EngineEvent } from '../../src/server/engine-event.js';
import { Limits } from '../../src/server/limits.js';
import { SseLimits } from '../../src/server/sse/sse-hub.js';
import { TERMINAL_BACKLOG_BYTES, TerminalSocket } from '../../src/server/terminal/terminal-socket.js';
import {
  asObject,
  expectApiError,
  expectJson,
  pollAsync,
  readBody,
  SseClient,
  useApiResources,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { pollUntil } from '../helpers/poll.js';
import { listTasks, WsClient } from '../helpers/ws-client.js';

const r = useApiResources();
const TRY_AGAIN_LATER = 1013;

/** A WebSocket client closed after the test. */
async function connect(url: string): Promise<WsClient> {
  const client = await WsClient.connect(url);
  r.onCleanup(() => client.close());
  return client;
}

function overseerUrl(s: ClaudemanTestServer): string {
  return `ws://127.0.0.1:${s.port}/ws?token=${s.token}`;
}

function terminalUrl(s: ClaudemanTestServer, id: string): string {
  return `ws://127.0.0.1:${s.port}/ws/sessions/${id}/terminal?token=${s.token}`;
}

/** `# HELP`, `# TYPE` and value of every metric family in a Prometheus text body. */
function parseFamilies(
  text: string,
): Map<string, { help: string; type: string; samples: Map<string, number> }> {
  const families = new Map<string, { help: string; type: string; samples: Map<string, number> }>();
  const family = (name: string) => {
    let found = families.get(name);
    if (found === undefined) {
      found = { help: '', type: '', samples: new Map() };
      families.set(name, found);
    }
    return found;
  };
  for (const line of text.split('\n')) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help !== null) family(help[1] ?? '').help = help[2] ?? '';
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) family(type[1] ?? '').type = type[2] ?? '';
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    const key = line.slice(0, space);
    const brace = key.indexOf('{');
    family(brace === -1 ? key : key.slice(0, brace)).samples.set(key, Number(line.slice(space + 1)));
  }
  return families;
}

async function metrics(s: ClaudemanTestServer) {
  const response = await s.api('/metrics');
  expect(response.status).toBe(200);
  return parseFamilies(await response.text());
}

/** A new session's id (its shape is checked elsewhere). */
async function newSession(s: ClaudemanTestServer): Promise<string> {
  const created = await expectJson(await s.send('POST', '/api/sessions', {}), 201);
  return String(asObject(created.session).id);
}

/** Clients of one kind connected now, as /metrics shows them. */
async function clients(s: ClaudemanTestServer, kind: string): Promise<number | undefined> {
  return (await metrics(s)).get('claudeman_clients')?.samples.get(`claudeman_clients{kind="${kind}"}`);
}

describe('the most event streams at once', () => {
  it('answers one stream over the limit with 503 TOO_MANY_CLIENTS; a slot freed is taken again', async () => {
    const s = await r.server({ clientLimits: { sseClients: 2 } });
    const first = await r.sse(s);
    await r.sse(s);
    const { request, response } = await SseClient.request(s);
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type'] ?? '').toMatch(/^application\/json/);
    const body = asObject(JSON.parse(await readBody(response)) as unknown);
    expect(body).toMatchObject({ success: false, code: 'TOO_MANY_CLIENTS' });
    expect(String(body.error)).toMatch(/at most 2/);
    request.destroy();
    expect(s.running.sse.clientCount).toBe(2);

    await first.close();
    await pollUntil(() => s.running.sse.clientCount === 1, 'the closed stream to be forgotten');
    const again = await r.sse(s);
    await again.nextOf('init');
  });
});

describe('the most /ws connections at once', () => {
  it('closes one connection over the limit with 1013 and a reason; the others keep working', async () => {
    const s = await r.server({ clientLimits: { overseerClients: 2 } });
    const one = await connect(overseerUrl(s));
    const two = await connect(overseerUrl(s));
    const three = await connect(overseerUrl(s));
    const refused = await three.waitClose();
    expect(refused.code).toBe(TRY_AGAIN_LATER);
    expect(refused.reason).toMatch(/too many clients: at most 2/);
    expect((await listTasks(one)).type).toBe('tasks');
    expect((await listTasks(two)).type).toBe('tasks');

    await one.close();
    await pollAsync(async () => (await clients(s, 'overseer_ws')) === 1, 'the closed connection to go');
    const four = await connect(overseerUrl(s));
    expect((await listTasks(four)).type).toBe('tasks');
  });

  it('does the same on the standalone sticky-overseer', async () => {
    const server = await startOverseer({ maxClients: 1 });
    r.onCleanup(() => server.close());
    const one = await connect(server.url);
    const two = await connect(server.url);
    const refused = await two.waitClose();
    expect(refused.code).toBe(TRY_AGAIN_LATER);
    expect(refused.reason).toMatch(/too many clients: at most 1/);
    expect((await listTasks(one)).type).toBe('tasks');
    expect(server.running.hub.connectionCount).toBe(1);
  });
});

describe('the most terminal sockets at once', () => {
  it('closes one terminal socket over the limit with 1013 and a reason; a freed slot is taken again', async () => {
    const s = await r.server({ clientLimits: { terminalClients: 1 } });
    const id = await newSession(s);
    const first = await connect(terminalUrl(s, id));
    await first.next((m) => m.type === 'replay');
    const second = await connect(terminalUrl(s, id));
    const refused = await second.waitClose();
    expect(refused.code).toBe(TRY_AGAIN_LATER);
    expect(refused.reason).toMatch(/too many terminal connections: at most 1/);
    expect(second.received((m) => m.type === 'replay')).toEqual([]);

    await first.close();
    await pollAsync(async () => (await clients(s, 'terminal')) === 0, 'the closed socket to go');
    const third = await connect(terminalUrl(s, id));
    await third.next((m) => m.type === 'replay');
  });
});

describe('the terminal socket backlog', () => {
  it('closes a socket whose unsent bytes pass the limit with 1013 (a client acknowledging without reading)', async () => {
    const bus = new EventBus<EngineEvent>();
    const closed: Array<{ code: number; reason: string }> = [];
    const listeners = new Map<string, () => void>();
    const socket = {
      OPEN: 1,
      readyState: 1,
      bufferedAmount: 0,
      sent: [] as string[],
      send(text: string) {
        this.sent.push(text);
        this.bufferedAmount += text.length;
      },
      close(code: number, reason: string) {
        closed.push({ code, reason });
        this.readyState = 2;
      },
      terminate() {},
      on() {},
      once(event: string, listener: () => void) {
        listeners.set(event, listener);
      },
    };
    const session = {
      id: 'session-1',
      terminalSequence: 0,
      terminal: { toString: () => '' },
      terminalSize: { cols: 80, rows: 24 },
      terminalSnapshot: () => null,
    } as unknown as Session;
    new TerminalSocket(socket as unknown as WebSocket, session, bus, 10_000);
    const chunk = 'x'.repeat(4_000);
    for (let seq = 1; seq <= 5; seq++) {
      bus.publish({ kind: 'session:terminal', sessionId: 'session-1', data: { data: chunk, seq }, ts: 0 });
      await Promise.resolve();
    }
    await pollUntil(() => closed.length > 0, 'the socket to be closed');
    expect(closed).toHaveLength(1);
    expect(closed[0]?.code).toBe(TRY_AGAIN_LATER);
    expect(closed[0]?.reason).toMatch(/^client too slow: \d+ bytes unsent$/);
    // Nothing more is sent to a socket being closed.
    const sent = socket.sent.length;
    bus.publish({ kind: 'session:terminal', sessionId: 'session-1', data: { data: chunk, seq: 6 }, ts: 0 });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(socket.sent.length).toBe(sent);
    listeners.get('close')?.();
  });
});

describe('the most sessions', () => {
  it(`refuses session ${MAX_SESSIONS + 1} with 429 SESSION_LIMIT`, async () => {
    const s = await r.server();
    for (let i = 0; i < MAX_SESSIONS; i++) {
      await expectJson(await s.send('POST', '/api/sessions', {}), 201);
    }
    await expectApiError(await s.send('POST', '/api/sessions', {}), 429, 'SESSION_LIMIT');
    expect(s.running.sessions.size).toBe(MAX_SESSIONS);
  }, 60_000);
});

describe('GET /metrics: limits and usage', () => {
  /**
   * Each constant's metric. The Records over the constants' keys make a new constant fail to compile
   * here until it has its metric.
   */
  const LIMITS: Record<keyof typeof Limits, [string, number]> = {
    maxFrameBytes: ['ws_max_frame_bytes', Limits.maxFrameBytes],
    clientBacklogBytes: ['ws_client_backlog_bytes', Limits.clientBacklogBytes],
    clientHighWaterBytes: ['ws_client_high_water_bytes', Limits.clientHighWaterBytes],
    stalledClientMs: ['ws_stalled_client_seconds', Limits.stalledClientMs / 1000],
    socketWatermarkBytes: ['ws_socket_watermark_bytes', Limits.socketWatermarkBytes],
    closeHandshakeMs: ['ws_close_handshake_seconds', Limits.closeHandshakeMs / 1000],
    shutdownCloseGraceMs: ['ws_shutdown_close_grace_seconds', Limits.shutdownCloseGraceMs / 1000],
    eventLogBacklogBytes: ['event_log_backlog_bytes', Limits.eventLogBacklogBytes],
    subscriberQueueEvents: ['event_subscriber_queue_events', Limits.subscriberQueueEvents],
    maxOverseerClients: ['ws_max_clients', Limits.maxOverseerClients],
    maxTerminalClients: ['terminal_max_clients', Limits.maxTerminalClients],
    clientTimeoutMs: ['client_timeout_seconds', Limits.clientTimeoutMs / 1000],
  };
  const SESSION: Record<keyof typeof SessionLimits, [string, number]> = {
    terminalBytes: ['session_terminal_bytes', SessionLimits.terminalBytes],
    textBytes: ['session_text_bytes', SessionLimits.textBytes],
    messages: ['session_messages', SessionLimits.messages],
    errorBytes: ['session_error_bytes', SessionLimits.errorBytes],
    transcriptEntries: ['session_transcript_entries', SessionLimits.transcriptEntries],
  };
  const SSE: Record<keyof typeof SseLimits, [string, number]> = {
    historyEvents: ['sse_history_events', SseLimits.historyEvents],
    historyBytes: ['sse_history_bytes', SseLimits.historyBytes],
    clientBacklogBytes: ['sse_client_backlog_bytes', SseLimits.clientBacklogBytes],
    keepAliveMs: ['sse_keep_alive_seconds', SseLimits.keepAliveMs / 1000],
    maxClients: ['sse_max_clients', SseLimits.maxClients],
  };
  const TERMINAL: Record<keyof typeof TerminalFlow, [string, number]> = {
    highWaterChars: ['terminal_high_water_chars', TerminalFlow.highWaterChars],
    lowWaterChars: ['terminal_low_water_chars', TerminalFlow.lowWaterChars],
    catchUpChars: ['terminal_catch_up_chars', TerminalFlow.catchUpChars],
    maxQueuedEvents: ['terminal_queue_events', TerminalFlow.maxQueuedEvents],
  };
  const OTHERS: Array<[string, number]> = [
    ['request_body_bytes', BODY_LIMIT_BYTES],
    ['max_sessions', MAX_SESSIONS],
    ['terminal_client_backlog_bytes', TERMINAL_BACKLOG_BYTES],
    ['prompt_chars', 100_000],
    ['input_chars', 64 * 1024],
  ];

  it('lists every limit as a gauge with its value and a HELP line giving its reason', async () => {
    const s = await r.server();
    const families = await metrics(s);
    const expected = [
      ...Object.values(LIMITS),
      ...Object.values(SESSION),
      ...Object.values(SSE),
      ...Object.values(TERMINAL),
      ...OTHERS,
    ];
    for (const [name, value] of expected) {
      const family = families.get(`claudeman_limit_${name}`);
      expect(family, `claudeman_limit_${name}`).toBeDefined();
      expect(family?.type, name).toBe('gauge');
      expect(family?.samples.get(`claudeman_limit_${name}`), name).toBe(value);
      // A reason, not just a name: a sentence of its own.
      expect(family?.help.length ?? 0, `${name}: HELP ${family?.help}`).toBeGreaterThan(30);
    }
    // Each limit once, each with its own reason.
    const limitFamilies = [...families.keys()].filter((name) => name.startsWith('claudeman_limit_'));
    expect(new Set(limitFamilies.map((name) => families.get(name)?.help)).size).toBe(limitFamilies.length);
  });

  it('shows the configured client limits and the clients connected of each kind', async () => {
    const s = await r.server({ clientLimits: { sseClients: 5, overseerClients: 6, terminalClients: 7 } });
    const id = await newSession(s);
    await newSession(s);
    await r.sse(s);
    const ws = await connect(overseerUrl(s));
    await listTasks(ws);
    const terminal = await connect(terminalUrl(s, id));
    await terminal.next((m) => m.type === 'replay');
    const families = await metrics(s);
    const value = (name: string, key = name) => families.get(name)?.samples.get(key);
    expect(value('claudeman_limit_sse_max_clients')).toBe(5);
    expect(value('claudeman_limit_ws_max_clients')).toBe(6);
    expect(value('claudeman_limit_terminal_max_clients')).toBe(7);
    expect(value('claudeman_clients', 'claudeman_clients{kind="sse"}')).toBe(1);
    expect(value('claudeman_clients', 'claudeman_clients{kind="overseer_ws"}')).toBe(1);
    expect(value('claudeman_clients', 'claudeman_clients{kind="terminal"}')).toBe(1);
    expect(value('claudeman_sessions', 'claudeman_sessions{status="idle"}')).toBe(2);
  });
});
