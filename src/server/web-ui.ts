import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { notBuiltPage } from './web-ui-pages.js';

/**
 * Where the built UI lives: `dist/web` beside the compiled server (`dist/server/web-ui.js` →
 * `dist/web`), or, when the server runs from the TypeScript sources (tests, tsx), the checkout's
 * `dist/web` built by scripts/build-web.mjs.
 */
export function defaultWebRoot(): string {
  const compiled = fileURLToPath(new URL('../web/', import.meta.url));
  if (existsSync(`${compiled}index.html`)) return compiled;
  return fileURLToPath(new URL('../../dist/web/', import.meta.url));
}

export interface WebUiOptions {
  /** Directory with index.html, app.js, styles.css, xterm.css; default defaultWebRoot(). */
  readonly root?: string;
}

/**
 * The browser UI: `GET /` answers index.html, `/assets/<file>` the bundle and styles. Only the files
 * present at start are routed (no wildcard), so unknown paths still get the API's JSON 404. The access
 * hook guards all of it; a navigation without the token gets the token page (web-ui-pages.ts).
 */
export const webUiRoutes =
  (options: WebUiOptions = {}): FastifyPluginAsync =>
  async (app) => {
    const root = options.root ?? defaultWebRoot();
    const indexFile = `${root}${root.endsWith('/') ? '' : '/'}index.html`;
    const built = existsSync(indexFile);
    // Read once: the page is small and changes only with a rebuild (which means a restart).
    const indexHtml = built ? readFileSync(indexFile, 'utf8') : notBuiltPage();
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .code(built ? 200 : 503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        // Its Content-Security-Policy (own files only, no framing) comes with every response:
        // see security/browser-headers.ts.
        .send(indexHtml),
    );
    if (!built) return;
    await app.register(fastifyStatic, {
      root,
      prefix: '/assets/',
      wildcard: false,
      index: false,
      decorateReply: false,
      schemaHide: true,
      cacheControl: true,
      maxAge: 0,
    });
  };
