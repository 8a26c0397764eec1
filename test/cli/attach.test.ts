import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyDriver } from '../fixtures/fake-claude/index.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { CLI, ROOT, runCli } from './cli-helpers.js';

let server: ClaudemanTestServer;

beforeAll(async () => {
  server = await startClaudeman();
});
afterAll(async () => {
  await server?.close();
});

async function interactiveSession(): Promise<string> {
  const created = await runCli([
    'session',
    'create',
    '-i',
    '--json',
    '--url',
    server.baseUrl,
    '--token',
    server.token,
  ]);
  expect(created.code, created.stderr).toBe(0);
  return (JSON.parse(created.stdout) as { session: { id: string } }).session.id;
}

function attach(id: string): PtyDriver {
  return PtyDriver.spawn({
    file: process.execPath,
    args: [CLI, 'session', 'attach', id, '--url', server.baseUrl, '--token', server.token],
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1' },
    cols: 100,
    rows: 30,
  });
}

describe('claudeman session attach', { timeout: 120_000 }, () => {
  it('shows the live terminal, forwards keystrokes and detaches on Ctrl-]', async () => {
    const id = await interactiveSession();
    const driver = attach(id);
    try {
      await driver.waitFor('❯', { timeoutMs: 20_000 });
      const mark = driver.mark();
      driver.write('hello');
      await driver.waitFor('hello', { since: mark });
      await new Promise((resolve) => setTimeout(resolve, 100));
      driver.write('\r');
      await driver.waitFor('Echo: hello', { since: mark, timeoutMs: 15_000 });
      driver.write('\u001d');
      const exit = await driver.waitForExit(10_000);
      expect(exit.exitCode).toBe(0);
      expect(driver.text()).toContain(`[detached from ${id}]`);
      // Detaching leaves the session running.
      const info = (await (await server.api(`/api/sessions/${id}`)).json()) as { status: string };
      expect(info.status).not.toBe('stopped');
    } finally {
      if (driver.exit === null) await driver.close();
    }
  });

  it('ends when the session ends', async () => {
    const id = await interactiveSession();
    const driver = attach(id);
    try {
      await driver.waitFor('❯', { timeoutMs: 20_000 });
      expect((await server.api(`/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
      const exit = await driver.waitForExit(10_000);
      expect(exit.exitCode).toBe(0);
      expect(driver.text()).toMatch(/\[session exited|\[connection closed\]/);
    } finally {
      if (driver.exit === null) await driver.close();
    }
  });

  it('fails with the server’s message for an unknown session', async () => {
    const result = await runCli([
      'session',
      'attach',
      'nope',
      '--url',
      server.baseUrl,
      '--token',
      server.token,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no session nope (SESSION_NOT_FOUND)');
  });
});
