import { DEFAULT_COMPLETION_PHRASE, TaskLimits } from '../../protocol/rest/tasks.js';
import { type Failure, failure } from '../../protocol/result.js';
import type { WorkingDirResult } from '../cases/working-dir.js';

/** What a client asks for; everything but the prompt has a default. */
export interface NewTask {
  /** Client-chosen id (so that later tasks can depend on it by name); default a UUID. */
  readonly id?: string;
  readonly prompt: string;
  /** null or absent: any session's directory will do. */
  readonly workingDir?: string | null;
  /** Higher runs first; default 0. */
  readonly priority?: number;
  readonly dependsOn?: readonly string[];
  readonly completionPhrase?: string;
  /** null or absent: the Ralph loop's default timeout. */
  readonly timeoutMs?: number | null;
}

/** A request with its defaults filled in and its working directory resolved. */
export interface CheckedTask {
  readonly id: string;
  readonly prompt: string;
  readonly workingDir: string | null;
  readonly priority: number;
  readonly dependsOn: readonly string[];
  readonly completionPhrase: string;
  readonly timeoutMs: number | null;
}

const ID_PATTERN = new RegExp(TaskLimits.idPattern);
const PHRASE_PATTERN = new RegExp(TaskLimits.phrasePattern);

/**
 * Checks one request the way the REST schema does (so other callers get the same answers) and fills
 * in the defaults. Duplicate dependencies are dropped; their order is kept.
 */
export function checkNewTask(
  spec: NewTask,
  newId: () => string,
  resolveWorkingDir: (input: string) => WorkingDirResult,
): { ok: true; task: CheckedTask } | Failure {
  const id = spec.id ?? newId();
  if (!ID_PATTERN.test(id))
    return invalid(`id must match ${TaskLimits.idPattern}, got ${JSON.stringify(id)}`);
  if (spec.prompt.length === 0 || spec.prompt.length > TaskLimits.promptChars) {
    return invalid(`prompt must have 1 to ${TaskLimits.promptChars} characters, got ${spec.prompt.length}`);
  }
  const priority = spec.priority ?? 0;
  if (!Number.isInteger(priority) || Math.abs(priority) > TaskLimits.maxAbsPriority) {
    return invalid(`priority must be an integer within ±${TaskLimits.maxAbsPriority}, got ${priority}`);
  }
  const dependsOn = [...new Set(spec.dependsOn ?? [])];
  if (dependsOn.length > TaskLimits.dependencies) {
    return invalid(`at most ${TaskLimits.dependencies} dependencies, got ${dependsOn.length}`);
  }
  const completionPhrase = spec.completionPhrase ?? DEFAULT_COMPLETION_PHRASE;
  if (!PHRASE_PATTERN.test(completionPhrase)) {
    return invalid(
      `completionPhrase must be one line of 1 to 200 characters without <, > or ", got ${JSON.stringify(completionPhrase)}`,
    );
  }
  const timeoutMs = spec.timeoutMs ?? null;
  if (
    timeoutMs !== null &&
    (!Number.isInteger(timeoutMs) ||
      timeoutMs < TaskLimits.minTimeoutMs ||
      timeoutMs > TaskLimits.maxTimeoutMs)
  ) {
    return invalid(
      `timeoutMs must be an integer from ${TaskLimits.minTimeoutMs} to ${TaskLimits.maxTimeoutMs}, got ${timeoutMs}`,
    );
  }
  let workingDir: string | null = null;
  if (spec.workingDir !== undefined && spec.workingDir !== null) {
    const resolved = resolveWorkingDir(spec.workingDir);
    if (!resolved.ok) return failure('INVALID_PATH', resolved.error);
    workingDir = resolved.path;
  }
  return {
    ok: true,
    task: { id, prompt: spec.prompt, workingDir, priority, dependsOn, completionPhrase, timeoutMs },
  };
}

function invalid(message: string): Failure {
  return failure('INVALID_TASK', message);
}
