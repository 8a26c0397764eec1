// The floor plan (docs/architecture.md), checked on the sources rather than by hand: which layer may
// import which, every wire shape defined once in src/protocol/, and no source file over 400 lines.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const MAX_LINES = 400;

function sourcesUnder(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourcesUnder(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) files.push(path);
  }
  return files;
}

const SOURCES = [...sourcesUnder('src'), ...sourcesUnder('web')];
const text = new Map(SOURCES.map((file) => [file, readFileSync(join(ROOT, file), 'utf8')]));

/**
 * The repository paths (`src/store/database.ts`) a file imports, relative imports only: static
 * imports, re-exports and dynamic `import()`.
 */
function importsOf(file: string, source = text.get(file) ?? ''): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles
    .map((imported) => imported.fileName)
    .filter((name) => name.startsWith('.'))
    .map((name) => relative(ROOT, resolve(ROOT, dirname(file), name)).replace(/\.js$/, '.ts'));
}

/**
 * Every import from a file under one of `from` (but those in `except`) into one of `forbidden`, as
 * `file → import`.
 */
function crossings(
  from: readonly string[],
  forbidden: readonly string[],
  except: ReadonlySet<string> = new Set(),
): string[] {
  const found: string[] = [];
  for (const file of SOURCES) {
    if (!from.some((prefix) => file.startsWith(prefix)) || except.has(file)) continue;
    for (const target of importsOf(file)) {
      if (forbidden.some((prefix) => target.startsWith(prefix))) found.push(`${file} → ${target}`);
    }
  }
  return found;
}

const ENGINE_AND_FACES = [
  'src/agent/',
  'src/git/',
  'src/server/',
  'src/supervisor/',
  'src/store/',
  'src/events/',
  'src/cli/',
];

/** The CLI's entry points start the servers: composition, not a client. */
const ENTRY_POINTS = new Set(['src/cli/claudeman.ts', 'src/cli/sticky-overseer.ts']);

describe('the floor plan', () => {
  it('finds the sources, the clients among them', () => {
    expect(SOURCES).toContain('web/terminal-connection.ts');
    expect(SOURCES).toContain('src/cli/commands/attach.ts');
  });

  it('has the clients (web/, src/cli/ but its entry points) import from the server side only wire shapes', () => {
    // What they share with the server is the wire, and every wire shape lives in src/protocol/.
    const serverLayers = ['src/server/', 'src/agent/', 'src/supervisor/', 'src/store/', 'src/events/'];
    expect(crossings(['web/', 'src/cli/'], serverLayers, ENTRY_POINTS)).toEqual([]);
  });

  it('recognises static, re-exported and dynamic imports', () => {
    const source = [
      "import { TOKEN_FILE } from '../../server/security/token.js';",
      "export { x } from './output.js';",
      "const later = await import('../../agent/cases/cases.js');",
    ].join('\n');
    expect(importsOf('src/cli/client/locate.ts', source)).toEqual([
      'src/server/security/token.ts',
      'src/cli/client/output.ts',
      'src/agent/cases/cases.ts',
    ]);
  });

  it('keeps the store a leaf: it imports nothing from the engine or the faces', () => {
    expect(crossings(['src/store/'], ['src/agent/', 'src/server/', 'src/supervisor/', 'src/cli/'])).toEqual(
      [],
    );
  });

  it('keeps git a leaf beside the store: src/git imports only itself, src/protocol and src/util', () => {
    const above = ['src/agent/', 'src/server/', 'src/supervisor/', 'src/store/', 'src/events/', 'src/cli/'];
    expect(crossings(['src/git/'], above)).toEqual([]);
  });

  it('keeps the wire shapes below everything: src/protocol imports only itself and src/util', () => {
    expect(crossings(['src/protocol/'], ENGINE_AND_FACES)).toEqual([]);
  });

  it('keeps the engine off the faces: agent, supervisor and events import nothing from server or cli', () => {
    expect(crossings(['src/agent/', 'src/supervisor/', 'src/events/'], ['src/server/', 'src/cli/'])).toEqual(
      [],
    );
  });

  it('has no source file over 400 lines', () => {
    const long = SOURCES.map((file) => ({ file, lines: (text.get(file) ?? '').split('\n').length - 1 }))
      .filter((entry) => entry.lines > MAX_LINES)
      .map((entry) => `${entry.file}: ${entry.lines} lines`);
    expect(long).toEqual([]);
  });

  it('defines each wire shape once: no type outside src/protocol shares a name with one inside', () => {
    const declared = (file: string): string[] => {
      const names: string[] = [];
      const source = ts.createSourceFile(file, text.get(file) ?? '', ts.ScriptTarget.Latest, false);
      for (const statement of source.statements) {
        if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
          names.push(statement.name.text);
        }
      }
      return names;
    };
    const protocol = new Map<string, string>();
    for (const file of SOURCES.filter((f) => f.startsWith('src/protocol/'))) {
      for (const name of declared(file)) protocol.set(name, file);
    }
    const copies: string[] = [];
    for (const file of SOURCES.filter((f) => !f.startsWith('src/protocol/'))) {
      for (const name of declared(file)) {
        const original = protocol.get(name);
        if (original !== undefined) copies.push(`${file}: ${name} (defined in ${original})`);
      }
    }
    expect(copies).toEqual([]);
  });

  it('defines each wire shape once: no interface restates one of src/protocol key for key', () => {
    const shapes = (file: string): Array<{ name: string; keys: string }> => {
      const found: Array<{ name: string; keys: string }> = [];
      const source = ts.createSourceFile(file, text.get(file) ?? '', ts.ScriptTarget.Latest, false);
      for (const statement of source.statements) {
        if (!ts.isInterfaceDeclaration(statement)) continue;
        const keys = statement.members
          .map((member) =>
            member.name !== undefined && ts.isIdentifier(member.name) ? member.name.text : '',
          )
          .filter((key) => key !== '')
          .sort();
        // Two or three keys match by chance (`{ok, code, message}`); a restated wire shape has more.
        if (keys.length >= 4) found.push({ name: statement.name.text, keys: keys.join(',') });
      }
      return found;
    };
    const protocol = new Map<string, string>();
    const copies: string[] = [];
    for (const file of SOURCES.filter((f) => f.startsWith('src/protocol/'))) {
      for (const shape of shapes(file)) {
        const first = protocol.get(shape.keys);
        if (first !== undefined) copies.push(`${file}: ${shape.name} restates ${first}`);
        else protocol.set(shape.keys, `${file} ${shape.name}`);
      }
    }
    for (const file of SOURCES.filter((f) => !f.startsWith('src/protocol/'))) {
      for (const shape of shapes(file)) {
        const original = protocol.get(shape.keys);
        if (original !== undefined) copies.push(`${file}: ${shape.name} restates ${original}`);
      }
    }
    expect(copies).toEqual([]);
  });

  it('names the terminal size limit and the prompt limit in one place each', () => {
    const limitLiterals =
      /\b(?:500|200)\b.*\b(?:cols|rows|columns)\b|\b(?:cols|rows|columns)\b.*\b(?:500|200)\b|\b100_?000\b.*(?:prompt|chars)/i;
    const places = SOURCES.filter((file) => file !== 'src/protocol/limits.ts').flatMap((file) =>
      (text.get(file) ?? '')
        .split('\n')
        .filter(
          (line) => limitLiterals.test(line) && !line.trim().startsWith('*') && !line.trim().startsWith('//'),
        )
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(places).toEqual([]);
  });
});
