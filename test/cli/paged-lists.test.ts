// The CLI gets every item of a paged list: `task list` and `case list` follow X-Next-Cursor, and
// `--json` prints all the pages' items as one array.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { runCli } from './cli-helpers.js';

let server: ClaudemanTestServer;
let cli: (...args: string[]) => ReturnType<typeof runCli>;

beforeAll(async () => {
  server = await startClaudeman({ terminalHost: 'pty' });
  cli = (...args) => runCli([...args, '--url', server.baseUrl, '--token', server.token]);
});
afterAll(async () => {
  await server?.close();
});

describe('claudeman task list over several pages', { timeout: 120_000 }, () => {
  it('lists every task, in the table and with --json', async () => {
    // 90 prompts of 100,000 characters: more than one page's 8 Mi characters of JSON.
    const prompt = 'c'.repeat(99_990);
    for (let batch = 0; batch < 10; batch++) {
      const tasks = Array.from({ length: 9 }, (_, i) => ({
        id: `t-${batch}-${i}`,
        prompt: `${batch}-${i} ${prompt}`,
      }));
      expect((await server.send('POST', '/api/tasks/batch', { tasks })).status).toBe(201);
    }
    expect((await server.api('/api/tasks')).headers.get('x-next-cursor')).not.toBeNull();

    const json = await cli('task', 'list', '--json');
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout) as { id: string }[];
    expect(listed.map((task) => task.id)).toEqual(
      Array.from({ length: 90 }, (_, i) => `t-${Math.floor(i / 9)}-${i % 9}`),
    );
    const human = await cli('task', 'list');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout.split('\n').filter((line) => line.startsWith('t-')).length).toBe(90);
  });
});
