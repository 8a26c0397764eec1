// The web UI and the CLI's commands are clients: what they share with the server is the wire, and
// every wire shape lives in src/protocol/. This fails when a client file imports from the server's
// own layers instead (a type reached that way would be a second definition of the wire, or tie the
// client to server internals). The CLI's entry points compose the server and may import it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Layers a client must not import from. */
const SERVER_LAYERS = ['src/server', 'src/agent', 'src/supervisor', 'src/store', 'src/events'];
/** Composition: these start the servers. */
const ENTRY_POINTS = new Set(['src/cli/claudeman.ts', 'src/cli/sticky-overseer.ts']);

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name));
}

/** Every module specifier of static imports, re-exports and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const match of source.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)) {
    if (match[1] !== undefined) found.push(match[1]);
  }
  return found;
}

function serverImports(file: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  return specifiers(source)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => relative(ROOT, resolve(ROOT, dirname(file), specifier)))
    .filter((target) => SERVER_LAYERS.some((layer) => target === layer || target.startsWith(`${layer}/`)));
}

describe('clients import wire shapes only from src/protocol', () => {
  const clients = [...tsFiles('web'), ...tsFiles('src/cli')].filter((file) => !ENTRY_POINTS.has(file));

  it('finds the client files', () => {
    expect(clients).toContain('web/terminal-connection.ts');
    expect(clients).toContain('src/cli/commands/attach.ts');
  });

  it('has no import of the server, agent, supervisor, store or event bus in web/ and src/cli/', () => {
    const offending = clients.flatMap((file) => serverImports(file).map((target) => `${file} → ${target}`));
    expect(offending).toEqual([]);
  });

  it('recognises such an import', () => {
    const source = "import { TOKEN_FILE } from '../../server/security/token.js';";
    expect(specifiers(source)).toEqual(['../../server/security/token.js']);
    expect(
      relative(ROOT, resolve(ROOT, 'src/cli/client', '../../server/security/token.js')).startsWith(
        'src/server/',
      ),
    ).toBe(true);
  });
});
