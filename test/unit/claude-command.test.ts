import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveClaudeBinary } from '../../src/agent/claude/claude-binary.js';
import { childEnvironment, interactiveArgs, oneShotArgs } from '../../src/agent/claude/claude-command.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('claude command lines', () => {
  it('runs headless with stream-json, --verbose and the permission mode', () => {
    expect(oneShotArgs({ permissionMode: 'skip' })).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--dangerously-skip-permissions',
    ]);
    expect(
      oneShotArgs({ permissionMode: 'plan', allowedTools: ['Read', 'Bash(git *)'], model: 'm' }),
    ).toEqual([
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--permission-mode',
      'plan',
      '--allowedTools',
      'Read,Bash(git *)',
      '--model',
      'm',
    ]);
    expect(interactiveArgs({ permissionMode: 'acceptEdits', resume: 'abc' })).toEqual([
      '--permission-mode',
      'acceptEdits',
      '--resume',
      'abc',
    ]);
  });

  it('drops CLAUDECODE and sets IS_SANDBOX only when skipping permissions as root', () => {
    const base = { PATH: '/bin', CLAUDECODE: '1' };
    expect(childEnvironment(base, 'skip', true)).toEqual({ PATH: '/bin', IS_SANDBOX: '1' });
    expect(childEnvironment(base, 'skip', false)).toEqual({ PATH: '/bin' });
    expect(childEnvironment(base, 'default', true)).toEqual({ PATH: '/bin' });
    expect(base).toEqual({ PATH: '/bin', CLAUDECODE: '1' });
  });
});

describe('resolveClaudeBinary', () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir();
  });
  afterEach(() => temp.remove());

  it('finds claude on PATH or at the configured path, and names the fix when it is missing', () => {
    const bin = join(temp.path, 'claude');
    writeFileSync(bin, '#!/bin/sh\n');
    chmodSync(bin, 0o755);
    expect(resolveClaudeBinary(null, temp.path)).toEqual({ ok: true, path: bin });
    expect(resolveClaudeBinary(bin, '/nonexistent')).toEqual({ ok: true, path: bin });
    const missing = resolveClaudeBinary(null, '/nonexistent');
    expect(missing.ok).toBe(false);
    expect(missing.ok ? '' : missing.error).toMatch(
      /not found on PATH.*npm install -g @anthropic-ai\/claude-code/,
    );
    const bad = resolveClaudeBinary(join(temp.path, 'nope'), temp.path);
    expect(bad.ok ? '' : bad.error).toMatch(/CLAUDEMAN_CLAUDE_BIN/);
  });
});
