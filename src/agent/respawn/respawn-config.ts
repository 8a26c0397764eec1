import Value from 'typebox/value';
import { RespawnConfig, RespawnConfigPatch } from '../../protocol/rest/respawn.js';

export type ConfigResult =
  | { readonly ok: true; readonly config: Readonly<RespawnConfig> }
  | { readonly ok: false; readonly message: string };

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return `${text === undefined ? String(value) : text} (${value === null ? 'null' : typeof value})`;
}

/** The first schema error as one sentence that names the option, the value and its type. */
function firstError(schema: typeof RespawnConfig | typeof RespawnConfigPatch, value: unknown): string {
  const [error] = Value.Errors(schema, value);
  if (error === undefined) return 'invalid respawn config';
  const key = error.instancePath.split('/')[1];
  if (key === undefined || key === '') return `respawn config: ${error.message}`;
  const record = value as Record<string, unknown>;
  if (!(key in RespawnConfig.properties)) return `respawn config: unknown option "${key}"`;
  return `respawn config: ${key} ${error.message}, got ${describe(record[key])}`;
}

/**
 * Applies a partial config (from a request, or a stored row of an older version) to `base`. Checked
 * once here, at the controller's entry, and frozen: the controller never re-validates.
 */
export function mergeRespawnConfig(base: Readonly<RespawnConfig>, patch: unknown): ConfigResult {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    return { ok: false, message: `respawn config must be an object, got ${describe(patch)}` };
  }
  if (!Value.Check(RespawnConfigPatch, patch))
    return { ok: false, message: firstError(RespawnConfigPatch, patch) };
  const merged = { ...base, ...patch };
  // Only a broken base (a hand-edited database row) can fail here; the patch itself is valid.
  if (!Value.Check(RespawnConfig, merged)) return { ok: false, message: firstError(RespawnConfig, merged) };
  return { ok: true, config: Object.freeze(merged) };
}
