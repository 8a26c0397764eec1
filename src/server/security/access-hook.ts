import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiErrorCode } from '../../protocol/errors.js';
import { sendApiError } from '../rest/error-reply.js';
import { isBrowserNavigation, sendTokenPage } from '../web-ui-pages.js';
import type { HostAllowlist } from './host-allowlist.js';
import { originAllowed } from './origin.js';
import { tokensMatch } from './token.js';

/**
 * The token cookie is named after the port the browser addressed (`claudeman_token_3000`): cookies
 * are kept per host, not per port, so one name for every server on this machine would let opening
 * a second server's token URL overwrite the first one's cookie and log the browser out of it.
 */
export const TOKEN_COOKIE_PREFIX = 'claudeman_token';

/** The cookie's name for a request with this `Host` header (port 80 when it names none). */
export function tokenCookieName(hostHeader: string | undefined): string {
  const port = /:(\d+)$/.exec(hostHeader ?? '')?.[1] ?? '80';
  return `${TOKEN_COOKIE_PREFIX}_${port}`;
}
/** Paths anyone who can reach the server may call: a liveness probe carries no secret. */
const PUBLIC_PATHS = new Set(['/healthz']);
/** Hook callbacks carry a per-session secret instead of the token (see routes/hooks.ts). */
const HOOK_PATH_PREFIX = '/api/hooks/';

export interface AccessPolicy {
  readonly token: string;
  /** Which `Host` headers name this server: DNS-rebinding protection. */
  readonly hosts: HostAllowlist;
}

/** The named cookie's value; undefined when absent or not valid percent-encoding (`%`, `%zz`). */
function cookieToken(header: string | undefined, cookieName: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== cookieName) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      // A malformed cookie is no token (401), never a server error.
      return undefined;
    }
  }
  return undefined;
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1];
}

function queryToken(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('token') ?? undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Guards every request: the `Host` must be one of ours (a page on another domain resolving to
 * 127.0.0.1 cannot talk to us), state-changing requests and WebSocket upgrades from a browser must
 * come from our own origin, and the token must come with the request as a bearer header, the cookie,
 * or `?token=` (which also sets the cookie, so the browser keeps it).
 */
export function accessHook(policy: AccessPolicy) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!policy.hosts.allows(request.headers.host)) {
      await sendApiError(
        reply,
        ApiErrorCode.HOST_NOT_ALLOWED,
        `host ${request.headers.host ?? '(none)'} is not allowed`,
      );
      return;
    }
    const isUpgrade = request.headers.upgrade !== undefined;
    if (
      (isUpgrade || !SAFE_METHODS.has(request.method)) &&
      !originAllowed(request.headers.origin, request.headers.host)
    ) {
      await sendApiError(reply, ApiErrorCode.ORIGIN_NOT_ALLOWED, 'cross-origin request refused');
      return;
    }
    const path = request.url.split('?', 1)[0] ?? '';
    if (PUBLIC_PATHS.has(path) || (path.startsWith(HOOK_PATH_PREFIX) && request.method === 'POST')) return;
    const fromQuery = queryToken(request.url);
    // The address's token wins over the cookie: a cookie left from an older token must not lock out
    // a person who opens the newly printed URL.
    const cookieName = tokenCookieName(request.headers.host);
    const given =
      bearerToken(request.headers.authorization) ??
      fromQuery ??
      cookieToken(request.headers.cookie, cookieName);
    if (!tokensMatch(policy.token, given)) {
      // A person opening the UI gets a page that says what to do; programs get the JSON error.
      if (isBrowserNavigation(request)) {
        await sendTokenPage(request, reply);
        return;
      }
      await sendApiError(
        reply,
        ApiErrorCode.UNAUTHORIZED,
        'missing or wrong access token: open the URL printed at start-up (it carries ?token=), or send "Authorization: Bearer <token>"',
      );
      return;
    }
    if (fromQuery !== undefined && given === fromQuery && !isUpgrade) {
      reply.header(
        'set-cookie',
        `${cookieName}=${encodeURIComponent(fromQuery)}; Path=/; HttpOnly; SameSite=Strict`,
      );
    }
  };
}
