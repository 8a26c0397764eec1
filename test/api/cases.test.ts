// API: cases — POST/GET /api/cases, GET /api/cases/:name, names, duplicates, case:created.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  asObject,
  createSession,
  expectApiError,
  expectJson,
  expectJsonArray,
  expectRawApiError,
  rawRequest,
  real,
  useApiResources,
} from '../helpers/api-client.js';

const r = useApiResources();

describe('POST /api/cases', () => {
  it('creates a case: 201 {success, case: {name, path}}, CLAUDE.md written, case:created event', async () => {
    const s = await r.server();
    const sse = await r.sse(s);
    await sse.nextOf('init');
    const res = await s.send('POST', '/api/cases', { name: 'my-case_1', description: 'A test case' });
    const body = await expectJson(res, 201);
    const path = join(s.casesDir, 'my-case_1');
    expect(body).toEqual({ success: true, case: { name: 'my-case_1', path } });
    const claudeMd = readFileSync(join(path, 'CLAUDE.md'), 'utf8');
    expect(claudeMd).toContain('my-case_1');
    expect(claudeMd).toContain('A test case');
    const event = await sse.nextOf('case:created');
    expect(event.payload).toEqual({ type: 'case:created', data: { name: 'my-case_1', path } });
    expect(event.sessionId).toBeUndefined();
  });

  it('creates a case without a description', async () => {
    const s = await r.server();
    const body = await expectJson(await s.send('POST', '/api/cases', { name: 'plain' }), 201);
    expect(body).toEqual({ success: true, case: { name: 'plain', path: join(s.casesDir, 'plain') } });
    const got = await expectJson(await s.api('/api/cases/plain'), 200);
    expect(got).toEqual({
      name: 'plain',
      path: join(s.casesDir, 'plain'),
      hasClaudeMd: true,
      description: '',
    });
  });

  it('refuses invalid names with 400 and creates nothing', async () => {
    const s = await r.server();
    const names = ['../x', 'a/b', '.hidden', '', 'a'.repeat(65), '..', 'a b', 'é', 'x\u0000'];
    for (const name of names) {
      const res = await s.send('POST', '/api/cases', { name });
      expect(res.status, `status for ${JSON.stringify(name)}`).toBe(400);
      const body = await expectJson(res, 400);
      expect(['BAD_REQUEST', 'INVALID_CASE_NAME'], `code for ${JSON.stringify(name)}`).toContain(body.code);
      expect(body.success).toBe(false);
    }
    expect(existsSync(join(s.casesDir, '..', 'x'))).toBe(false);
    expect(await expectJsonArray(await s.api('/api/cases'))).toEqual([]);
    // 64 characters is fine.
    await expectJson(await s.send('POST', '/api/cases', { name: 'b'.repeat(64) }), 201);
  });

  it('refuses a missing or non-string name with 400 BAD_REQUEST', async () => {
    const s = await r.server();
    await expectApiError(await s.send('POST', '/api/cases', {}), 400, 'BAD_REQUEST');
    await expectApiError(await s.send('POST', '/api/cases', { name: ['a'] }), 400, 'BAD_REQUEST');
    await expectApiError(
      await s.send('POST', '/api/cases', { name: 'ok', description: 'd'.repeat(2_001) }),
      400,
      'BAD_REQUEST',
    );
  });

  it('refuses a duplicate with 409 CASE_EXISTS and keeps the first CLAUDE.md', async () => {
    const s = await r.server();
    await expectJson(await s.send('POST', '/api/cases', { name: 'dup', description: 'first' }), 201);
    const before = readFileSync(join(s.casesDir, 'dup', 'CLAUDE.md'), 'utf8');
    await expectApiError(
      await s.send('POST', '/api/cases', { name: 'dup', description: 'second' }),
      409,
      'CASE_EXISTS',
    );
    expect(readFileSync(join(s.casesDir, 'dup', 'CLAUDE.md'), 'utf8')).toBe(before);
    // A directory made by hand counts too.
    mkdirSync(join(s.casesDir, 'by-hand'));
    await expectApiError(await s.send('POST', '/api/cases', { name: 'by-hand' }), 409, 'CASE_EXISTS');
  });
});

describe('GET /api/cases and /api/cases/:name', () => {
  it('lists [] on a fresh cases root', async () => {
    const s = await r.server();
    expect(await expectJsonArray(await s.api('/api/cases'))).toEqual([]);
  });

  it('lists the cases with {name, path, hasClaudeMd, description} and gets one', async () => {
    const s = await r.server();
    await expectJson(await s.send('POST', '/api/cases', { name: 'beta', description: 'second one' }), 201);
    await expectJson(await s.send('POST', '/api/cases', { name: 'alpha', description: 'first one' }), 201);
    mkdirSync(join(s.casesDir, 'manual'));
    const list = (await expectJsonArray(await s.api('/api/cases'))).map((c) => asObject(c));
    expect(list).toHaveLength(3);
    const byName = new Map(list.map((c) => [c.name, c]));
    expect(byName.get('alpha')).toEqual({
      name: 'alpha',
      path: join(s.casesDir, 'alpha'),
      hasClaudeMd: true,
      description: 'first one',
    });
    expect(byName.get('manual')).toEqual({
      name: 'manual',
      path: join(s.casesDir, 'manual'),
      hasClaudeMd: false,
      description: '',
    });
    const got = await expectJson(await s.api('/api/cases/beta'), 200);
    expect(got).toEqual({
      name: 'beta',
      path: join(s.casesDir, 'beta'),
      hasClaudeMd: true,
      description: 'second one',
    });
  });

  it('answers an unknown case with 404 CASE_NOT_FOUND', async () => {
    const s = await r.server();
    await expectApiError(await s.api('/api/cases/nope'), 404, 'CASE_NOT_FOUND');
  });

  it('answers invalid names on GET with 400 INVALID_CASE_NAME, never a file outside the root', async () => {
    const s = await r.server();
    // Sent as raw paths: fetch would normalise the encoded dots away.
    for (const name of ['..%2F..%2Fetc', '.hidden', '%2E%2E', 'a%2Fb']) {
      const res = await rawRequest(s.port, {
        path: `/api/cases/${name}`,
        headers: { authorization: `Bearer ${s.token}` },
      });
      expectRawApiError(res, 400, 'INVALID_CASE_NAME');
    }
  });

  it('a case is a working directory for sessions (relative name)', async () => {
    const s = await r.server();
    await expectJson(await s.send('POST', '/api/cases', { name: 'workspace' }), 201);
    const session = await createSession(s, { workingDir: 'workspace' });
    expect(session.workingDir).toBe(real(join(s.casesDir, 'workspace')));
  });
});
