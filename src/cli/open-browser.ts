import { spawn } from 'node:child_process';

/**
 * Opens `url` in the desktop's browser when there is a desktop to open it on: a terminal user who
 * started `claudeman web` on their own machine lands on the page, logged in by the token in the URL.
 * Never on a server without a display, in CI, or when output is not a terminal; failures are silent
 * because the URL is printed anyway.
 */
export function openInBrowser(url: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (!process.stdout.isTTY || env.CI === 'true') return false;
  const opener =
    process.platform === 'darwin'
      ? 'open'
      : process.platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)
        ? 'xdg-open'
        : null;
  if (opener === null) return false;
  const child = spawn(opener, [url], { detached: true, stdio: 'ignore' });
  // A missing opener is not an error worth reporting: the URL is on the screen.
  child.on('error', () => {});
  child.unref();
  return true;
}
