/**
 * Cross-site WebSocket protection: a browser always sends `Origin`; a page from another site must not
 * be able to open our sockets with the user's network position. Clients that are not browsers send no
 * Origin and are unaffected.
 */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (host === undefined) return false;
  let originHost: string;
  try {
    originHost = new URL(origin).host;
  } catch {
    // "null" (sandboxed frames, file: pages) and garbage are not a same-site origin.
    return false;
  }
  return originHost.toLowerCase() === host.toLowerCase();
}
