// A full disk, for real: the data directory on a small tmpfs, filled up. Every create the server
// acknowledges is on disk before the answer; what it cannot write is refused with 507 STORAGE_FULL
// (naming the data directory) and changes nothing; a change no request waits for (a process that
// exits) is kept and written once space is back. After freeing space and restarting on the same
// directory, everything acknowledged is there. Needs root (mount): always run in CI.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectApiError, expectJson, expectJsonArray } from '../helpers/api-client.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { mountTmpfs, TMPFS_TESTS } from '../helpers/tmpfs.js';
import { fixture, is, startTask, WsClient } from '../helpers/ws-client.js';

/** The data directory's file system: room for the database and a few large tasks. */
const TMPFS_BYTES = 16 * 1024 * 1024;
/** A prompt as large as the API takes. */
const BIG_PROMPT = 'p'.repeat(100_000);

/** Writes one file until the file system has no space left; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  try {
    writeFileSync(path, Buffer.alloc(TMPFS_BYTES));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
  return path;
}

async function metric(server: ClaudemanTestServer, name: string): Promise<number> {
  const text = await (await server.api('/metrics')).text();
  const line = text.split('\n').find((entry) => entry.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

async function waitFor(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const ids = (list: unknown[]): string[] => list.map((item) => (item as { id: string }).id).sort();

describe.runIf(TMPFS_TESTS)('a full disk under the data directory', () => {
  it('refuses with 507 STORAGE_FULL, writes pending changes once space is back, and loses nothing acknowledged', async () => {
    const temp = makeTempDir('full-disk-');
    const mount = mountTmpfs(join(temp.path, 'disk'), TMPFS_BYTES);
    const dirs = {
      dataDir: join(mount.path, 'data'),
      casesDir: join(temp.path, 'cases'),
      terminalHost: 'pty' as const,
    };
    const servers: ClaudemanTestServer[] = [];
    let ws: WsClient | null = null;
    try {
      const server = await startClaudeman(dirs);
      servers.push(server);
      const sessions: string[] = [];
      const tasks: string[] = [];
      for (let i = 0; i < 3; i++) {
        sessions.push(
          String(
            ((await expectJson(await server.send('POST', '/api/sessions', {}), 201)).session as Json).id,
          ),
        );
        tasks.push(
          String(
            (
              (await expectJson(await server.send('POST', '/api/tasks', { prompt: BIG_PROMPT }), 201))
                .task as Json
            ).id,
          ),
        );
      }
      ws = await WsClient.connect(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`);
      const victim = await startTask(ws, { task_id: 'victim', command: fixture('never-exits.sh') });

      const filler = fill(mount.path);
      // Whatever still fits in the database's own free space is acknowledged and kept; then 507.
      // (Sessions first: they used to answer 201 and only log "not persisted".)
      const refusals = new Map<string, Response>();
      for (let i = 0; i < 100 && !refusals.has('session'); i++) {
        const res = await server.send('POST', '/api/sessions', {});
        if (res.status === 201) sessions.push(String(((await res.json()) as { session: Json }).session.id));
        else refusals.set('session', res);
      }
      for (let i = 0; i < 100 && !refusals.has('task'); i++) {
        const res = await server.send('POST', '/api/tasks', { prompt: BIG_PROMPT });
        if (res.status === 201) tasks.push(String(((await res.json()) as { task: Json }).task.id));
        else refusals.set('task', res);
      }
      for (const kind of ['session', 'task']) {
        const refusal = refusals.get(kind);
        expect(refusal, `a ${kind} refused`).toBeDefined();
        const full = await expectApiError(refusal as Response, 507, 'STORAGE_FULL');
        expect(String(full.error)).toContain(`the disk holding ${dirs.dataDir} is full`);
      }
      // Refused changes left nothing behind in memory either.
      expect(ids(await expectJsonArray(await server.api('/api/sessions')))).toEqual([...sessions].sort());
      expect(ids(await expectJsonArray(await server.api('/api/tasks')))).toEqual([...tasks].sort());
      await expectApiError(
        await server.api(`/api/tasks/${tasks[0]}`, { method: 'DELETE' }),
        507,
        'STORAGE_FULL',
      );
      ws.send({ type: 'start', id: 'refused', task_id: 'refused', command: fixture('never-exits.sh') });
      expect(String((await ws.next(is('error', { id: 'refused' }))).message)).toContain(
        'db error: the disk holding',
      );

      // A change no request acknowledges: the victim's worker dies. It waits to be written.
      process.kill(Number(victim.pid), 'SIGKILL');
      await ws.next(is('exited', { task_id: 'victim' }));
      await waitFor(
        async () => (await metric(server, 'claudeman_storage_pending_writes')) >= 1,
        'a pending write',
      );
      const health = await server.api('/healthz');
      expect(health.status).toBe(503);
      expect(await health.json()).toMatchObject({ ok: false, code: 'STORAGE_FULL' });
      expect(await metric(server, 'claudeman_database_ok')).toBe(0);
      expect(await metric(server, 'claudeman_storage_write_failing{code="STORAGE_FULL"}')).toBe(1);

      // Space back: the pending change is written, and writes succeed again.
      rmSync(filler);
      await waitFor(
        async () => (await metric(server, 'claudeman_storage_pending_writes')) === 0,
        'the retry',
      );
      sessions.push(
        String(((await expectJson(await server.send('POST', '/api/sessions', {}), 201)).session as Json).id),
      );
      expect((await server.api('/healthz')).status).toBe(200);
      await ws.close();
      ws = null;
      await servers.pop()?.close();

      const restarted = await startClaudeman(dirs);
      servers.push(restarted);
      expect(ids(await expectJsonArray(await restarted.api('/api/sessions')))).toEqual([...sessions].sort());
      expect(ids(await expectJsonArray(await restarted.api('/api/tasks')))).toEqual([...tasks].sort());
      const overseer = (await expectJsonArray(await restarted.api('/api/overseer/tasks'))) as Json[];
      expect(overseer.map((task) => task.task_id)).toEqual(['victim']);
      expect(overseer[0]?.last_exited_at).toEqual(expect.any(String));
    } finally {
      await ws?.close();
      for (const server of servers) await server.close();
      mount.unmount();
      temp.remove();
    }
  });
});

type Json = Record<string, unknown>;
