import { type Failure, failure } from '../protocol/result.js';

/**
 * A write the store could not make, as a value with a stable code (the REST API's codes of the same
 * name, src/protocol/errors.ts). Nothing of the change was stored; the caller undoes it in memory too.
 *
 * - STORAGE_FULL: the disk is full (SQLITE_FULL); a retry after space is freed works.
 * - STORAGE_UNAVAILABLE: the database cannot take writes — its file was deleted or replaced while the
 *   server ran (refused until restart, since what would be written goes nowhere), or an I/O error.
 */
export type StorageErrorCode = 'STORAGE_FULL' | 'STORAGE_UNAVAILABLE';

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StorageError';
  }
}

export function isStorageError(error: unknown): error is StorageError {
  return error instanceof StorageError;
}

/**
 * Runs a write a client waits for: null when it was stored, else the failure to answer with (nothing
 * was written). Anything but a StorageError is a bug and is thrown on.
 */
export function tryWrite(action: () => void): Failure<StorageErrorCode> | null {
  try {
    action();
    return null;
  } catch (error) {
    if (isStorageError(error)) return failure(error.code, error.message);
    throw error;
  }
}
