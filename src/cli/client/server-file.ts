import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `<dataDir>/server.json`: where the running `claudeman web` listens, so the client can find it. */
export const SERVER_FILE = 'server.json';

export interface ServerFile {
  /** Base address, e.g. `http://127.0.0.1:3000` (no token). */
  readonly url: string;
  readonly pid: number;
}

export function writeServerFile(dataDir: string, info: ServerFile): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dataDir, SERVER_FILE), `${JSON.stringify(info)}\n`, { mode: 0o600 });
}

/**
 * Removes the file only when this process wrote it (it names our pid): a file of another server, or
 * one that cannot be read (whose writer is unknown), is left alone.
 */
export function removeServerFile(dataDir: string, pid: number): void {
  if (readServerFile(dataDir)?.pid !== pid) return;
  rmSync(join(dataDir, SERVER_FILE), { force: true });
}

export function readServerFile(dataDir: string): ServerFile | undefined {
  const path = join(dataDir, SERVER_FILE);
  if (!existsSync(path)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<ServerFile>;
    if (typeof parsed.url !== 'string' || typeof parsed.pid !== 'number') return undefined;
    return { url: parsed.url, pid: parsed.pid };
  } catch {
    return undefined;
  }
}

/** True when a process with this id exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
