import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes of randomness in a generated token (hex-encoded: 64 characters). */
const TOKEN_BYTES = 32;
export const TOKEN_FILE = 'token';

/**
 * The per-installation access token: fixed by CLAUDEMAN_TOKEN when set (scripts, tests), else read
 * from the data directory, else created there on first start (readable by the owner only).
 */
export function loadOrCreateToken(dataDir: string, fixed: string | undefined): string {
  if (fixed !== undefined && fixed !== '') return fixed;
  const path = join(dataDir, TOKEN_FILE);
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored !== '') return stored;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const token = randomBytes(TOKEN_BYTES).toString('hex');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Compares in constant time, so response timing does not reveal how much of a guess was right. */
export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
