// The single-instance lock in one process (as the tests start servers): a second server on the same
// data directory or database file is refused with InstanceLockedError before it touches anything;
// closing the first lets the next one start.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_ONESHOT_TIMEOUT_MS } from '../../src/server/claudeman-config.js';
import { LOCK_FILE, startClaudemanServer } from '../../src/server/claudeman-server.js';
import { createLogger } from '../../src/server/logger.js';
import { overseerLockPath } from '../../src/server/overseer-server.js';
import { holderFileOf, InstanceLock, InstanceLockedError } from '../../src/store/instance-lock.js';
import {
  type ClaudemanTestServer,
  FAKE_CLAUDE,
  startClaudeman,
  TEST_TOKEN,
} from '../helpers/claudeman-server.js';
import { type OverseerTestServer, startOverseer } from '../helpers/overseer-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const temps: { remove(): void }[] = [];
const servers: { close(): Promise<void> }[] = [];

afterEach(async () => {
  for (const server of servers.splice(0).reverse()) await server.close();
  for (const temp of temps.splice(0)) temp.remove();
});

function tempDir(): string {
  const temp = makeTempDir('instance-lock-');
  temps.push(temp);
  return temp.path;
}

describe('InstanceLock', () => {
  it('refuses a second holder in the same process until the first lets go', () => {
    const path = join(tempDir(), 'x.lock');
    const lock = InstanceLock.acquire(path, 'the thing');
    lock.announce('http://127.0.0.1:1234');
    let refused: unknown;
    try {
      InstanceLock.acquire(path, 'the thing');
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(InstanceLockedError);
    expect((refused as Error).message).toBe(
      `another server (pid ${process.pid}, http://127.0.0.1:1234) uses the thing`,
    );
    // The refused attempt closed its own connection to the file: the lock must still hold.
    expect(() => InstanceLock.acquire(path, 'the thing')).toThrow(InstanceLockedError);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(holderFileOf(path)).mode & 0o777).toBe(0o600);

    lock.release();
    expect(existsSync(holderFileOf(path))).toBe(false);
    InstanceLock.acquire(path, 'the thing').release();
  });
});

describe('startClaudemanServer on a data directory in use', () => {
  it('throws InstanceLockedError naming the first server; after close() the directory is free', async () => {
    const root = tempDir();
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
    const first: ClaudemanTestServer = await startClaudeman(dirs);
    servers.push(first);
    const holder = JSON.parse(readFileSync(holderFileOf(join(dirs.dataDir, LOCK_FILE)), 'utf8'));
    expect(holder).toEqual({ pid: process.pid, url: first.baseUrl });

    const second = startClaudeman(dirs);
    await expect(second).rejects.toBeInstanceOf(InstanceLockedError);
    await expect(second).rejects.toThrow(
      `another server (pid ${process.pid}, ${first.baseUrl}) uses this data directory`,
    );
    // The first one still works.
    expect((await first.api('/api/sessions')).status).toBe(200);

    await servers.pop()?.close();
    const restarted = await startClaudeman(dirs);
    servers.push(restarted);
    expect((await restarted.api('/api/sessions')).status).toBe(200);
  });
});

describe('startOverseerServer on a database in use', () => {
  it('throws InstanceLockedError naming the first server; after close() the file is free', async () => {
    const dbPath = join(tempDir(), 'overseer.db');
    const first: OverseerTestServer = await startOverseer({ dbPath });
    servers.push(first);
    expect(existsSync(overseerLockPath(dbPath))).toBe(true);

    await expect(startOverseer({ dbPath })).rejects.toThrow(
      `another server (pid ${process.pid}, ws://127.0.0.1:${first.port}/ws) uses the database ${dbPath}`,
    );
    await servers.pop()?.close();
    servers.push(await startOverseer({ dbPath }));
  });
});

/** The files under `dir` this process holds open (its /proc/self/fd links). */
function openFilesUnder(dir: string): string[] {
  const links: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      links.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // Closed meanwhile (e.g. the descriptor readdir itself used).
    }
  }
  return links.filter((link) => link.startsWith(`${dir}/`));
}

describe('a start that cannot listen', () => {
  it('closes what it opened (database, lock) so the directory is usable at once', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const root = tempDir();
    const dirs = { dataDir: join(root, 'data'), casesDir: join(root, 'cases') };
    try {
      await expect(
        startClaudemanServer(
          {
            host: '127.0.0.1',
            port,
            ...dirs,
            token: TEST_TOKEN,
            claudeBin: FAKE_CLAUDE,
            permissionMode: 'skip',
            oneShotTimeoutMs: DEFAULT_ONESHOT_TIMEOUT_MS,
            extraHostNames: [],
            trustedCidrs: undefined,
            childEnv: process.env,
            terminalHost: 'pty',
          },
          createLogger('silent'),
        ),
      ).rejects.toThrow(/EADDRINUSE/);
      expect(openFilesUnder(dirs.dataDir)).toEqual([]);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const next = await startClaudeman(dirs);
    servers.push(next);
    expect((await next.api('/api/status')).status).toBe(200);
  });
});
