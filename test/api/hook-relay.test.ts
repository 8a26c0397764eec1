import { spawn } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installHookRelay } from '../../src/agent/claude/hooks/relay-script.js';
import { HOOK_SECRET_HEADER } from '../../src/server/rest/routes/hooks.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/** The hook relay as Claude Code runs it (`node relay <url> <secret file>`), against a real loopback server. */
describe('hook relay', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let server: Server;
  let received: { headers: IncomingHttpHeaders; body: string }[];
  let url: string;

  beforeEach(async () => {
    temp = makeTempDir('hook-relay-');
    received = [];
    server = createServer((request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ headers: request.headers, body });
        response.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/hooks/s1`;
  });

  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
    temp.remove();
  });

  function relay(relayPath: string, secretArg: string): Promise<number | null> {
    const child = spawn(process.execPath, [relayPath, url, secretArg], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.stdin.end('{"hook_event_name":"Stop"}');
    return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  it('is the owner’s only and sends the secret it reads from the file it is given', async () => {
    const relayPath = installHookRelay(temp.path);
    expect(statSync(relayPath).mode & 0o777).toBe(0o700);
    const secretFile = join(temp.path, 'hook-secret');
    writeFileSync(secretFile, 'secret-from-file\n', { mode: 0o600 });
    expect(await relay(relayPath, secretFile)).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]?.headers[HOOK_SECRET_HEADER]).toBe('secret-from-file');
    expect(received[0]?.body).toBe('{"hook_event_name":"Stop"}');
  });

  it('still takes the secret itself from agents started by older versions', async () => {
    const relayPath = installHookRelay(temp.path);
    expect(await relay(relayPath, 'an-old-inline-secret')).toBe(0);
    expect(received[0]?.headers[HOOK_SECRET_HEADER]).toBe('an-old-inline-secret');
  });

  it('posts nothing and exits 0 when the secret file is gone (the session was deleted)', async () => {
    const relayPath = installHookRelay(temp.path);
    expect(await relay(relayPath, join(temp.path, 'no-such-secret'))).toBe(0);
    expect(received).toEqual([]);
  });
});
