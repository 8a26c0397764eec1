import { ApiErrorCode } from '../../protocol/errors.js';
import type { HealthReport } from '../../protocol/rest/health.js';
import type { StorageStatus } from '../../store/storage-guard.js';

/**
 * Healthy while the store takes writes. A lost database file (deleted or replaced: refused until
 * restart) or failing writes (a full disk; also changes that wait to be written) make it unhealthy,
 * with the reason: every change a client asks for is refused meanwhile.
 */
export function healthOf(storage: StorageStatus | undefined): HealthReport {
  if (storage === undefined) return { ok: true };
  if (storage.lost !== null) {
    return {
      ok: false,
      reason: `${storage.lost}: writes are refused until restart`,
      code: ApiErrorCode.STORAGE_UNAVAILABLE,
      storage,
    };
  }
  if (storage.failing !== null)
    return { ok: false, reason: storage.failing.message, code: storage.failing.code, storage };
  if (storage.pendingWrites > 0) {
    return {
      ok: false,
      reason: `${storage.pendingWrites} change(s) wait to be written to the database`,
      code: ApiErrorCode.STORAGE_UNAVAILABLE,
      storage,
    };
  }
  return { ok: true };
}
