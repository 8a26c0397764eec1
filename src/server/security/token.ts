import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_FILE } from '../../protocol/data-dir.js';
import { ensurePrivateDir, restrictToOwner, writeFileAtomic } from '../../util/private-file.js';

/** Bytes of randomness in a generated token (hex-encoded: 64 characters). */
const TOKEN_BYTES = 32;

/**
 * The per-installation access token: fixed by CLAUDEMAN_TOKEN when set (scripts, tests), else read
 * from the data directory, else created there on first start. The file is readable by the owner
 * only (0600), also when an older version or a person wrote it with looser modes.
 */
export function loadOrCreateToken(dataDir: string, fixed: string | undefined): string {
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) restrictToOwner(path);
  if (fixed !== undefined && fixed !== '') return fixed;
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored !== '') return stored;
  }
  ensurePrivateDir(dataDir);
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  writeFileAtomic(path, `${token}\n`);
  return token;
}

/** Compares in constant time, so response timing does not reveal how much of a guess was right. */
export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
