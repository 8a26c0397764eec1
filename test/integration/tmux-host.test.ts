// The tmux host of interactive sessions, against a real tmux server on a private socket: launch,
// typed lines, exit status, environment kept out of argv, detach and adopt with scrollback, stop.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TmuxServer, tmuxSessionName } from '../../src/agent/terminal/tmux/tmux-server.js';
import {
  type TmuxLaunchSpec,
  TmuxTerminalProcess,
} from '../../src/agent/terminal/tmux/tmux-terminal-process.js';
import { systemClock } from '../../src/supervisor/clock.js';
import { pollUntil, processExists } from '../helpers/poll.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

const SIZE = { cols: 80, rows: 24 };

describe.skipIf(!TMUX_TESTS)('tmux host', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let tmux: TmuxServer;

  beforeEach(() => {
    temp = makeTempDir('claudeman-tmux-');
    const found = TmuxServer.detect(join(temp.path, 'data'), process.env.PATH);
    if (found === null) throw new Error('tmux not found');
    tmux = found;
  });

  afterEach(() => {
    tmux.killServer();
    temp.remove();
  });

  function spec(script: string, env: NodeJS.ProcessEnv = {}): TmuxLaunchSpec {
    return {
      sessionId: `s${Math.random().toString(16).slice(2)}`,
      command: '/bin/sh',
      args: ['-c', script],
      cwd: temp.path,
      env: { PATH: process.env.PATH, ...env },
      size: SIZE,
    };
  }

  function launch(launchSpec: TmuxLaunchSpec): { process: TmuxTerminalProcess; output: () => string } {
    let output = '';
    const launched = TmuxTerminalProcess.launch(
      tmux,
      launchSpec,
      (chunk) => {
        output += chunk;
      },
      systemClock,
    );
    if (!launched.ok) throw new Error(launched.error);
    return { process: launched.process, output: () => output };
  }

  it('runs the command in its own session, submits typed lines, and reports its exit status', async () => {
    const { process: agent, output } = launch(
      spec('echo ready; read line; echo "got:$line"; read again; exit 7'),
    );
    await pollUntil(() => output().includes('ready'), 'the first line');
    // A trailing ";" is a command separator to tmux: it must still arrive as typed.
    agent.submitLine('a $(touch x) `b` "c" d;', 30);
    await pollUntil(() => output().includes('got:a $(touch x) `b` "c" d;'), 'the echoed line');
    agent.submitLine('', 30);
    expect(await agent.settled).toEqual({ code: 7, signal: null });
    expect(tmux.hasSession(agent.name)).toBe(false);
  });

  it('passes the environment through the launch script, never in argv', async () => {
    const secret = `sk-secret-${Date.now()}`;
    const { process: agent, output } = launch(
      spec('echo "key=$API_KEY q=$QUOTED"; sleep 30', { API_KEY: secret, QUOTED: `it's "quoted"` }),
    );
    await pollUntil(() => output().includes('key='), 'the variables');
    expect(output()).toContain(`key=${secret} q=it's "quoted"`);
    const ps = spawnSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).stdout;
    expect(ps).not.toContain(secret);
    agent.terminate(1_000);
    await agent.settled;
  });

  it('lets go of the agent on detach; a new client adopts it with its scrollback', async () => {
    const launchSpec = spec('i=0; while [ $i -lt 60 ]; do i=$((i+1)); echo "early line $i"; done; cat');
    const { process: agent, output } = launch(launchSpec);
    await pollUntil(() => output().includes('early line 60'), 'the early lines');
    await agent.detach();
    // The agent runs on without us.
    expect(processExists(agent.pid)).toBe(true);
    const panes = tmux.panes();
    expect(panes.get(tmuxSessionName(launchSpec.sessionId))?.panePid).toBe(agent.pid);
    // Lines that scrolled off the 24-row screen are in tmux's history.
    expect(tmux.captureHistory(tmuxSessionName(launchSpec.sessionId))).toContain('early line 1\r\n');

    let adoptedOutput = '';
    const adopted = TmuxTerminalProcess.adopt(
      tmux,
      launchSpec.sessionId,
      agent.pid,
      SIZE,
      (chunk) => {
        adoptedOutput += chunk;
      },
      systemClock,
    );
    if (!adopted.ok) throw new Error(adopted.error);
    adopted.process.submitLine('after adoption', 30);
    await pollUntil(() => adoptedOutput.includes('after adoption'), 'input through the adopted client');
    adopted.process.terminate(1_000);
    const exit = await adopted.process.settled;
    expect(exit.code === 143 || exit.signal === 'SIGTERM').toBe(true);
    expect(processExists(agent.pid)).toBe(false);
  });

  it('ends a whole pane group that ignores SIGTERM after the grace', async () => {
    const { process: agent, output } = launch(spec("trap '' TERM; echo stubborn; sleep 60"));
    await pollUntil(() => output().includes('stubborn'), 'the start');
    agent.terminate(300);
    const exit = await agent.settled;
    expect(exit.code).not.toBe(0);
    expect(processExists(agent.pid)).toBe(false);
  });

  it('is not found where tmux is not installed, so sessions fall back to plain PTYs', () => {
    expect(TmuxServer.detect(join(temp.path, 'other'), '/nonexistent')).toBeNull();
  });
});
