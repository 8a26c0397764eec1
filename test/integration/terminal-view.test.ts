// The terminal is a view: over real sockets to real sessions (a plain PTY, and tmux), the agent's
// size follows the viewer that typed last, never one that only connects or resizes; every viewer is
// told the size; input sent with a client id and sequence number is applied once and acknowledged,
// also when it is resent on a new connection; a tmux session's scrollback comes as a `history` frame.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { TerminalViewLimits } from '../../src/protocol/terminal-frames.js';
import { SseClient } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

interface Frame {
  type: string;
  data?: string;
  seq?: number;
  cols?: number;
  rows?: number;
  lines?: number;
  code?: string;
  message?: string;
}

interface Viewer {
  ws: WebSocket;
  frames: Frame[];
  /** The `size` frames received, as `COLSxROWS`. */
  sizes(): string[];
  send(frame: object): void;
}

async function openViewer(server: ClaudemanTestServer, id: string): Promise<Viewer> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sessions/${id}/terminal?token=${server.token}`);
  const frames: Frame[] = [];
  ws.on('message', (raw) => {
    const frame = JSON.parse(raw.toString()) as Frame;
    frames.push(frame);
    if (frame.type === 'output' && frame.data !== undefined) {
      ws.send(JSON.stringify({ type: 'ack', chars: frame.data.length }));
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  await pollUntil(() => frames.some((f) => f.type === 'size'), 'the size after the replay');
  return {
    ws,
    frames,
    sizes: () => frames.filter((f) => f.type === 'size').map((f) => `${f.cols}x${f.rows}`),
    send: (frame) => ws.send(JSON.stringify(frame)),
  };
}

/** An executable in `dir` that runs `body` (a shell script) whatever arguments it is given. */
function agentScript(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

const HOSTS = ['pty', 'tmux'] as const;
const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the terminal is a view', () => {
  let server: ClaudemanTestServer | null = null;
  const temps: Array<{ remove(): void }> = [];
  const viewers: Viewer[] = [];
  afterEach(async () => {
    for (const viewer of viewers.splice(0)) viewer.ws.terminate();
    await server?.close();
    server = null;
    for (const temp of temps.splice(0)) temp.remove();
  });

  async function start(host: (typeof HOSTS)[number], claudeBin?: string, env: NodeJS.ProcessEnv = {}) {
    server = await startClaudeman({
      terminalHost: host,
      env: { ...process.env, FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off', ...env },
      ...(claudeBin === undefined ? {} : { claudeBin }),
    });
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    expect(
      (await server.send('POST', `/api/sessions/${id}/interactive`, { cols: 120, rows: 40 })).status,
    ).toBe(200);
    return { server, id };
  }

  async function viewer(s: ClaudemanTestServer, id: string): Promise<Viewer> {
    const opened = await openViewer(s, id);
    viewers.push(opened);
    return opened;
  }

  for (const host of HOSTS) {
    it.skipIf(host === 'tmux' && !TMUX_TESTS)(
      `sizes the agent for the viewer that typed last, never for one that connects or resizes (${host})`,
      async () => {
        const temp = makeTempDir('terminal-view-');
        temps.push(temp);
        const sizeFile = join(temp.path, 'size');
        const shell = agentScript(temp.path, 'shell-agent', "PS1='$ ' exec /bin/sh -i");
        const { server: s, id } = await start(host, shell);
        const session = s.running.sessions.get(id);
        /** The agent's terminal as the agent sees it: `stty size` typed by `typist`. */
        const sttySize = async (typist: Viewer): Promise<string> => {
          writeFileSync(sizeFile, '');
          typist.send({ type: 'input', data: `stty size > ${sizeFile}\r` });
          await pollUntil(() => readFileSync(sizeFile, 'utf8').trim() !== '', 'stty size', 10_000);
          const [rows, cols] = readFileSync(sizeFile, 'utf8').trim().split(' ');
          return `${cols}x${rows}`;
        };
        /**
         * `stty size` until it says `expected`: tmux gives its pane a client's new size a moment after
         * the client's terminal has it (a plain PTY has it at once), so the first look may be early.
         */
        const agentSize = async (typist: Viewer, expected: string): Promise<string> => {
          let seen = await sttySize(typist);
          for (let attempt = 0; attempt < 20 && seen !== expected && host === 'tmux'; attempt++) {
            await settle(50);
            seen = await sttySize(typist);
          }
          return seen;
        };

        const first = await viewer(s, id);
        expect(first.sizes()).toEqual(['120x40']);
        // The first viewer of a session nobody has sized yet gets a fitted terminal without typing.
        first.send({ type: 'resize', cols: 100, rows: 30 });
        await pollUntil(() => first.sizes().includes('100x30'), 'the first viewer to size the agent');
        expect(await agentSize(first, '100x30')).toBe('100x30');

        // A second viewer of another size connects and resizes: the agent keeps its size.
        const second = await viewer(s, id);
        expect(second.sizes()).toEqual(['100x30']);
        second.send({ type: 'resize', cols: 80, rows: 24 });
        second.send({ type: 'resize', cols: 81, rows: 25 });
        await settle(300);
        expect(session?.terminalSize).toEqual({ cols: 100, rows: 30 });
        expect(first.sizes()).toEqual(['120x40', '100x30']);

        // It types: the agent takes its size before the keystrokes, and both viewers are told.
        expect(await agentSize(second, '81x25')).toBe('81x25');
        expect(first.sizes().at(-1)).toBe('81x25');
        expect(second.sizes().at(-1)).toBe('81x25');

        // The first one resizes: recorded only, until it types again.
        first.send({ type: 'resize', cols: 90, rows: 28 });
        await settle(300);
        expect(session?.terminalSize).toEqual({ cols: 81, rows: 25 });
        expect(await agentSize(first, '90x28')).toBe('90x28');
        expect(second.sizes().at(-1)).toBe('90x28');
        // The typist resizing its own window keeps the agent fitted to it.
        first.send({ type: 'resize', cols: 95, rows: 29 });
        await pollUntil(() => second.sizes().at(-1) === '95x29', 'the typist to resize the agent');
        expect(await agentSize(first, '95x29')).toBe('95x29');
      },
      45_000,
    );

    it.skipIf(host === 'tmux' && !TMUX_TESTS)(
      `a later viewer changes neither the size nor the state or status, and emits no session:state (${host})`,
      async () => {
        const temp = makeTempDir('terminal-view-');
        temps.push(temp);
        const record = join(temp.path, 'fake-claude.jsonl');
        const { server: s, id } = await start(host, undefined, { FAKE_CLAUDE_RECORD: record });
        const session = s.running.sessions.get(id);
        await pollUntil(() => session?.terminal.toString().includes('❯') === true, 'the prompt', 15_000);
        const first = await viewer(s, id);
        first.send({ type: 'resize', cols: 100, rows: 30 });
        first.send({ type: 'input', data: 'hello' });
        await settle(50);
        first.send({ type: 'input', data: '\r' });
        await pollUntil(
          () => session?.state === 'waiting' && session.text.toString().includes('Echo: hello'),
          'the turn',
          15_000,
        );
        // Let the redraws of the first resize and the turn pass.
        await settle(500);
        const resizes = (): number =>
          existsSync(record)
            ? readFileSync(record, 'utf8')
                .split('\n')
                .filter((l) => l.includes('"resize"')).length
            : 0;
        const before = { state: session?.state, status: session?.status, resizes: resizes() };
        const events = await SseClient.open(s, { query: `sessions=${id}` });
        try {
          const later = await viewer(s, id);
          later.send({ type: 'resize', cols: 60, rows: 20 });
          later.send({ type: 'resize', cols: 200, rows: 60 });
          const third = await viewer(s, id);
          third.send({ type: 'resize', cols: 70, rows: 22 });
          await settle(1_000);
          expect(session?.terminalSize).toEqual({ cols: 100, rows: 30 });
          expect({ state: session?.state, status: session?.status, resizes: resizes() }).toEqual(before);
          expect(events.ofType('session:state')).toEqual([]);
          expect(events.ofType('session:working')).toEqual([]);
          for (const v of [first, later, third])
            expect(v.sizes()).toEqual(v === first ? ['120x40', '100x30'] : ['100x30']);
        } finally {
          await events.close();
        }
      },
      45_000,
    );
  }

  it('keeps the size with the client that typed last over its reconnects, not with its socket', async () => {
    const { server: s, id } = await start('pty');
    const session = s.running.sessions.get(id);
    const tab1 = await viewer(s, id);
    tab1.send({ type: 'resize', cols: 100, rows: 30, clientId: 'tab-1' });
    tab1.send({ type: 'input', data: 'x', clientId: 'tab-1', seq: 0 });
    await pollUntil(() => tab1.frames.some((f) => f.type === 'inputAck'), 'the acknowledgement');
    const tab2 = await viewer(s, id);
    tab2.send({ type: 'resize', cols: 80, rows: 24, clientId: 'tab-2' });
    tab1.ws.close();
    // tab-1 comes back (a reconnect, or its view opened again): still the size's holder.
    const again = await viewer(s, id);
    again.send({ type: 'resize', cols: 90, rows: 28, clientId: 'tab-1' });
    await pollUntil(() => tab2.sizes().at(-1) === '90x28', 'tab-1 to resize the agent');
    // A socket of no client, and tab-2, only record theirs.
    const anonymous = await viewer(s, id);
    anonymous.send({ type: 'resize', cols: 70, rows: 20 });
    tab2.send({ type: 'resize', cols: 81, rows: 25, clientId: 'tab-2' });
    // A focus report (tab-2's window got focus) reaches the agent, but is not typing.
    tab2.send({ type: 'input', data: '\x1b[I', clientId: 'tab-2', seq: 0 });
    await pollUntil(() => tab2.frames.some((f) => f.type === 'inputAck'), 'the focus report applied');
    await settle(300);
    expect(session?.terminalSize).toEqual({ cols: 90, rows: 28 });
  });

  it('applies input with a client id and sequence number once, acknowledges it, also when resent on a new socket', async () => {
    const temp = makeTempDir('terminal-view-');
    temps.push(temp);
    const log = join(temp.path, 'received');
    const agent = agentScript(
      temp.path,
      'recording-agent',
      `exec ${JSON.stringify(process.execPath)} -e ${JSON.stringify(
        `process.stdin.setRawMode(true); process.stdout.write('ready> '); process.stdin.on('data', (c) => require('node:fs').appendFileSync(${JSON.stringify(log)}, c));`,
      )}`,
    );
    const { server: s, id } = await start('pty', agent);
    const received = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    const acks = (v: Viewer): number[] =>
      v.frames.filter((f) => f.type === 'inputAck').map((f) => f.seq ?? -1);
    const one = await viewer(s, id);
    one.send({ type: 'input', data: 'a', clientId: 'page-1', seq: 0 });
    one.send({ type: 'input', data: 'a', clientId: 'page-1', seq: 0 });
    one.send({ type: 'input', data: 'b', clientId: 'page-1', seq: 1 });
    await pollUntil(() => acks(one).length === 3, 'three acknowledgements');
    expect(acks(one)).toEqual([0, 0, 1]);
    // Input without sequence numbers works as it always did, and is not acknowledged.
    one.send({ type: 'input', data: 'z' });
    await pollUntil(() => received().includes('z'), 'the unnumbered input');
    one.ws.close();
    // A reconnecting page resends what it has no acknowledgement for: applied once, acknowledged.
    const two = await viewer(s, id);
    two.send({ type: 'input', data: 'b', clientId: 'page-1', seq: 1 });
    two.send({ type: 'input', data: 'c', clientId: 'page-1', seq: 2 });
    // Another client's numbers are its own.
    two.send({ type: 'input', data: 'd', clientId: 'page-2', seq: 1 });
    await pollUntil(() => acks(two).length === 3, 'three more acknowledgements');
    expect(acks(two)).toEqual([1, 2, 1]);
    await pollUntil(() => received().includes('d'), 'the last input');
    expect(received()).toBe('abzcd');
    // Input the session cannot take is refused with its code and sequence number: never silently.
    await s.running.sessions.get(id)?.stop();
    two.send({ type: 'input', data: 'e', clientId: 'page-1', seq: 3 });
    await pollUntil(() => two.frames.some((f) => f.type === 'error' && f.seq === 3), 'the refusal');
    expect(two.frames.find((f) => f.type === 'error' && f.seq === 3)?.code).toBe('NOT_INTERACTIVE');
    expect(acks(two)).not.toContain(3);
  });

  it.skipIf(!TMUX_TESTS)(
    'gives a viewer of a tmux session its scrollback as a history frame before the replay',
    async () => {
      const temp = makeTempDir('terminal-view-');
      temps.push(temp);
      const shell = agentScript(temp.path, 'shell-agent', "PS1='$ ' exec /bin/sh -i");
      const { server: s, id } = await start('tmux', shell);
      const typist = await viewer(s, id);
      typist.send({ type: 'resize', cols: 80, rows: 24 });
      typist.send({ type: 'input', data: 'for i in $(seq 1 300); do echo "history line $i"; done\r' });
      await pollUntil(
        () => s.running.sessions.get(id)?.text.toString().includes('history line 300') === true,
        'the lines',
      );
      await settle(200);
      const late = await viewer(s, id);
      const kinds = late.frames.map((f) => f.type);
      expect(kinds.slice(0, 3)).toEqual(['history', 'replay', 'size']);
      const history = late.frames[0];
      const replay = late.frames[1];
      expect(history?.lines).toBeGreaterThan(250);
      expect(history?.lines).toBeLessThanOrEqual(TerminalViewLimits.historyLines);
      // Oldest first, each line once; what is on the screen is in the replay, not the history.
      const colours = new RegExp(`${'\x1b'}\\[[0-9;]*m`, 'g');
      const text = (history?.data ?? '').replace(colours, '');
      expect(text.split('\r\n').filter((line) => line === 'history line 1')).toHaveLength(1);
      expect(text.indexOf('history line 1')).toBeLessThan(text.indexOf('history line 200'));
      expect(text).not.toContain('history line 300');
      expect(replay?.data).toContain('history line 300');
      expect(replay).toMatchObject({ cols: 80, rows: 24 });
      // The replay is the screen from tmux: no alternate-screen switch, no raw client output.
      expect(replay?.data).not.toContain('\x1b[?1049h');
      expect(replay).toMatchObject({ snapshot: true });

      // What scrolls off later comes with a `refresh`: the opening again, history grown.
      late.send({ type: 'input', data: 'for i in $(seq 1 100); do echo "later line $i"; done\r' });
      await pollUntil(
        () => s.running.sessions.get(id)?.text.toString().includes('later line 100') === true,
        'more',
      );
      late.send({ type: 'refresh' });
      late.send({ type: 'refresh' });
      await pollUntil(
        () => late.frames.filter((f) => f.type === 'history').length === 2,
        'the refreshed history',
      );
      const refreshed = late.frames.filter((f) => f.type === 'history')[1];
      expect(refreshed?.data).toContain('later line 50');
      await settle(TerminalViewLimits.refreshIntervalMs + 200);
      // Two refreshes within the interval are one opening.
      expect(late.frames.filter((f) => f.type === 'replay')).toHaveLength(2);
    },
  );
});
