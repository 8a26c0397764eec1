import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOOK_RELAY_FILE } from '../../src/agent/claude/hooks/relay-script.js';
import { TOKEN_FILE } from '../../src/protocol/data-dir.js';
import { type ClaudemanTestServer, startClaudeman } from '../helpers/claudeman-server.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { TMUX_TESTS } from '../helpers/tmux.js';

/**
 * What `claudeman web` keeps in its data directory is the owner's only: the directory 0700, the
 * token 0600, also when they existed before with looser modes (an older version, a person, a
 * restored backup).
 */

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

describe('modes of the data directory and its files', () => {
  let server: ClaudemanTestServer | null = null;
  let temp: ReturnType<typeof makeTempDir> | null = null;
  afterEach(async () => {
    await server?.close();
    server = null;
    temp?.remove();
    temp = null;
  });

  it('tightens a data directory made 0755 and a token file made 0644 before the start', async () => {
    temp = makeTempDir('file-modes-');
    const dataDir = join(temp.path, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const tokenPath = join(dataDir, TOKEN_FILE);
    writeFileSync(tokenPath, 'stored-token-0123456789abcdef\n');
    chmodSync(tokenPath, 0o644);
    const tmuxDir = join(dataDir, 'tmux');
    mkdirSync(tmuxDir);
    chmodSync(tmuxDir, 0o755);
    expect([mode(dataDir), mode(tokenPath), mode(tmuxDir)]).toEqual([0o755, 0o644, 0o755]);

    // No fixed token: the stored one is used.
    server = await startClaudeman({ dataDir, token: '' });
    expect(server.running.token).toBe('stored-token-0123456789abcdef');
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(tokenPath)).toBe(0o600);
    expect(mode(join(dataDir, HOOK_RELAY_FILE))).toBe(0o700);
    if (TMUX_TESTS) expect(mode(tmuxDir)).toBe(0o700);
  });

  it('tightens a loose token file also when the token is fixed by CLAUDEMAN_TOKEN', async () => {
    temp = makeTempDir('file-modes-');
    const dataDir = join(temp.path, 'data');
    mkdirSync(dataDir, { mode: 0o755 });
    chmodSync(dataDir, 0o755);
    const tokenPath = join(dataDir, TOKEN_FILE);
    writeFileSync(tokenPath, 'older-token\n', { mode: 0o644 });
    chmodSync(tokenPath, 0o644);
    server = await startClaudeman({ dataDir });
    expect(mode(dataDir)).toBe(0o700);
    expect(mode(tokenPath)).toBe(0o600);
  });

  it('creates a missing data directory 0700 and a new token file 0600', async () => {
    temp = makeTempDir('file-modes-');
    const dataDir = join(temp.path, 'a', 'data');
    // A fixed token: no token file is written, the directory is still the server's to make private.
    server = await startClaudeman({ dataDir });
    expect(mode(dataDir)).toBe(0o700);
    await server.close();
    server = await startClaudeman({ dataDir, token: '' });
    const tokenPath = join(dataDir, TOKEN_FILE);
    expect(mode(tokenPath)).toBe(0o600);
    expect(readFileSync(tokenPath, 'utf8').trim()).toBe(server.running.token);
    expect(server.running.token).toMatch(/^[0-9a-f]{64}$/);
  });
});
