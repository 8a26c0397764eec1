import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TranscriptPage } from '../../src/protocol/rest/transcript.js';
import { type FakeAnthropic, startFakeAnthropic } from '../fixtures/fake-anthropic/server.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import {
  createRealClaudeHome,
  describeEachRealClaude,
  openTerminal,
  pollFor,
  type RealClaudeHome,
  realCliSessions,
  sendFrame,
} from '../helpers/real-claude.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A viewer's terminal answering queries: DA2 (xterm.js's), XTVERSION, DA1. */
const DA2 = '\x1b[>0;276;0c';
const XTVERSION = '\x1bP>|xterm(1)\x1b\\';
const DA1 = '\x1b[?1;2c';
/**
 * The real CLI under util-linux `script`, which logs every byte the CLI reads from its terminal
 * (`-I`, flushed at once): what reached the CLI, not only what it made of it. The CLI swallows a
 * whole reply sequence without a trace in its prompt, so the prompt alone could not show a leak.
 */
function recordingCli(dir: string, realBin: string): { bin: string; received: () => string } {
  const log = join(dir, 'cli-input.log');
  const bin = join(dir, 'claude');
  writeFileSync(
    bin,
    `#!/bin/sh
cmd="exec '${realBin}'"
for a in "$@"; do cmd="$cmd '$(printf '%s' "$a" | sed "s/'/'\\\\\\\\''/g")'"; done
exec script -q -f -e -E never -I '${log}' -O /dev/null -c "$cmd"
`,
  );
  chmodSync(bin, 0o755);
  // The log starts with a header line of its own ("Script started on … [COMMAND=…]").
  const received = () =>
    existsSync(log) ? readFileSync(log, 'latin1').replace(/^Script started on [^\n]*\n/, '') : '';
  return { bin, received };
}

/**
 * Viewers never type into the agent by looking at it, with the real CLI: a viewer's terminal answers
 * the queries in what it replays, and none of those answers reaches the CLI or its prompt.
 */
describeEachRealClaude('viewers of a real CLI session', (claude) => {
  let fake: FakeAnthropic;
  let temp: ReturnType<typeof makeTempDir>;
  let workDir: string;
  let home: RealClaudeHome;
  let server: ClaudemanTestServer;
  let cli: ReturnType<typeof recordingCli>;

  beforeAll(async () => {
    fake = await startFakeAnthropic();
    temp = makeTempDir('claudeman-viewers-');
    workDir = join(temp.path, 'work');
    mkdirSync(workDir);
    cli = recordingCli(temp.path, claude.path);
    home = createRealClaudeHome({ baseUrl: fake.url, trustedDirs: [workDir], version: claude.version });
    // A plain PTY: there what the server writes is what the CLI reads. (tmux, the CLI's terminal
    // otherwise, parses its client's input as a terminal's and takes such answers as its own, or not,
    // depending on what it asked: the recorder could not tell the server's doing from tmux's.)
    server = await startClaudeman({ claudeBin: cli.bin, env: home.env, terminalHost: 'pty' });
  });
  afterAll(async () => {
    await server?.close();
    await fake?.close();
    home?.remove();
    temp?.remove();
  });

  it('a viewer whose terminal answers queries: the prompt the CLI submits is only what it typed', async () => {
    const api = realCliSessions(server);
    const id = await api.interactive(workDir);
    const viewer = await openTerminal(server, id);
    await sleep(500);
    const mark = cli.received().length;
    const input = (data: string) => sendFrame(viewer, { type: 'input', data });
    // As a viewer's terminal does on attach (answering the replayed screen's queries), and in between keys.
    const frames = [`${DA1}${DA2}${XTVERSION}`, 'VIEWER-TYPED hello', `${XTVERSION}${DA2}`, ' world', DA1];
    for (const data of frames) {
      input(data);
      await sleep(100);
    }
    input('\r');
    const [turn] = await pollFor(
      async () =>
        fake.turnRequests().filter((request) => request.userText?.includes('VIEWER-TYPED') === true),
      (found) => found.length > 0,
      'the typed prompt at the API',
      30_000,
    );
    expect(JSON.stringify(turn?.userText)).toBe(JSON.stringify('VIEWER-TYPED hello world'));
    const page = await pollFor(
      async () =>
        (await (
          await server.api(`/api/sessions/${id}/transcript?after=0&limit=10`)
        ).json()) as TranscriptPage,
      (current) => current.entries.some((entry) => entry.kind === 'user'),
      'the prompt in the transcript',
      30_000,
    );
    expect(page.entries.find((entry) => entry.kind === 'user')?.text).toBe('VIEWER-TYPED hello world');
    // What the CLI read from its terminal: the keys, once, in order, and none of the viewer's answers.
    const read = cli.received().slice(mark);
    expect(read).not.toContain('276');
    expect(read).not.toContain('xterm(1)');
    expect(JSON.stringify(read)).toBe(JSON.stringify('VIEWER-TYPED hello world\r'));

    // Control: the recorder does see such bytes when they are sent (`/input` types exactly what a
    // client gives it), so the checks above would catch a viewer's answer that got through.
    const before = cli.received().length;
    const control = `control ${DA2}${XTVERSION} end`;
    expect((await server.send('POST', `/api/sessions/${id}/input`, { input: control })).status).toBe(200);
    await pollFor(
      async () => cli.received().slice(before),
      (text) => text.includes(control),
      'the control input read by the CLI',
      10_000,
    );
    viewer.close();
    await api.remove(id);
  }, 120_000);
});
