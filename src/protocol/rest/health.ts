import Type, { type Static } from 'typebox';
import { ApiErrorCodeSchema } from '../errors.js';
import { Nullable } from './nullable.js';

/** What `/healthz` (and `/metrics`) show of the store: whether it takes writes, and why not. */
export const StorageState = Type.Object({
  /** The database file, or null for an in-memory database. */
  path: Nullable(Type.String()),
  /** Why every write is refused until restart (the file was deleted or replaced), or null. */
  lost: Nullable(Type.String()),
  /** The failure of the last write, while no write has succeeded since; null when writes work. */
  failing: Nullable(
    Type.Object({
      code: Type.Union([Type.Literal('STORAGE_FULL'), Type.Literal('STORAGE_UNAVAILABLE')]),
      message: Type.String(),
      since: Type.Number({ description: 'epoch ms' }),
    }),
  ),
  failedWrites: Type.Integer(),
  pendingWrites: Type.Integer(),
});
export type StorageState = Static<typeof StorageState>;

/** `/healthz` 200: the store takes writes. */
export const HealthyReport = Type.Object({ ok: Type.Literal(true) });

/** `/healthz` 503: every change a client asks for is refused meanwhile, and why. */
export const UnhealthyReport = Type.Object({
  ok: Type.Literal(false),
  reason: Type.String(),
  code: ApiErrorCodeSchema,
  storage: StorageState,
});

export type HealthReport = Static<typeof HealthyReport> | Static<typeof UnhealthyReport>;
