// API: a request that says `Content-Type: application/json` but carries no body — what curl sends with
// the README's helper (`-H 'content-type: application/json'` on every call) for `DELETE …` or
// `POST …/stop` — is a request with the body `{}`: served on every route whose body is optional,
// answered 400 naming the missing field where the body has required fields, never "Body cannot be empty".
import { describe, expect, it } from 'vitest';
import {
  asObject,
  createSession,
  expectRawApiError,
  type Json,
  type RawResponse,
  rawRequest,
  useApiResources,
} from '../helpers/api-client.js';
import type { ClaudemanTestServer } from '../helpers/claudeman-server.js';

const r = useApiResources();

/** The request curl makes for `api -X METHOD URL` with the README's helper: no body, JSON type. */
function bodyless(s: ClaudemanTestServer, method: string, path: string): Promise<RawResponse> {
  return rawRequest(s.port, {
    method,
    path,
    headers: {
      authorization: `Bearer ${s.token}`,
      'content-type': 'application/json',
      'content-length': '0',
    },
  });
}

function json(res: RawResponse): Json {
  return asObject(JSON.parse(res.body), `body of HTTP ${res.status}`);
}

describe('a JSON content type with an empty body', () => {
  it('is {} on every route whose body is optional', async () => {
    const s = await r.server({ env: { ...process.env, FAKE_CLAUDE_IDLE_NOTIFY_MS: 'off' } });
    const created = await bodyless(s, 'POST', '/api/sessions');
    expect(created.status, created.body).toBe(201);
    const id = String(asObject(json(created).session).id);

    const steps: Array<[string, string, number]> = [
      ['POST', `/api/sessions/${id}/interactive`, 200],
      ['POST', `/api/sessions/${id}/respawn/start`, 200],
      ['PUT', `/api/sessions/${id}/respawn/config`, 200],
      ['POST', `/api/sessions/${id}/respawn/stop`, 200],
      ['POST', `/api/sessions/${id}/interactive-respawn`, 200],
      ['POST', '/api/ralph/start', 200],
      // The loop may have finished already (an empty queue): 409 RALPH_NOT_RUNNING, but not a 400.
      ['POST', '/api/ralph/stop', -1],
      ['DELETE', `/api/sessions/${id}`, 200],
    ];
    for (const [method, path, status] of steps) {
      const res = await bodyless(s, method, path);
      if (status === -1) expect([200, 409], `${method} ${path}: ${res.body}`).toContain(res.status);
      else expect(res.status, `${method} ${path}: ${res.body}`).toBe(status);
      expect(res.body).not.toMatch(/cannot be empty/i);
    }

    // Deletes of queue tasks and scheduled runs, which never had a body.
    const task = asObject(
      ((await (await s.send('POST', '/api/tasks', { prompt: 'later' })).json()) as Json).task,
    );
    const run = asObject(
      ((await (await s.send('POST', '/api/scheduled', { prompt: 'p', durationMinutes: 1 })).json()) as Json)
        .run,
    );
    for (const path of [`/api/tasks/${task.id}`, `/api/scheduled/${run.id}`]) {
      const res = await bodyless(s, 'DELETE', path);
      expect(res.status, `DELETE ${path}: ${res.body}`).toBe(200);
    }
  });

  it('answers 400 naming the missing field where the body has required fields', async () => {
    const s = await r.server();
    const session = await createSession(s);
    for (const [method, path, field] of [
      ['POST', `/api/sessions/${session.id}/run`, 'prompt'],
      ['POST', `/api/sessions/${session.id}/input`, 'input'],
      ['POST', '/api/run', 'prompt'],
      ['POST', '/api/tasks', 'prompt'],
      ['POST', '/api/cases', 'name'],
    ] as const) {
      const res = await bodyless(s, method, path);
      expectRawApiError(res, 400, 'BAD_REQUEST');
      expect(String(json(res).error), `${method} ${path}`).toContain(field);
    }
    // Malformed JSON is still malformed.
    const broken = await rawRequest(s.port, {
      method: 'POST',
      path: '/api/sessions',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: '{',
    });
    expectRawApiError(broken, 400, 'INVALID_JSON');
  });
});
