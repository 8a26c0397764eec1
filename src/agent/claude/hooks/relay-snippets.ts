/**
 * Source text shared by the relay programs (relay-script.ts, status-relay-script.ts), which are
 * written out as plain Node files and cannot import from the server.
 *
 * `currentUrl()`: an agent can outlive the server that started it (tmux), and the next server may
 * listen elsewhere: the address in server.json next to the relay (the running server's) is tried
 * first, with the path of the `url` the relay was given. Needs `readFileSync` and `url` in scope.
 */
export const CURRENT_URL_FUNCTION = `function currentUrl() {
  try {
    const server = JSON.parse(readFileSync(new URL('./server.json', import.meta.url), 'utf8'));
    const target = new URL(url);
    return new URL(target.pathname + target.search, server.url).href;
  } catch {
    return url;
  }
}`;
