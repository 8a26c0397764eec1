import { describe, expect, it } from 'vitest';
import { type FlagSpec, formatUsage, parseGoFlags } from '../../src/cli/go-flags.js';

const specs: FlagSpec[] = [
  { name: 'command', kind: 'string', usage: 'pin' },
  { name: 'db', kind: 'string', usage: 'database', defaultValue: './overseer.db' },
  { name: 'version', kind: 'bool', usage: 'version' },
];

describe('parseGoFlags', () => {
  it('accepts -name value, -name=value, --name and bare booleans', () => {
    const result = parseGoFlags(['-command', '/bin/x', '--db=/tmp/a.db', '-version', 'rest'], specs);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.values.get('command')).toBe('/bin/x');
    expect(result.values.get('db')).toBe('/tmp/a.db');
    expect(result.values.get('version')).toBe(true);
    expect(result.rest).toEqual(['rest']);
  });

  it('stops at -- and at the first non-flag', () => {
    const result = parseGoFlags(['--', '-version'], specs);
    expect(result.ok && result.rest).toEqual(['-version']);
  });

  it('reports errors in Go wording', () => {
    expect(parseGoFlags(['-nope'], specs)).toEqual({
      ok: false,
      error: 'flag provided but not defined: -nope',
    });
    expect(parseGoFlags(['-db'], specs)).toEqual({ ok: false, error: 'flag needs an argument: -db' });
    expect(parseGoFlags(['-version=maybe'], specs)).toMatchObject({ ok: false });
    expect(parseGoFlags(['---x'], specs)).toEqual({ ok: false, error: 'bad flag syntax: ---x' });
  });

  it('prints usage like flag.PrintDefaults', () => {
    expect(formatUsage('prog', specs)).toBe(
      [
        'Usage of prog:',
        '  -command string',
        '    \tpin',
        '  -db string',
        '    \tdatabase (default "./overseer.db")',
        '  -version',
        '    \tversion',
        '',
      ].join('\n'),
    );
  });
});
