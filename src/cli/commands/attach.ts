import type { Command } from 'commander';
import WebSocket from 'ws';
import { MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from '../../protocol/limits.js';
import type { TerminalClientFrame, TerminalServerFrame } from '../../protocol/terminal-frames.js';
import { clientCommand, onRun } from '../client/command.js';
import { CliError, NOT_RUNNING } from '../client/errors.js';
import { enc } from '../client/http.js';

/** Ctrl-]: the detach key (as telnet's escape). */
export const DETACH_KEY = '\u001d';

/**
 * `session attach <id>`: the session's live terminal in this one, over `/ws/sessions/:id/terminal`.
 * Raw mode, keystrokes forwarded, the window size sent at start and on SIGWINCH (the agent takes it
 * when this terminal types, as for any viewer), the scrollback written before the replay, output
 * acknowledged once written; Ctrl-] detaches (exit 0); the session's exit ends the attach too.
 */
export function registerAttach(session: Command): void {
  onRun(
    clientCommand(session, 'attach <id>', 'the session’s live terminal in yours (detach with Ctrl-])', false),
    async (client, _options, [id = '']) => {
      // A missing session is a clear 404 from the REST API; the socket would only close.
      await client.get(`/api/sessions/${enc(id)}`);
      const socket = new WebSocket(client.wsUrl(`/ws/sessions/${enc(id)}/terminal`));
      // The server sends `replay` at once, possibly in the same read as the upgrade: hold the frames
      // that arrive before the terminal is set up.
      const early: WebSocket.RawData[] = [];
      const hold = (data: WebSocket.RawData): void => {
        early.push(data);
      };
      socket.on('message', hold);
      await new Promise<void>((resolve, reject) => {
        socket.once('open', () => resolve());
        socket.once('unexpected-response', (_request, response) => {
          socket.terminate();
          reject(new CliError(`terminal socket refused: HTTP ${response.statusCode}`));
        });
        socket.once('error', (error: NodeJS.ErrnoException) =>
          reject(new CliError(error.code === 'ECONNREFUSED' ? NOT_RUNNING : error.message)),
        );
      });
      socket.off('message', hold);
      const code = await attachTerminal(socket, id, early);
      process.exitCode = code;
    },
  );
}

function attachTerminal(socket: WebSocket, id: string, early: readonly WebSocket.RawData[]): Promise<number> {
  const { stdin, stdout } = process;
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  const send = (frame: TerminalClientFrame): void => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
  };
  const sendSize = (): void => {
    if (stdout.isTTY && stdout.columns > 0 && stdout.rows > 0) {
      send({
        type: 'resize',
        cols: Math.min(stdout.columns, MAX_TERMINAL_COLS),
        rows: Math.min(stdout.rows, MAX_TERMINAL_ROWS),
      });
    }
  };
  return new Promise((resolve) => {
    let done = false;
    const finish = (code: number, message: string | null): void => {
      if (done) return;
      done = true;
      stdin.off('data', onKey);
      process.off('SIGWINCH', sendSize);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      socket.close();
      if (message !== null) process.stderr.write(`\r\n${message}\r\n`);
      resolve(code);
    };
    const onKey = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      const detach = text.indexOf(DETACH_KEY);
      if (detach >= 0) {
        if (detach > 0) send({ type: 'input', data: text.slice(0, detach) });
        finish(0, `[detached from ${id}]`);
        return;
      }
      send({ type: 'input', data: text });
    };
    const receive = (raw: WebSocket.RawData): void => {
      let frame: TerminalServerFrame;
      try {
        frame = JSON.parse(raw.toString()) as TerminalServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'history' && typeof frame.data === 'string') {
        // The agent's scrollback (tmux): drawn, then scrolled off the screen into this terminal's
        // own scrollback, so the replay that clears the screen next does not erase it.
        stdout.write(`${frame.data}\r\n\x1b[999;1H${'\n'.repeat(stdout.rows > 0 ? stdout.rows : 24)}`);
      } else if ((frame.type === 'replay' || frame.type === 'output') && typeof frame.data === 'string') {
        const length = frame.data.length;
        stdout.write(frame.data, () => {
          if (frame.type === 'output') send({ type: 'ack', chars: length });
        });
      } else if (frame.type === 'skipped') {
        stdout.write(`\r\n[… ${frame.chars ?? 0} characters skipped …]\r\n`);
      } else if (frame.type === 'exit') {
        finish(
          0,
          `[session exited${frame.code === null || frame.code === undefined ? '' : ` with code ${frame.code}`}]`,
        );
      } else if (frame.type === 'error' && frame.message !== undefined) {
        process.stderr.write(`\r\n[${frame.message}]\r\n`);
      }
    };
    socket.on('close', () => finish(0, '[connection closed]'));
    socket.on('error', () => finish(1, '[connection lost]'));
    if (stdin.isTTY) stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
    process.on('SIGWINCH', sendSize);
    sendSize();
    for (const raw of early) receive(raw);
    socket.on('message', receive);
  });
}
