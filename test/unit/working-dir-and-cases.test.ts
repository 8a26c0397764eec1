import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaseStore } from '../../src/agent/cases/cases.js';
import { resolveWorkingDir } from '../../src/agent/cases/working-dir.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('working directories and cases', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let root: string;
  beforeEach(() => {
    temp = makeTempDir();
    root = join(temp.path, 'cases');
    mkdirSync(join(root, 'one'), { recursive: true });
  });
  afterEach(() => temp.remove());

  it('takes absolute directories as they are and relative ones inside the cases root', () => {
    expect(resolveWorkingDir(temp.path, root)).toMatchObject({ ok: true });
    expect(resolveWorkingDir('one', root)).toMatchObject({ ok: true, path: join(root, 'one') });
    expect(resolveWorkingDir('../..', root)).toMatchObject({ ok: false });
    expect(resolveWorkingDir('missing', root)).toMatchObject({ ok: false });
    writeFileSync(join(root, 'file'), '');
    expect(resolveWorkingDir(join(root, 'file'), root)).toMatchObject({ ok: false });
    expect(resolveWorkingDir('one\0', root)).toMatchObject({ ok: false });
    // A link inside the root that points outside does not get a relative path out.
    symlinkSync(temp.path, join(root, 'escape'));
    expect(resolveWorkingDir('escape', root)).toMatchObject({ ok: false });
  });

  it('creates cases with a CLAUDE.md and refuses names that could leave the root', () => {
    const store = new CaseStore(root);
    const created = store.create('my-case_1', 'Build the thing', new Date('2026-11-21T00:00:00Z'));
    expect(created).toEqual({
      ok: true,
      info: {
        name: 'my-case_1',
        path: join(root, 'my-case_1'),
        hasClaudeMd: true,
        description: 'Build the thing',
      },
    });
    const claudeMd = readFileSync(join(root, 'my-case_1', 'CLAUDE.md'), 'utf8');
    expect(claudeMd).toContain('# my-case_1');
    expect(claudeMd).toContain('Build the thing');
    expect(claudeMd).toContain('2026-11-21');
    for (const name of ['../x', 'a/b', '.hidden', '', 'x'.repeat(65), 'a b']) {
      expect(store.create(name)).toMatchObject({ ok: false, code: 'INVALID_CASE_NAME' });
      expect(store.get(name)).toMatchObject({ ok: false, code: 'INVALID_CASE_NAME' });
    }
    expect(existsSync(join(temp.path, 'x'))).toBe(false);
    expect(store.create('my-case_1')).toMatchObject({ ok: false, code: 'CASE_EXISTS' });
    expect(store.get('nope')).toMatchObject({ ok: false, code: 'CASE_NOT_FOUND' });
    expect(store.list().map((c) => [c.name, c.hasClaudeMd])).toEqual([
      ['my-case_1', true],
      ['one', false],
    ]);
    expect(new CaseStore(join(temp.path, 'absent')).list()).toEqual([]);
  });
});
