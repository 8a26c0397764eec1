// Viewers never type into the agent by looking at it: a viewer's terminal answers the queries in the
// replayed screen (device attributes, version), and those answers must not reach the agent's input.
// The agent here records every byte it reads, in raw mode, so nothing is hidden by a line editor.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { pollUntil } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

/** tmux's own answers to the agent's queries: DA1, DA2 and XTVERSION. */
const TMUX_ANSWERS = new RegExp(
  [String.raw`\x1b\[[?>][0-9;]*c`, String.raw`\x1bP>\|[^\x1b]*\x1b\\`].join('|'),
  'g',
);

/** An agent that asks the terminal who it is (as Claude Code's renderer does) and records its input. */
function recordingAgent(dir: string): { bin: string; received: () => string } {
  const log = join(dir, 'received');
  const bin = join(dir, 'recording-agent');
  writeFileSync(
    bin,
    `#!${process.execPath}
const { appendFileSync } = require('node:fs');
process.stdin.setRawMode(true);
process.stdout.write('\\x1b[c\\x1b[>c\\x1b[>q ready> ');
process.stdin.on('data', (chunk) => appendFileSync(${JSON.stringify(log)}, chunk));
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
`,
  );
  chmodSync(bin, 0o755);
  return { bin, received: () => (existsSync(log) ? readFileSync(log, 'latin1') : '') };
}

async function openViewer(server: ClaudemanTestServer, id: string): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws/sessions/${id}/terminal?token=${server.token}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return ws;
}

describe('terminal queries answered by viewers', () => {
  let server: ClaudemanTestServer | null = null;
  const temps: Array<{ remove(): void }> = [];
  afterEach(async () => {
    await server?.close();
    server = null;
    for (const temp of temps.splice(0)) temp.remove();
  });

  for (const host of ['pty', 'tmux'] as const) {
    it.skipIf(host === 'tmux' && !TMUX_TESTS)(
      `never reach the agent (${host}); what the viewer types does, once`,
      async () => {
        const temp = makeTempDir('viewer-replies-');
        temps.push(temp);
        const agent = recordingAgent(temp.path);
        server = await startClaudeman({ claudeBin: agent.bin, terminalHost: host });
        const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
          session: { id: string };
        };
        const id = created.session.id;
        expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
        // Three viewers, as after reloads and a second tab: each answers what it replays, then types.
        for (const word of ['one', 'two', 'three']) {
          const viewer = await openViewer(server, id);
          viewer.send(
            JSON.stringify({
              type: 'input',
              data: '\x1b[?1;2c\x1b[>0;276;0c\x1bP>|xterm.js(6.0.0)\x1b\\',
            }),
          );
          viewer.send(JSON.stringify({ type: 'input', data: `${word} ` }));
          await pollUntil(() => agent.received().includes(word), `the agent to read "${word}"`, 10_000);
          viewer.close();
        }
        const received = agent.received();
        // The viewers' answers (xterm.js: DA2 0;276;0, version xterm.js(6.0.0)) never arrive.
        expect(received).not.toContain('276');
        expect(received).not.toContain('xterm.js');
        if (host === 'pty') expect(received).toBe('one two three ');
        // tmux is the agent's terminal there and answers its queries itself (DA, DA2, XTVERSION "tmux"):
        // those answers are the agent's own, the typed words come once each, in order.
        else expect(received.replace(TMUX_ANSWERS, '')).toBe('one two three ');
      },
      30_000,
    );
  }

  it('are dropped when cut over several frames; an Escape key on its own still arrives', async () => {
    const temp = makeTempDir('viewer-replies-');
    temps.push(temp);
    const agent = recordingAgent(temp.path);
    server = await startClaudeman({ claudeBin: agent.bin, terminalHost: 'pty' });
    const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
      session: { id: string };
    };
    const id = created.session.id;
    expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
    const viewer = await openViewer(server, id);
    const type = (data: string): void => viewer.send(JSON.stringify({ type: 'input', data }));
    for (const part of ['abc', '\x1b', '[>0;276;0c', 'def', '\x1bP>|xterm', '.js(6.0.0)\x1b', '\\', 'ghi'])
      type(part);
    await pollUntil(() => agent.received().includes('ghi'), 'the typed text', 10_000);
    type('\x1b');
    await pollUntil(() => agent.received().endsWith('\x1b'), 'the lone Escape', 10_000);
    expect(agent.received()).toBe('abcdefghi\x1b');
    viewer.close();
  }, 30_000);
});
