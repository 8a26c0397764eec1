import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TerminalFlow } from '../../src/protocol/terminal-frames.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';

interface Frame {
  type: string;
  data?: string;
  seq?: number;
  chars?: number;
  /** Deprecated spelling of `chars` on `skipped`, kept for clients built before the rename. */
  bytes?: number;
  code?: number | null;
  message?: string;
}

/** How the client names the count in its `ack` frames: `chars`, or `bytes` as clients built before the rename do. */
type AckField = 'chars' | 'bytes';

async function openTerminal(
  server: ClaudemanTestServer,
  sessionId: string,
  ack = true,
  ackField: AckField = 'chars',
) {
  const ws = new WebSocket(
    `ws://127.0.0.1:${server.port}/ws/sessions/${sessionId}/terminal?token=${server.token}`,
  );
  const frames: Frame[] = [];
  let screen = '';
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    frames.push(frame);
    if ((frame.type === 'output' || frame.type === 'replay') && frame.data !== undefined) {
      screen += frame.data;
      if (ack) ws.send(JSON.stringify({ type: 'ack', [ackField]: frame.data.length }));
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, frames, screen: () => screen };
}

async function interactiveSession(server: ClaudemanTestServer): Promise<string> {
  const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
    session: { id: string };
  };
  const id = created.session.id;
  expect((await server.send('POST', `/api/sessions/${id}/interactive`, { cols: 100, rows: 30 })).status).toBe(
    200,
  );
  return id;
}

