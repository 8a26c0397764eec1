/**
 * Command-line flags parsed the way Go's `flag` package does, so `sticky-overseer` accepts what the
 * original accepted: `-name value`, `-name=value`, `--name`, boolean flags without a value, and `--`
 * to end the flags. Errors read like Go's.
 */
export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'bool';
  readonly usage: string;
  readonly defaultValue?: string;
}

export type FlagValues = Map<string, string | boolean>;

export type FlagParseResult =
  | { readonly ok: true; readonly values: FlagValues; readonly rest: readonly string[] }
  | { readonly ok: false; readonly error: string };

export function parseGoFlags(argv: readonly string[], specs: readonly FlagSpec[]): FlagParseResult {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const values: FlagValues = new Map();
  let index = 0;
  while (index < argv.length) {
    const arg = argv[index] ?? '';
    if (arg.length < 2 || !arg.startsWith('-')) break;
    index++;
    if (arg === '--') break;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) {
      return { ok: false, error: `bad flag syntax: ${arg}` };
    }
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? undefined : body.slice(eq + 1);
    const spec = byName.get(name);
    if (spec === undefined) return { ok: false, error: `flag provided but not defined: -${name}` };
    if (spec.kind === 'bool') {
      if (inline === undefined || inline === 'true' || inline === '1') values.set(name, true);
      else if (inline === 'false' || inline === '0') values.set(name, false);
      else return { ok: false, error: `invalid boolean value "${inline}" for -${name}: parse error` };
      continue;
    }
    if (inline !== undefined) {
      values.set(name, inline);
      continue;
    }
    const next = argv[index];
    if (next === undefined) return { ok: false, error: `flag needs an argument: -${name}` };
    values.set(name, next);
    index++;
  }
  return { ok: true, values, rest: argv.slice(index) };
}

/** Usage text in the layout of Go's flag.PrintDefaults. */
export function formatUsage(program: string, specs: readonly FlagSpec[]): string {
  const lines = [`Usage of ${program}:`];
  for (const spec of [...specs].sort((a, b) => a.name.localeCompare(b.name))) {
    lines.push(spec.kind === 'string' ? `  -${spec.name} string` : `  -${spec.name}`);
    const suffix = spec.defaultValue ? ` (default ${JSON.stringify(spec.defaultValue)})` : '';
    lines.push(`    \t${spec.usage}${suffix}`);
  }
  return `${lines.join('\n')}\n`;
}
