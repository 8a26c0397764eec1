import type { TaskInfo } from '../src/protocol/overseer/task-info.js';
import type { CaseInfo } from '../src/protocol/rest/cases.js';
import type { RalphStatus, StartRalphRequest } from '../src/protocol/rest/ralph.js';
import type {
  NoRespawn,
  RespawnConfig,
  RespawnConfigPatch,
  RespawnStatus,
} from '../src/protocol/rest/respawn.js';
import type { ScheduledRun } from '../src/protocol/rest/scheduled.js';
import type { SessionInfo } from '../src/protocol/rest/session.js';
import type { CreateTaskRequest, QueueTask } from '../src/protocol/rest/tasks.js';
import type { TranscriptPage } from '../src/protocol/rest/transcript.js';

/** A failed API call, with the server's stable code and human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Called once when the server says the token is missing (the cookie expired or the token changed). */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await request<T>(method, path, body)).value;
}

/**
 * Every item of a paged list (tasks, cases, overseer tasks): the server answers at most a page at a
 * time and names the next one in X-Next-Cursor, which is followed until the last page.
 */
async function callAll<T>(path: string): Promise<T[]> {
  const items: T[] = [];
  let next: string | null = path;
  while (next !== null) {
    const page: { value: T[]; nextCursor: string | null } = await request<T[]>('GET', next);
    items.push(...page.value);
    next = page.nextCursor === null ? null : `${path}?cursor=${encodeURIComponent(page.nextCursor)}`;
  }
  return items;
}

async function request<T>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ value: T; nextCursor: string | null }> {
  // Same origin: the HttpOnly token cookie goes with the request by itself.
  const response = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    const error = parsed as { error?: unknown; code?: unknown } | null;
    throw new ApiError(
      response.status,
      typeof error?.code === 'string' ? error.code : 'HTTP_ERROR',
      typeof error?.error === 'string' ? error.error : `${method} ${path}: HTTP ${response.status}`,
    );
  }
  return { value: parsed as T, nextCursor: response.headers.get('x-next-cursor') };
}

const enc = encodeURIComponent;

export const api = {
  sessions: () => call<SessionInfo[]>('GET', '/api/sessions'),
  createSession: (workingDir?: string) =>
    call<{ session: SessionInfo }>('POST', '/api/sessions', workingDir === undefined ? {} : { workingDir }),
  deleteSession: (id: string) => call<{ success: true }>('DELETE', `/api/sessions/${enc(id)}`),
  startInteractive: (id: string, cols: number, rows: number, resume = false) =>
    call<{ success: true }>(
      'POST',
      `/api/sessions/${enc(id)}/interactive`,
      resume ? { cols, rows, resume } : { cols, rows },
    ),
  run: (id: string, prompt: string) =>
    call<{ success: true }>('POST', `/api/sessions/${enc(id)}/run`, { prompt }),
  output: (id: string) =>
    call<{ textOutput: string; messages: unknown[]; errorBuffer: string }>(
      'GET',
      `/api/sessions/${enc(id)}/output`,
    ),
  transcript: (id: string, after: number, limit: number) =>
    call<TranscriptPage>('GET', `/api/sessions/${enc(id)}/transcript?after=${after}&limit=${limit}`),
  cases: () => callAll<CaseInfo>('/api/cases'),
  createCase: (name: string, description?: string) =>
    call<{ case: { name: string; path: string } }>('POST', '/api/cases', { name, description }),

  respawn: (id: string) => call<RespawnStatus | NoRespawn>('GET', `/api/sessions/${enc(id)}/respawn`),
  respawnStart: (id: string, config: RespawnConfigPatch) =>
    call<{ status: RespawnStatus }>('POST', `/api/sessions/${enc(id)}/respawn/start`, { config }),
  respawnStop: (id: string) => call<{ success: true }>('POST', `/api/sessions/${enc(id)}/respawn/stop`),
  respawnConfig: (id: string, patch: RespawnConfigPatch) =>
    call<{ config: RespawnConfig }>('PUT', `/api/sessions/${enc(id)}/respawn/config`, patch),

  tasks: () => callAll<QueueTask>('/api/tasks'),
  addTask: (task: CreateTaskRequest) => call<{ task: QueueTask }>('POST', '/api/tasks', task),
  deleteTask: (id: string) => call<{ success: true }>('DELETE', `/api/tasks/${enc(id)}`),
  ralph: () => call<RalphStatus>('GET', '/api/ralph'),
  ralphStart: (request: StartRalphRequest) =>
    call<{ status: RalphStatus }>('POST', '/api/ralph/start', request),
  ralphStop: () => call<{ status: RalphStatus }>('POST', '/api/ralph/stop'),

  scheduled: () => call<ScheduledRun[]>('GET', '/api/scheduled'),
  createScheduled: (prompt: string, durationMinutes: number, workingDir?: string) =>
    call<{ run: ScheduledRun }>('POST', '/api/scheduled', {
      prompt,
      durationMinutes,
      ...(workingDir === undefined ? {} : { workingDir }),
    }),
  cancelScheduled: (id: string) => call<{ success: true }>('DELETE', `/api/scheduled/${enc(id)}`),

  overseerTasks: () => callAll<TaskInfo>('/api/overseer/tasks'),
};

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
