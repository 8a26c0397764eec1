// A database file deleted or replaced while the server runs: SQLite would go on writing to the file
// it opened, and every "saved" change would be gone at the next start. The server notices (before
// each write and within a second on its own), refuses every change with 503 STORAGE_UNAVAILABLE,
// and says why on /healthz and /metrics; sticky-overseer answers its /ws writes with error frames.
import { copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/server/claudeman-server.js';
import { expectApiError, expectJson, expectJsonArray, useApiResources } from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { startOverseer } from '../helpers/overseer-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { fixture, is, startTask, WsClient } from '../helpers/ws-client.js';

const r = useApiResources();

async function metric(server: ClaudemanTestServer, line: string): Promise<string | undefined> {
  const text = await (await server.api('/metrics')).text();
  return text.split('\n').find((entry) => entry.startsWith(`${line} `));
}

describe('a database file pulled away under the running server', () => {
  it('refuses writes once the file is deleted, reports it on /healthz and /metrics, and acknowledges nothing from then on', async () => {
    const root = r.tempDir('storage-lost-');
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases'), terminalHost: 'pty' as const };
    const server = await r.server(dirs);
    const kept = (await expectJson(await server.send('POST', '/api/sessions', {}), 201)).session as {
      id: string;
    };
    expect((await server.api('/healthz')).status).toBe(200);
    expect(await metric(server, 'claudeman_database_ok')).toBe('claudeman_database_ok 1');

    rmSync(join(dirs.dataDir, DATABASE_FILE));
    // Noticed on its own, with nothing written meanwhile.
    let health: Response | null = null;
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      health = await fetch(`${server.baseUrl}/healthz`);
      if (health.status === 503) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(health?.status).toBe(503);
    const body = (await health?.json()) as { ok: boolean; reason: string; code: string };
    expect(body).toMatchObject({ ok: false, code: 'STORAGE_UNAVAILABLE' });
    expect(body.reason).toContain(`${join(dirs.dataDir, DATABASE_FILE)} was deleted`);
    expect(await metric(server, 'claudeman_database_ok')).toBe('claudeman_database_ok 0');
    expect(await metric(server, 'claudeman_storage_lost')).toBe('claudeman_storage_lost 1');

    // Every change is refused, and nothing changes in memory either.
    const refused = await expectApiError(
      await server.send('POST', '/api/sessions', {}),
      503,
      'STORAGE_UNAVAILABLE',
    );
    expect(String(refused.error)).toContain('refused until the server is restarted');
    await expectApiError(
      await server.send('POST', '/api/tasks', { prompt: 'lost?' }),
      503,
      'STORAGE_UNAVAILABLE',
    );
    await expectApiError(
      await server.send('POST', '/api/scheduled', { prompt: 'lost?', durationMinutes: 5 }),
      503,
      'STORAGE_UNAVAILABLE',
    );
    await expectApiError(
      await server.api(`/api/sessions/${kept.id}`, { method: 'DELETE' }),
      503,
      'STORAGE_UNAVAILABLE',
    );
    await expectApiError(
      await server.send('POST', `/api/sessions/${kept.id}/run`, { prompt: 'hello' }),
      503,
      'STORAGE_UNAVAILABLE',
    );
    const sessions = await expectJsonArray(await server.api('/api/sessions'));
    expect(sessions.map((session) => (session as { id: string }).id)).toEqual([kept.id]);
    expect(await expectJsonArray(await server.api('/api/tasks'))).toEqual([]);
    // Reads go on.
    expect((await server.api(`/api/sessions/${kept.id}`)).status).toBe(200);
  });

  it('refuses writes once the file is replaced by another one', async () => {
    const root = r.tempDir('storage-replaced-');
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases'), terminalHost: 'pty' as const };
    const server = await r.server(dirs);
    await expectJson(await server.send('POST', '/api/tasks', { prompt: 'before' }), 201);
    const path = join(dirs.dataDir, DATABASE_FILE);
    copyFileSync(path, `${path}.copy`);
    renameSync(`${path}.copy`, path);

    const refused = await expectApiError(
      await server.send('POST', '/api/tasks', { prompt: 'after' }),
      503,
      'STORAGE_UNAVAILABLE',
    );
    expect(String(refused.error)).toContain(`${path} was replaced`);
    expect((await server.api('/healthz')).status).toBe(503);
    expect((await expectJsonArray(await server.api('/api/tasks'))).length).toBe(1);
  });
});

describe('sticky-overseer with its database deleted', () => {
  it('answers start, stop and reset with error frames and keeps its tasks as they were', async () => {
    const temp = makeTempDir('overseer-lost-');
    const dbPath = join(temp.path, 'overseer.db');
    const server = await startOverseer({ dbPath });
    const ws = await WsClient.connect(server.url);
    try {
      const started = await startTask(ws, { task_id: 'kept', command: fixture('never-exits.sh') });
      rmSync(dbPath);

      ws.send({ type: 'start', id: 's', task_id: 'new', command: fixture('never-exits.sh') });
      const refused = await ws.next(is('error', { id: 's' }));
      expect(String(refused.message)).toMatch(
        /^db error: the database file .* was deleted while the server ran/,
      );

      ws.send({ type: 'stop', id: 'x', task_id: 'kept' });
      expect(String((await ws.next(is('error', { id: 'x' }))).message)).toContain('db error: ');

      ws.send({ type: 'list', id: 'l' });
      const list = await ws.next(is('tasks', { id: 'l' }));
      expect(list.tasks).toEqual([
        expect.objectContaining({ task_id: 'kept', state: 'active', current_pid: started.pid }),
      ]);
    } finally {
      await ws.close();
      await server.close();
      temp.remove();
    }
  });
});
