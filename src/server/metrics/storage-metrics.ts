import type { StorageStatus } from '../../store/storage-guard.js';
import type { MetricFamily } from './stream-counters.js';

/** Why writes fail, as the label of claudeman_storage_write_failing. */
const FAILING_CODES = ['STORAGE_FULL', 'STORAGE_UNAVAILABLE'] as const;

/**
 * The store's health: `claudeman_database_ok` (1 only while the start-up check passed, the file is the
 * one opened and writes succeed), and the gauges that say why not.
 */
export function storageFamilies(
  quickCheckOk: boolean | undefined,
  storage: StorageStatus | undefined,
): MetricFamily[] {
  const families: MetricFamily[] = [];
  if (quickCheckOk !== undefined || storage !== undefined) {
    const ok = quickCheckOk !== false && storage?.lost == null && storage?.failing == null;
    families.push({
      name: 'claudeman_database_ok',
      help: 'The database is sound and takes writes (1) or not (0): see claudeman_database_check_ok, claudeman_storage_lost and claudeman_storage_write_failing for why.',
      type: 'gauge',
      samples: [{ value: ok ? 1 : 0 }],
    });
  }
  if (quickCheckOk !== undefined) {
    families.push({
      name: 'claudeman_database_check_ok',
      help: 'Database quick_check at start-up passed (1) or not (0).',
      type: 'gauge',
      samples: [{ value: quickCheckOk ? 1 : 0 }],
    });
  }
  if (storage === undefined) return families;
  families.push(
    {
      name: 'claudeman_storage_lost',
      help: 'The database file (or its WAL) was deleted or replaced while the server ran (1): every write is refused until restart.',
      type: 'gauge',
      samples: [{ value: storage.lost === null ? 0 : 1 }],
    },
    {
      name: 'claudeman_storage_write_failing',
      help: 'The last database write failed and none has succeeded since (1), by code: STORAGE_FULL (disk full), STORAGE_UNAVAILABLE (I/O error or lost file).',
      type: 'gauge',
      samples: FAILING_CODES.map((code) => ({
        labels: { code },
        value: storage.failing?.code === code ? 1 : 0,
      })),
    },
    {
      name: 'claudeman_storage_write_failures_total',
      help: 'Database writes that failed (each refused request, each change that had to wait).',
      type: 'counter',
      samples: [{ value: storage.failedWrites }],
    },
    {
      name: 'claudeman_storage_pending_writes',
      help: 'Changes no request acknowledged (exits, status changes) that wait to be written; retried every second.',
      type: 'gauge',
      samples: [{ value: storage.pendingWrites }],
    },
  );
  return families;
}
