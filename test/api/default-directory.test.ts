// API: work given no directory runs in the cases root, never in the server's own working directory
// (where an agent with permissions skipped could change the checkout the server runs from). Checked by
// where the CLI really started (the fake claude records its cwd): a quick run, a session's one-shot
// run, a scheduled run's iteration, and a queued task handed to a worker by the Ralph loop.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_COMPLETION_PHRASE } from '../../src/protocol/rest/tasks.js';
import { asObject, expectJson, pollAsync, real, useApiResources } from '../helpers/api-client.js';

const r = useApiResources();

/** The working directories of the fake claude's starts, in order. */
function startDirs(record: string): string[] {
  if (!existsSync(record)) return [];
  return readFileSync(record, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { event: string; cwd?: string })
    .filter((entry) => entry.event === 'start')
    .map((entry) => String(entry.cwd));
}

describe('no working directory given', () => {
  it('quick runs, one-shot runs, scheduled runs and Ralph tasks all run in the cases root', async () => {
    const record = join(r.tempDir(), 'record.jsonl');
    const s = await r.server({
      env: {
        ...process.env,
        FAKE_CLAUDE_RECORD: record,
        FAKE_CLAUDE_WORK_MS: '50',
        FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off',
      },
    });
    const root = real(s.casesDir);
    expect(root).not.toBe(real(process.cwd()));

    // A quick run (POST /api/run) and a session's one-shot run.
    await expectJson(await s.send('POST', '/api/run', { prompt: 'hello' }), 200);
    const session = asObject((await expectJson(await s.send('POST', '/api/sessions', {}), 201)).session);
    await expectJson(await s.send('POST', `/api/sessions/${session.id}/run`, { prompt: 'hi' }), 200);
    await pollAsync(async () => startDirs(record).length >= 2, 'two CLI starts');

    // A scheduled run: its record names the directory, and its first iteration starts there.
    const run = asObject(
      (await expectJson(await s.send('POST', '/api/scheduled', { prompt: 'go', durationMinutes: 1 }), 201))
        .run,
    );
    expect(run.workingDir).toBe(root);
    await pollAsync(async () => startDirs(record).length >= 3, 'a scheduled iteration to start');
    await expectJson(await s.send('DELETE', `/api/scheduled/${run.id}`), 200);

    // A queued task without a directory, worked by a worker the Ralph loop starts itself.
    await expectJson(
      await s.send('POST', '/api/tasks', { prompt: `do it [[promise:${DEFAULT_COMPLETION_PHRASE}]]` }),
      201,
    );
    await expectJson(await s.send('POST', '/api/ralph/start', { maxWorkers: 1 }), 200);
    await pollAsync(async () => startDirs(record).length >= 4, 'a Ralph worker to start');
    await s.send('POST', '/api/ralph/stop', {});

    expect(startDirs(record).map((dir) => real(dir))).toEqual(startDirs(record).map(() => root));
  }, 60_000);
});
