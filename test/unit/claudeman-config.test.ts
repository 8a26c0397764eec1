import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, resolveConfig } from '../../src/server/claudeman-config.js';
import { tokensMatch } from '../../src/server/security/token.js';

describe('claudeman web configuration', () => {
  it('takes flags over environment over defaults', () => {
    const defaults = resolveConfig({}, {});
    expect(defaults).toMatchObject({
      host: '127.0.0.1',
      port: 3000,
      dataDir: join(homedir(), '.claudeman'),
      casesDir: join(homedir(), 'claudeman-cases'),
      token: undefined,
      claudeBin: null,
      permissionMode: 'skip',
    });
    const env = {
      CLAUDEMAN_PORT: '4000',
      CLAUDEMAN_HOST: '0.0.0.0',
      CLAUDEMAN_HOME: '/tmp/h',
      CLAUDEMAN_TOKEN: 'x',
    };
    expect(resolveConfig({}, env)).toMatchObject({
      port: 4000,
      host: '0.0.0.0',
      dataDir: '/tmp/h',
      token: 'x',
    });
    expect(resolveConfig({ port: '5000', host: '::1', dataDir: '/tmp/f' }, env)).toMatchObject({
      port: 5000,
      host: '::1',
      dataDir: '/tmp/f',
    });
  });

  it('refuses a bad port or permission mode with the reason', () => {
    expect(() => resolveConfig({ port: 'x' }, {})).toThrow(ConfigError);
    expect(() => resolveConfig({ port: '70000' }, {})).toThrow(/0 to 65535/);
    expect(() => resolveConfig({}, { CLAUDEMAN_PERMISSION_MODE: 'yolo' })).toThrow(
      /CLAUDEMAN_PERMISSION_MODE/,
    );
  });

  it('takes a relative CLAUDEMAN_CLAUDE_BIN path from where the server starts; a bare name stays for PATH', () => {
    expect(resolveConfig({}, { CLAUDEMAN_CLAUDE_BIN: 'node_modules/.bin/claude' }).claudeBin).toBe(
      `${process.cwd()}/node_modules/.bin/claude`,
    );
    expect(resolveConfig({}, { CLAUDEMAN_CLAUDE_BIN: 'claude-beta' }).claudeBin).toBe('claude-beta');
  });

  it('takes the usage-limit margin from CLAUDEMAN_LIMIT_RESUME_MARGIN_MS, and refuses a bad one', () => {
    expect(resolveConfig({}, {}).limitResumeMarginMs).toBeUndefined();
    expect(resolveConfig({}, { CLAUDEMAN_LIMIT_RESUME_MARGIN_MS: '1500' }).limitResumeMarginMs).toBe(1500);
    expect(() => resolveConfig({}, { CLAUDEMAN_LIMIT_RESUME_MARGIN_MS: '-1' })).toThrow(
      /CLAUDEMAN_LIMIT_RESUME_MARGIN_MS/,
    );
  });

  it('refuses an empty --data-dir, and takes empty variables as unset', () => {
    expect(() => resolveConfig({ dataDir: '' }, {})).toThrow(ConfigError);
    expect(resolveConfig({}, { CLAUDEMAN_HOME: '', CLAUDEMAN_CASES_DIR: '' })).toMatchObject({
      dataDir: join(homedir(), '.claudeman'),
      casesDir: join(homedir(), 'claudeman-cases'),
    });
  });

  it("drops this package's own node_modules/.bin from the agents' PATH", () => {
    const root = join(import.meta.dirname, '..', '..');
    const path = [
      join(root, 'node_modules', '.bin'),
      '/usr/local/bin',
      join(root, '..', 'node_modules', '.bin'),
      '/usr/bin',
    ];
    expect(resolveConfig({}, { PATH: path.join(':') }).childEnv.PATH).toBe('/usr/local/bin:/usr/bin');
    expect(resolveConfig({}, {}).childEnv.PATH).toBeUndefined();
  });

  it('compares tokens exactly', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abc', 'abd')).toBe(false);
    expect(tokensMatch('abc', 'abcd')).toBe(false);
    expect(tokensMatch('abc', undefined)).toBe(false);
  });
});
