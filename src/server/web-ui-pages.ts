import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * HTML pages for people who open the UI in a browser without a valid token. The API's clients get the
 * JSON 401 body; a person who typed the address without `?token=` deserves an explanation instead.
 */

/** True for a top-level browser navigation (not fetch/XHR, not an API or WebSocket path). */
export function isBrowserNavigation(request: FastifyRequest): boolean {
  if (request.method !== 'GET' || request.headers.upgrade !== undefined) return false;
  const path = request.url.split('?', 1)[0] ?? '';
  if (path.startsWith('/api/') || path.startsWith('/ws') || path === '/metrics') return false;
  const mode = request.headers['sec-fetch-mode'];
  if (mode !== undefined) return mode === 'navigate';
  return (request.headers.accept ?? '').includes('text/html');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#111418;color:#e6e6e6;margin:0;display:grid;place-items:center;min-height:100vh}
main{max-width:34rem;padding:2rem;margin:1rem;background:#1b1f24;border:1px solid #2d333b;border-radius:10px}
h1{font-size:1.3rem;margin-top:0}code{background:#0d1117;padding:.1rem .35rem;border-radius:4px;word-break:break-all}
</style></head><body><main>${body}</main></body></html>`;
}

/** The page shown instead of the UI when the token is missing or wrong (status 401). */
export function sendTokenPage(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const hadToken = new URLSearchParams(request.url.split('?')[1] ?? '').has('token');
  const reason = hadToken
    ? 'The access token in this address is not the one this server uses.'
    : 'This page needs the access token of this Claudeman server.';
  const html = page(
    'Claudeman: access token needed',
    `<h1>Claudeman: access token needed</h1>
<p>${reason}</p>
<p>Open the address that <code>claudeman web</code> printed when it started, for example
<code>http://127.0.0.1:3000/?token=…</code>. The browser then keeps the token in a cookie, so later
visits work without it.</p>
<p>The token is also stored in the file <code>token</code> of the data directory
(<code>~/.claudeman/token</code> by default), or fixed by <code>CLAUDEMAN_TOKEN</code>.</p>`,
  );
  return reply
    .code(401)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(html);
}

/** Shown at `/` when the server runs from a checkout whose web UI has not been built. */
export function notBuiltPage(): string {
  return page(
    'Claudeman: web UI not built',
    `<h1>The web UI has not been built</h1>
<p>Run <code>npm run build</code> (or <code>node scripts/build-web.mjs</code>) and reload. The REST API
under <code>/api</code> works without it.</p>`,
  );
}
