import { CliError, NOT_RUNNING } from './errors.js';
import type { ServerAddress } from './locate.js';

/** A JSON response: the parsed value and the exact text the server sent (for `--json`). */
export interface ApiResponse<T> {
  readonly value: T;
  readonly text: string;
  /** A paged list's cursor of the next page (its X-Next-Cursor header), or null on the last page. */
  readonly nextCursor?: string | null;
}

const CONNECTION_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** The REST client: bearer token, JSON bodies, API errors turned into CliErrors (exit 1). */
export class ApiClient {
  constructor(readonly server: ServerAddress) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (this.server.token !== undefined) headers.authorization = `Bearer ${this.server.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(`${this.server.url}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const code = connectionErrorCode(error);
      if (code !== undefined && CONNECTION_ERRORS.has(code)) {
        throw new CliError(`${NOT_RUNNING} (nothing answers at ${this.server.url}: ${code})`);
      }
      throw new CliError(`cannot reach ${this.server.url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    if (response.status === 401) {
      throw new CliError(
        'access token refused: pass --token (or CLAUDEMAN_TOKEN), or --data-dir for the server’s data directory (its token file)',
      );
    }
    let value: unknown;
    try {
      value = text === '' ? null : JSON.parse(text);
    } catch {
      throw new CliError(`${method} ${path}: HTTP ${response.status}, not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok) {
      const { error, code } = (value ?? {}) as { error?: unknown; code?: unknown };
      const message = typeof error === 'string' ? error : `HTTP ${response.status}`;
      throw new CliError(typeof code === 'string' ? `${message} (${code})` : message);
    }
    return { value: value as T, text, nextCursor: response.headers.get('x-next-cursor') };
  }

  get<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('GET', path);
  }

  /**
   * Every item of a paged list (`GET /api/tasks`, `/api/cases`, `/api/overseer/tasks`): the pages are
   * followed through their X-Next-Cursor. `text` is the server's own when it was one page, else null
   * (the items together may be too large for one string: print them with printJsonItems).
   */
  async list<T>(path: string): Promise<{ readonly value: T[]; readonly text: string | null }> {
    const first = await this.get<T[]>(path);
    if (first.nextCursor === null || first.nextCursor === undefined)
      return { value: first.value, text: first.text };
    const items = [...first.value];
    let cursor: string | null | undefined = first.nextCursor;
    const separator = path.includes('?') ? '&' : '?';
    while (cursor !== null && cursor !== undefined) {
      const page: ApiResponse<T[]> = await this.get<T[]>(`${path}${separator}cursor=${enc(cursor)}`);
      items.push(...page.value);
      cursor = page.nextCursor;
    }
    return { value: items, text: null };
  }

  post<T>(path: string, body?: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('POST', path, body ?? {});
  }
  put<T>(path: string, body: unknown): Promise<ApiResponse<T>> {
    return this.request<T>('PUT', path, body);
  }
  delete<T>(path: string): Promise<ApiResponse<T>> {
    return this.request<T>('DELETE', path);
  }

  /** `ws://…<path>?token=…` for the WebSocket endpoints. */
  wsUrl(path: string): string {
    const url = new URL(path, this.server.url);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    if (this.server.token !== undefined) url.searchParams.set('token', this.server.token);
    return url.toString();
  }
}

export const enc = encodeURIComponent;

/** The socket error under fetch's "fetch failed" (an AggregateError when several addresses were tried). */
function connectionErrorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code ?? cause?.errors?.find((inner) => inner.code !== undefined)?.code;
}
