import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiErrorCode } from '../../protocol/errors.js';
import { CASE_NAME_PATTERN, type CaseInfo } from '../../protocol/rest/cases.js';
import { failure, type Result } from '../../protocol/result.js';
import { renderCaseClaudeMd } from './claude-md-template.js';

const CASE_NAME = new RegExp(CASE_NAME_PATTERN);
/** A case's description lives beside its CLAUDE.md, so listing does not have to parse Markdown. */
const DESCRIPTION_FILE = '.claudeman-case.json';

/** How case operations fail: codes of the REST API, so each one has its HTTP status. */
export type CaseErrorCode = Extract<ApiErrorCode, 'INVALID_CASE_NAME' | 'CASE_EXISTS' | 'CASE_NOT_FOUND'>;

type CaseResult = Result<{ readonly info: CaseInfo }, CaseErrorCode>;

/**
 * Cases: working directories under one root, each created with a CLAUDE.md from the template. Names
 * are checked against a strict pattern before they touch the file system, so none can escape the
 * root (no `/`, no `..`).
 */
export class CaseStore {
  constructor(readonly root: string) {}

  list(): CaseInfo[] {
    return [...this.listAfter(null)];
  }

  /**
   * The cases in name order, after the one named `after` (null: from the first). Lazy: only the
   * cases a page sends are read.
   */
  *listAfter(after: string | null): Generator<CaseInfo> {
    if (!existsSync(this.root)) return;
    const names = readdirSync(this.root, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && CASE_NAME.test(entry.name))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b));
    for (const name of names) {
      if (after === null || name.localeCompare(after) > 0) yield this.describe(name);
    }
  }

  /** Whether `name` could be a case's name (a cursor of the list is one). */
  static isCaseName(name: string): boolean {
    return CASE_NAME.test(name);
  }

  get(name: string): CaseResult {
    if (!CASE_NAME.test(name)) return invalidName(name);
    const path = join(this.root, name);
    if (!existsSync(path) || !statSync(path).isDirectory()) {
      return failure('CASE_NOT_FOUND', `no case named ${name}`);
    }
    return { ok: true, info: this.describe(name) };
  }

  create(name: string, description = '', now = new Date()): CaseResult {
    if (!CASE_NAME.test(name)) return invalidName(name);
    const path = join(this.root, name);
    if (existsSync(path)) return failure('CASE_EXISTS', `a case named ${name} already exists`);
    mkdirSync(path, { recursive: true });
    try {
      writeFileSync(join(path, 'CLAUDE.md'), renderCaseClaudeMd({ name, description, createdAt: now }));
      writeFileSync(join(path, DESCRIPTION_FILE), `${JSON.stringify({ description })}\n`);
    } catch (error) {
      // A case is all or nothing (a full disk, say): no half-written directory is left to be listed.
      rmSync(path, { recursive: true, force: true });
      throw error;
    }
    return { ok: true, info: this.describe(name) };
  }

  private describe(name: string): CaseInfo {
    const path = join(this.root, name);
    return {
      name,
      path,
      hasClaudeMd: existsSync(join(path, 'CLAUDE.md')),
      description: readDescription(path),
    };
  }
}

function readDescription(path: string): string {
  try {
    const parsed = JSON.parse(readFileSync(join(path, DESCRIPTION_FILE), 'utf8')) as {
      description?: unknown;
    };
    return typeof parsed.description === 'string' ? parsed.description : '';
  } catch {
    // A directory made by hand has no description file: that is fine.
    return '';
  }
}

function invalidName(name: string): CaseResult {
  return failure(
    'INVALID_CASE_NAME',
    `invalid case name ${JSON.stringify(name)}: use 1-64 letters, digits, "-" or "_"`,
  );
}
