import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { h } from '../dom.js';
import { TerminalConnection } from '../terminal-connection.js';
import { formatBytes, TerminalWriter } from '../terminal-writer.js';

/** Resize messages wait this long for the window to settle (dragging sends dozens of events). */
const RESIZE_DEBOUNCE_MS = 120;

/**
 * A live terminal: xterm.js fitted to its box, wired to the session's terminal socket. One exists per
 * visible session; switching sessions disposes it (the server's replay redraws the screen on return).
 */
export class TerminalView {
  readonly element: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly terminal: Terminal;
  private readonly fit = new FitAddon();
  private readonly writer: TerminalWriter;
  private readonly connection: TerminalConnection;
  private readonly observer: ResizeObserver;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  private lastSize = '';

  constructor(
    readonly sessionId: string,
    shouldRetry: () => boolean,
  ) {
    const host = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
    this.banner = h('div', { class: 'terminal-banner', hidden: true, role: 'status' });
    this.element = h('div', { class: 'terminal-view' }, this.banner, host);
    this.terminal = new Terminal({
      cursorBlink: true,
      convertEol: false,
      scrollback: 5000,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      fontSize: 13,
      theme: { background: '#0d1117', foreground: '#e6edf3', cursor: '#e6edf3' },
      allowProposedApi: false,
    });
    this.terminal.loadAddon(this.fit);
    this.writer = new TerminalWriter(this.terminal, (chars) => this.connection.ack(chars));
    this.connection = new TerminalConnection(
      sessionId,
      {
        reset: () => {
          this.writer.clear();
          this.terminal.reset();
        },
        write: (data, acked) => this.writer.write(data, acked),
        skipped: (chars) => {
          // Total skipped on this page (characters), for diagnostics (and the browser tests).
          const total = Number(document.body.dataset.skippedChars ?? '0') + chars;
          document.body.dataset.skippedChars = String(total);
          this.writer.notice(`skipped ${formatBytes(chars)} — showing the latest`);
          this.showBanner(`Output was too fast to draw: skipped ${formatBytes(chars)}, showing the latest.`);
        },
        exited: (code, signal) => {
          const how = signal === null ? `code ${code ?? '?'}` : `signal ${signal}`;
          this.writer.notice(`process exited (${how})`);
        },
        status: (text) => this.showBanner(text),
      },
      shouldRetry,
    );
    this.terminal.onData((data) => this.connection.send(data));
    this.terminal.onBinary((data) => this.connection.send(data));
    // Session shortcuts (Alt+digit, Alt+arrows) belong to the page, not to the program in the terminal.
    this.terminal.attachCustomKeyEventHandler(
      (event) => !(event.altKey && (/^Digit[1-9]$/.test(event.code) || event.key.startsWith('Arrow'))),
    );
    this.terminal.open(host);
    this.observer = new ResizeObserver(() => this.scheduleFit());
    this.observer.observe(host);
    this.scheduleFit();
  }

  focus(): void {
    this.terminal.focus();
  }

  get size(): { cols: number; rows: number } {
    return { cols: this.terminal.cols, rows: this.terminal.rows };
  }

  dispose(): void {
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    this.observer.disconnect();
    this.writer.dispose();
    this.connection.close();
    this.terminal.dispose();
  }

  private showBanner(text: string | null): void {
    this.banner.hidden = text === null;
    this.banner.textContent = text ?? '';
    if (text?.startsWith('Output was too fast')) {
      // The notice stays a few seconds, long enough to be read, then gets out of the way.
      setTimeout(() => {
        if (this.banner.textContent === text) this.banner.hidden = true;
      }, 6000);
    }
  }

  private scheduleFit(): void {
    if (this.resizeTimer !== null) clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => {
      this.resizeTimer = null;
      if (this.element.offsetParent === null) return;
      this.fit.fit();
      const size = `${this.terminal.cols}x${this.terminal.rows}`;
      if (size === this.lastSize) return;
      this.lastSize = size;
      this.element.dataset.size = size;
      this.connection.resize(this.terminal.cols, this.terminal.rows);
    }, RESIZE_DEBOUNCE_MS);
  }
}
