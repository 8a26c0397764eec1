import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Headers that keep a browser from turning our responses against the user:
 * - `Content-Security-Policy` with `frame-ancestors 'none'` and `X-Frame-Options: DENY` (for older
 *   browsers): the logged-in UI cannot be framed by a page on another port or site (clickjacking);
 *   the rest of the policy allows only what the bundled UI loads — its own scripts, styles and
 *   sockets — so injected markup could not pull in or send anything elsewhere. Inline styles stay
 *   allowed: xterm.js and the token page set them.
 * - `X-Content-Type-Options: nosniff`: a JSON or text reply is never run as a script or styled as CSS.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const BROWSER_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * An onRequest hook, registered before every other, that puts the headers on the raw response: so
 * they go out with every reply — routes, refusals of later hooks, 404s, errors, static files and the
 * event stream (which writes its head itself).
 */
export async function setBrowserHeaders(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  for (const [name, value] of Object.entries(BROWSER_HEADERS)) reply.raw.setHeader(name, value);
}
