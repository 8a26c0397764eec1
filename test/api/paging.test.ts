// Paged lists: the body stays a JSON array (a small list is one page, as before); when more follow,
// X-Next-Cursor and Link name the next page. No answer is one unbounded string: a queue whose JSON
// is longer than V8's longest string (~2^29 characters) used to answer 500 RangeError.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { QueueTask } from '../../src/protocol/rest/tasks.js';
import { DATABASE_FILE } from '../../src/server/claudeman-server.js';
import { openDatabase } from '../../src/store/database.js';
import { SqliteQueueTaskRepository } from '../../src/store/queue-tasks.js';
import { api as webApi } from '../../web/api.js';
import { expectApiError, expectJson, useApiResources } from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';
import { startTask, WsClient } from '../helpers/ws-client.js';

const r = useApiResources();

function queuedTask(index: number, prompt: string): QueueTask {
  return {
    id: `task-${String(index).padStart(5, '0')}`,
    prompt,
    workingDir: null,
    priority: 0,
    dependsOn: [],
    completionPhrase: 'TASK_COMPLETE',
    timeoutMs: null,
    status: 'pending',
    attempts: 0,
    assignedSessionId: null,
    createdAt: 1_700_000_000_000 + index,
    startedAt: null,
    finishedAt: null,
    error: null,
  };
}

/** Follows the Link headers from `path`; returns each page's ids. */
async function allPages(server: ClaudemanTestServer, path: string, key = 'id'): Promise<string[][]> {
  const pages: string[][] = [];
  let next: string | null = path;
  while (next !== null) {
    const res: Response = await server.api(next);
    expect(res.status).toBe(200);
    const items = (await res.json()) as Record<string, unknown>[];
    pages.push(items.map((item) => String(item[key])));
    const link = res.headers.get('link');
    next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? null);
    if (link !== null) expect(res.headers.get('x-next-cursor')).not.toBeNull();
  }
  return pages;
}

describe('GET /api/tasks with a queue larger than one string can hold', { timeout: 120_000 }, () => {
  it('answers in pages that together hold every task', async () => {
    const root = r.tempDir('paging-huge-');
    const dataDir = join(root, 'data');
    mkdirSync(dataDir, { recursive: true });
    // The server's own store, filled before it starts (the fast real path). Control characters are
    // escaped as \u0001 in JSON: 1,000 prompts of 100,000 of them make 600 million characters of
    // JSON from 100 MB of prompts (the report's 6,000 tasks of 100 KB, in a sixth of the memory).
    const db = openDatabase(join(dataDir, DATABASE_FILE));
    const repository = new SqliteQueueTaskRepository(db);
    const prompt = '\u0001'.repeat(100_000);
    const count = 1_000;
    for (let start = 0; start < count; start += 100) {
      repository.insert(Array.from({ length: 100 }, (_, i) => queuedTask(start + i, prompt)));
    }
    db.close();
    const server = await r.server({ dataDir, casesDir: join(root, 'cases'), terminalHost: 'pty' });

    const pages = await allPages(server, '/api/tasks');
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.flat()).toEqual(Array.from({ length: count }, (_, i) => queuedTask(i, '').id));
  });
});

describe('paged lists', () => {
  let ws: WsClient | null = null;
  afterEach(async () => {
    await ws?.close();
    ws = null;
  });

  it('keeps a small list as it was: the whole array, no paging headers', async () => {
    const server = await r.server();
    for (let i = 0; i < 3; i++)
      await expectJson(await server.send('POST', '/api/tasks', { prompt: `t${i}` }), 201);
    const res = await server.api('/api/tasks');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-next-cursor')).toBeNull();
    expect(res.headers.get('link')).toBeNull();
    expect(((await res.json()) as unknown[]).length).toBe(3);
  });

  it('continues after the cursor, also when tasks were added or deleted in between', async () => {
    const server = await r.server();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const created = await expectJson(await server.send('POST', '/api/tasks', { prompt: `t${i}` }), 201);
      ids.push(String((created.task as { id: string }).id));
    }
    const first = await server.api('/api/tasks?limit=2');
    expect(((await first.json()) as { id: string }[]).map((task) => task.id)).toEqual(ids.slice(0, 2));
    const cursor = first.headers.get('x-next-cursor');
    expect(first.headers.get('link')).toBe(`</api/tasks?limit=2&cursor=${cursor}>; rel="next"`);
    // The last task of the page and the next one go; a new one comes.
    for (const id of [ids[1], ids[2]])
      expect((await server.api(`/api/tasks/${id}`, { method: 'DELETE' })).status).toBe(200);
    const added = await expectJson(await server.send('POST', '/api/tasks', { prompt: 'late' }), 201);
    const rest = await allPages(server, `/api/tasks?limit=2&cursor=${cursor}`);
    expect(rest).toEqual([[ids[3], ids[4]], [String((added.task as { id: string }).id)]]);
  });

  it('refuses a bad limit or cursor with 400 and a code', async () => {
    const server = await r.server();
    for (const limit of ['0', '1001', 'x', '-1', '1.5', '']) {
      await expectApiError(await server.api(`/api/tasks?limit=${limit}`), 400, 'INVALID_LIMIT');
    }
    for (const [path, cursor] of [
      ['/api/tasks', 'abc'],
      ['/api/tasks', '-1'],
      ['/api/overseer/tasks', '1e3'],
      ['/api/cases', '../etc'],
      ['/api/cases', ''],
    ] as const) {
      await expectApiError(
        await server.api(`${path}?cursor=${encodeURIComponent(cursor)}`),
        400,
        'INVALID_CURSOR',
      );
    }
  });

  it('pages the overseer tasks and the cases too', async () => {
    const server = await r.server();
    ws = await WsClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
    for (const id of ['a', 'b', 'c']) await startTask(ws, { task_id: id, command: '/bin/true' });
    expect(await allPages(server, '/api/overseer/tasks?limit=2', 'task_id')).toEqual([['a', 'b'], ['c']]);
    for (const name of ['zeta', 'alpha', 'mid']) {
      await expectJson(await server.send('POST', '/api/cases', { name }), 201);
    }
    expect(await allPages(server, '/api/cases?limit=2', 'name')).toEqual([['alpha', 'mid'], ['zeta']]);
  });

  it('the web UI follows the cursor and gets every task', async () => {
    const server = await r.server();
    // 90 prompts of 100,000 characters, in batches under the body limit: past one page's 8 Mi characters.
    const prompt = 'w'.repeat(99_990);
    for (let batch = 0; batch < 10; batch++) {
      const tasks = Array.from({ length: 9 }, (_, i) => ({ prompt: `${batch}-${i} ${prompt}` }));
      await expectJson(await server.send('POST', '/api/tasks/batch', { tasks }), 201);
    }
    expect((await server.api('/api/tasks')).headers.get('x-next-cursor')).not.toBeNull();
    // The browser's fetch on the page's origin, with its cookie: here the server's address and token.
    const realFetch = globalThis.fetch;
    globalThis.fetch = ((path: string, init: RequestInit = {}) =>
      realFetch(`${server.baseUrl}${path}`, {
        ...init,
        headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${server.token}` },
      })) as typeof fetch;
    try {
      expect((await webApi.tasks()).length).toBe(90);
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});
