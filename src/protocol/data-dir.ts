/**
 * Files of the data directory (`--data-dir`, `CLAUDEMAN_HOME`, `~/.claudeman`) that the server writes
 * and a client on the same machine reads to reach it: the CLI finds its token there.
 */

/** The access token (0600), read by the CLI when no `--token`/`CLAUDEMAN_TOKEN` is given. */
export const TOKEN_FILE = 'token';
