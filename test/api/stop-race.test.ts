import { afterEach, describe, expect, it } from 'vitest';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { processExists } from '../helpers/poll.js';

describe('stopping a session right after it started', () => {
  let server: ClaudemanTestServer | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
  });

  // Right after a PTY fork the child has not made itself a process-group leader yet: a stop then
  // must still reach it (it used to hang about one time in sixteen).
  it('stops interactive sessions deleted the moment they started', async () => {
    server = await startClaudeman();
    for (let round = 0; round < 20; round++) {
      const created = (await (await server.send('POST', '/api/sessions', {})).json()) as {
        session: { id: string };
      };
      const id = created.session.id;
      expect((await server.send('POST', `/api/sessions/${id}/interactive`, {})).status).toBe(200);
      const pid = server.running.sessions.get(id)?.pid ?? null;
      expect((await server.api(`/api/sessions/${id}`, { method: 'DELETE' })).status).toBe(200);
      if (pid !== null) expect(processExists(pid)).toBe(false);
    }
  }, 60_000);
});