describe('terminal WebSocket', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  it('answers every malformed frame with an error frame and stays open; the server lives on', async () => {
    server = await startClaudeman({ terminalHost: 'pty' });
    const id = await interactiveSession(server);
    await pollUntil(
      () => server?.running.sessions.get(id)?.terminal.toString().includes('❯') === true,
      'the prompt',
    );
    const terminal = await openTerminal(server, id);
    await pollUntil(() => terminal.frames.length > 0, 'the replay');
    const hostile: Array<string | Buffer> = [
      'null',
      '42',
      '"input"',
      '[]',
      '[{"type":"input","data":"x"}]',
      'true',
      '{}',
      '{"type":null}',
      '{"type":"input"}',
      '{"type":"input","data":5}',
      '{"type":"input","data":null}',
      // Sequence numbers come as a pair of well-formed fields, or not at all.
      '{"type":"input","data":"x","clientId":"page"}',
      '{"type":"input","data":"x","seq":1}',
      '{"type":"input","data":"x","clientId":7,"seq":1}',
      '{"type":"input","data":"x","clientId":null,"seq":1}',
      '{"type":"input","data":"x","clientId":"","seq":1}',
      '{"type":"input","data":"x","clientId":"has space","seq":1}',
      `{"type":"input","data":"x","clientId":"${'c'.repeat(65)}","seq":1}`,
      '{"type":"input","data":"x","clientId":"page","seq":-1}',
      '{"type":"input","data":"x","clientId":"page","seq":1.5}',
      '{"type":"input","data":"x","clientId":"page","seq":"1"}',
      '{"type":"input","data":"x","clientId":"page","seq":9007199254740992}',
      '{"type":"input","data":"x","clientId":"page","seq":null}',
      '{"type":"resize","cols":"x","rows":10}',
      '{"type":"resize","cols":0,"rows":10}',
      '{"type":"resize","cols":80.5,"rows":10}',
      '{"type":"resize","cols":501,"rows":10}',
      '{"type":"resize","cols":80,"rows":10,"clientId":""}',
      '{"type":"resize","cols":80,"rows":10,"clientId":42}',
      '{"type":"ack","chars":-1}',
      '{"type":"ack","chars":"10"}',
      '{"type":"ack","chars":1e309}',
      '{"type":"ack"}',
      '{"type":"ack","bytes":-1}',
      '{"type":"ack","bytes":"10"}',
      // `chars` wins over the old `bytes`, also when it is the invalid one.
      '{"type":"ack","chars":null,"bytes":10}',
      '{"type":"__proto__"}',
      '{"type":"constructor","data":"x"}',
      '{"__proto__":{"type":"input"},"data":"x"}',
      '',
      Buffer.from('null'),
      Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
    ];
    // Valid acks in both spellings (the old `bytes` from clients built before the rename; `chars`
    // wins when both are given): no error frame for any of them.
    const validAcks = [
      '{"type":"ack","chars":0}',
      '{"type":"ack","bytes":0}',
      '{"type":"ack","chars":0,"bytes":"ignored"}',
    ];
    // Well-formed sequence fields: no error, an acknowledgement.
    validAcks.push('{"type":"input","data":"","clientId":"page_1-A","seq":0}');
    const errorsBefore = terminal.frames.filter((f) => f.type === 'error').length;
    for (const frame of validAcks) terminal.ws.send(frame);
    for (const frame of hostile) terminal.ws.send(frame);
    // Text frames that are not UTF-8 (ws would close those with 1007): refused, the socket kept.
    const notUtf8 = [
      Buffer.from([0x7b, 0xff, 0x7d]),
      Buffer.from('{"type":"resize","cols":"\xff","rows":1}', 'latin1'),
    ];
    for (const frame of notUtf8) terminal.ws.send(frame, { binary: false });
    hostile.push(...notUtf8);
    await pollUntil(
      () => terminal.frames.filter((f) => f.type === 'error').length - errorsBefore === hostile.length,
      'an error frame for each hostile frame',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(terminal.frames.filter((f) => f.type === 'error').length - errorsBefore).toBe(hostile.length);
    for (const frame of terminal.frames.filter((f) => f.type === 'error')) {
      expect(frame.message, JSON.stringify(frame)).toMatch(
        /^(invalid JSON|unknown or malformed message|input needs|resize needs|ack needs)/,
      );
    }
    // The same connection still types into the agent, and the server still answers others.
    expect(terminal.ws.readyState).toBe(WebSocket.OPEN);
    expect(terminal.frames.filter((f) => f.type === 'inputAck').map((f) => f.seq)).toEqual([0]);
    terminal.ws.send(JSON.stringify({ type: 'input', data: 'still here' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    terminal.ws.send(JSON.stringify({ type: 'input', data: '\r' }));
    await pollUntil(() => terminal.screen().includes('Echo: still here'), 'the reply', 10_000);
    expect((await server.api('/api/status')).status).toBe(200);
    terminal.ws.close();
  });

  it('replays the buffer, streams output, takes keystrokes and reports the exit', async () => {
    server = await startClaudeman();
    const id = await interactiveSession(server);
    await pollUntil(
      () => server?.running.sessions.get(id)?.terminal.toString().includes('❯') === true,
      'the prompt',
    );
    const terminal = await openTerminal(server, id);
    await pollUntil(() => terminal.frames.length > 0, 'the replay');
    expect(terminal.frames[0]?.type).toBe('replay');
    expect(terminal.screen()).toContain('❯');
    terminal.ws.send(JSON.stringify({ type: 'input', data: 'hello there' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    terminal.ws.send(JSON.stringify({ type: 'input', data: '\r' }));
    await pollUntil(() => terminal.screen().includes('Echo: hello there'), 'the reply', 10_000);
    terminal.ws.send(JSON.stringify({ type: 'resize', cols: 80, rows: 24 }));
    terminal.ws.send('not json');
    await pollUntil(() => terminal.frames.some((f) => f.type === 'error'), 'the error reply');
    terminal.ws.send(JSON.stringify({ type: 'input', data: '/exit' }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    terminal.ws.send(JSON.stringify({ type: 'input', data: '\r' }));
    await pollUntil(() => terminal.frames.some((f) => f.type === 'exit'), 'the exit frame', 10_000);
    expect(terminal.frames.find((f) => f.type === 'exit')?.code).toBe(0);
    terminal.ws.close();
  });

  it.each<AckField>(['chars', 'bytes'])(
    'drops output for a client that does not acknowledge, then catches it up with a skipped marker (ack with %s)',
    async (ackField) => {
      // A plain PTY: the flood must reach the socket byte for byte (tmux would condense it to redraws).
      server = await startClaudeman({ terminalHost: 'pty' });
      const id = await interactiveSession(server);
      const terminal = await openTerminal(server, id, false);
      await pollUntil(() => terminal.screen().includes('❯'), 'the prompt');
      const flood = 3 * TerminalFlow.highWaterChars;
      terminal.ws.send(JSON.stringify({ type: 'input', data: `[[big:${flood}]]` }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      terminal.ws.send(JSON.stringify({ type: 'input', data: '\r' }));
      const appended = (): number => {
        const buffer = server?.running.sessions.get(id)?.terminal;
        return buffer === undefined ? 0 : buffer.byteLength + buffer.trimmedBytes;
      };
      await pollUntil(() => appended() > flood, 'the flood to reach the session', 20_000);
      const received = terminal.screen().length;
      expect(received).toBeLessThan(TerminalFlow.highWaterChars * 2);
      // Acknowledge everything: the client is caught up with a marker and the latest output.
      terminal.ws.send(JSON.stringify({ type: 'ack', [ackField]: received }));
      await pollUntil(() => terminal.frames.some((f) => f.type === 'skipped'), 'the skipped marker');
      const skipped = terminal.frames.find((f) => f.type === 'skipped');
      expect(skipped?.chars).toBeGreaterThan(0);
      // The deprecated spelling carries the same count, for clients built before the rename.
      expect(skipped?.bytes).toBe(skipped?.chars);
      terminal.ws.close();
    },
  );

  it('refuses an unknown session and a missing token', async () => {
    server = await startClaudeman();
    const unknown = new WebSocket(
      `ws://127.0.0.1:${server.port}/ws/sessions/nope/terminal?token=${server.token}`,
    );
    const status = await new Promise<number>((resolve) => {
      unknown.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      unknown.once('open', () => resolve(101));
    });
    expect(status).toBe(404);
    const noToken = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sessions/x/terminal`);
    const refused = await new Promise<number>((resolve) => {
      noToken.once('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      noToken.once('open', () => resolve(101));
    });
    expect(refused).toBe(401);
  });
});
