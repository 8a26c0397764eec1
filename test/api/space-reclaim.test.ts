// Space back after deletes: the database uses incremental auto-vacuum and the server's storage watch
// returns freed pages, so the file shrinks after many large tasks are deleted (without it, SQLite
// keeps the pages for reuse and the file stays at its largest size for good).
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../src/server/claudeman-server.js';
import { expectJson, useApiResources } from '../helpers/api-client.js';
import { pollUntil } from '../helpers/poll.js';

const r = useApiResources();

/** Tasks per batch request: nine 100 KB prompts stay under the 1 MiB body limit. */
const BATCH = 9;
const BATCHES = 20;

describe('space after deletes', () => {
  it('shrinks the database file once many large tasks are deleted', async () => {
    const root = r.tempDir('space-reclaim-');
    const dataDir = join(root, 'data');
    const server = await r.server({ dataDir, casesDir: join(root, 'cases'), terminalHost: 'pty' });
    const ids: string[] = [];
    for (let batch = 0; batch < BATCHES; batch++) {
      const tasks = Array.from({ length: BATCH }, (_, i) => ({
        prompt: `${batch}-${i} ${'x'.repeat(99_990)}`,
      }));
      const created = await expectJson(await server.send('POST', '/api/tasks/batch', { tasks }), 201);
      for (const task of created.tasks as { id: string }[]) ids.push(task.id);
    }
    const path = join(dataDir, DATABASE_FILE);
    // The file as large as it gets (a checkpoint moves the WAL's pages into it).
    await pollUntil(() => statSync(path).size > 15_000_000, 'the tasks to reach the database file', 15_000);
    const full = statSync(path).size;

    for (const id of ids)
      expect((await server.api(`/api/tasks/${id}`, { method: 'DELETE' })).status).toBe(200);
    await pollUntil(() => statSync(path).size < full / 4, 'the database file to shrink', 15_000);
  });
});
