import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { MAX_TERMINAL_COLS, MAX_TERMINAL_ROWS } from '../../src/protocol/limits.js';
import { TerminalViewLimits } from '../../src/protocol/terminal-frames.js';
import { h } from '../dom.js';
import { ScreenFilter } from '../screen-filter.js';
import { TerminalConnection } from '../terminal-connection.js';
import { formatBytes, TerminalWriter } from '../terminal-writer.js';

/** Resize messages wait this long for the window to settle (dragging sends dozens of events). */
const RESIZE_DEBOUNCE_MS = 120;
/** Lines kept to scroll back to: the server's history and as much again of what arrives live. */
const SCROLLBACK_LINES = 2 * TerminalViewLimits.historyLines;
/** Pixels per line when a wheel reports pixels and the cell height is not known yet. */
const FALLBACK_LINE_PX = 17;

interface Size {
  readonly cols: number;
  readonly rows: number;
}

const same = (a: Size | null, b: Size | null): boolean =>
  a !== null && b !== null && a.cols === b.cols && a.rows === b.rows;

/**
 * A live terminal, wired to the session's terminal socket. It is a view of the agent's terminal:
 * drawn at the agent's size, which follows the viewer that typed last (see the README). When that is
 * not this box's size, the terminal is letterboxed in it, framed, with a note; typing here takes the
 * size over. The mouse wheel scrolls the scrollback (the agent's history, then what scrolls off)
 * and never becomes keys. One view exists per visible session; switching sessions disposes it.
 */
export class TerminalView {
  readonly element: HTMLElement;
  private readonly host: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly note: HTMLElement;
  private readonly terminal: Terminal;
  private readonly fit = new FitAddon();
  private readonly writer: TerminalWriter;
  private readonly filter = new ScreenFilter();
  private readonly connection: TerminalConnection;
  private readonly observer: ResizeObserver;
  private resizeTimer: ReturnType<typeof setTimeout> | null = null;
  /** This box in cells (what it sends as its size); null until laid out. */
  private fitted: Size | null = null;
  /** The agent's size, as the server last said; null until it has. */
  private agent: Size | null = null;
  /** Pixels of wheel movement not yet a whole line. */
  private wheelRest = 0;
  /** The screen came from tmux (its scrollback is the server's `history`)… */
  private snapshot = false;
  /** …and output came since, which may have scrolled off without reaching this scrollback. */
  private stale = false;
  private refreshing = false;
  private atBottom = true;

  constructor(
    readonly sessionId: string,
    shouldRetry: () => boolean,
  ) {
    this.host = h('div', { class: 'terminal-host', 'data-testid': 'terminal' });
    this.banner = h('div', { class: 'terminal-banner', hidden: true, role: 'status' });
    this.note = h('div', { class: 'terminal-size-note', 'aria-live': 'polite' });
    this.element = h('div', { class: 'terminal-view' }, this.banner, this.host, this.note);
    this.terminal = new Terminal({
      cursorBlink: true,
      convertEol: false,
      scrollback: SCROLLBACK_LINES,
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
        replay: (data, history, size, snapshot) => this.replay(data, history, size, snapshot),
        write: (data, ackChars) => {
          this.stale = this.snapshot;
          this.writer.write(this.filter.apply(data), ackChars);
        },
        size: (cols, rows) => {
          this.agent = { cols, rows };
          this.layout();
        },
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
        status: (text) => {
          this.element.dataset.pendingInput = String(this.connection?.pendingInput ?? 0);
          this.showBanner(text);
        },
      },
      shouldRetry,
    );
    this.terminal.onData((data) => this.connection.send(data));
    this.terminal.onBinary((data) => this.connection.send(data));
    // Session shortcuts (Alt+digit, Alt+arrows) belong to the page, not to the program in the terminal.
    this.terminal.attachCustomKeyEventHandler(
      (event) => !(event.altKey && (/^Digit[1-9]$/.test(event.code) || event.key.startsWith('Arrow'))),
    );
    // xterm.js turns the wheel into Up/Down keys when there is no scrollback (the alternate screen,
    // or a fresh one), or into mouse reports when the program asked for them: either reached the agent
    // as input (Claude Code recalled its prompt history). The wheel only ever scrolls here.
    this.terminal.attachCustomWheelEventHandler((event) => {
      event.preventDefault();
      if (event.deltaY < 0) this.catchUpHistory();
      const lines = this.wheelLines(event);
      if (lines !== 0) this.terminal.scrollLines(lines);
      return false;
    });
    this.terminal.onScroll(() => {
      const buffer = this.terminal.buffer.active;
      // Output keeps a view at the bottom where it was: leaving it, a person starts scrolling back.
      // (Only then: a refresh redraws everything, which is no help to someone reading back there.)
      const atBottom = buffer.viewportY >= buffer.baseY;
      if (this.atBottom && !atBottom) this.catchUpHistory();
      this.atBottom = atBottom;
      this.describe();
    });
    this.terminal.onWriteParsed(() => this.describe());
    this.terminal.open(this.host);
    this.observer = new ResizeObserver(() => this.scheduleFit());
    this.observer.observe(this.host);
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

  /**
   * Scrolling back in a terminal from tmux after output: tmux redraws a burst rather than scrolling
   * it through its client, so lines the agent printed may be in tmux's history and not here. The
   * server's opening brings them (once; the next output makes it worth asking again).
   */
  private catchUpHistory(): void {
    if (!this.snapshot || !this.stale || this.refreshing) return;
    this.refreshing = true;
    this.connection.refresh();
  }

  /** The screen starts over at the replay's size: the history, pushed into the scrollback, then the replay. */
  private replay(data: string, history: string | null, size: Size | null, snapshot: boolean): void {
    this.writer.clear();
    this.filter.reset();
    if (size !== null) this.agent = size;
    // A refresh keeps the place of someone scrolling back: as far from the bottom as before.
    let fromBottom = 0;
    const refreshed = this.refreshing;
    this.writer.afterWritten(() => {
      const buffer = this.terminal.buffer.active;
      fromBottom = buffer.baseY - buffer.viewportY;
      this.terminal.reset();
    });
    this.snapshot = snapshot;
    this.stale = false;
    this.refreshing = false;
    this.layout();
    if (history !== null && history !== '') {
      this.writer.write(`${history}\r\n`);
      // The replay clears the screen: the history's last lines, still on it, go up into the scrollback.
      this.writer.afterWritten(() => {
        const lines = this.terminal.buffer.active.cursorY;
        if (lines > 0) this.terminal.write(`\x1b[${this.terminal.rows};1H${'\n'.repeat(lines)}\x1b[H`);
      });
    }
    this.writer.write(this.filter.apply(data));
    if (refreshed) {
      this.writer.afterWritten(() => {
        // Put back where the reader was, not left by them: no new refresh for this.
        if (fromBottom > 0) this.atBottom = false;
        this.terminal.scrollToLine(Math.max(0, this.terminal.buffer.active.baseY - fromBottom));
      });
    }
  }

  /**
   * Draws at the agent's size (this box's until the server has said), letterboxed when that is not
   * this box's. Queued with the output: what came before was drawn at the old size.
   */
  private layout(): void {
    const target = this.agent ?? this.fitted;
    if (target === null) return;
    const letterboxed = this.agent !== null && this.fitted !== null && !same(this.agent, this.fitted);
    this.writer.afterWritten(() => {
      if (target.cols !== this.terminal.cols || target.rows !== this.terminal.rows) {
        this.terminal.resize(target.cols, target.rows);
      }
      this.host.classList.toggle('letterboxed', letterboxed);
      this.element.dataset.agentSize = `${target.cols}x${target.rows}`;
      this.element.dataset.letterboxed = String(letterboxed);
      this.note.textContent = letterboxed
        ? `${target.cols}×${target.rows}, sized by another viewer — type to take over`
        : '';
      this.note.classList.toggle('shown', letterboxed);
      this.describe();
    });
  }

  /** The buffer's shape on the element, for people debugging and for the browser tests. */
  private describe(): void {
    const buffer = this.terminal.buffer.active;
    const data = this.host.dataset;
    data.bufferType = buffer.type;
    data.bufferLength = String(buffer.length);
    data.baseY = String(buffer.baseY);
    data.viewportY = String(buffer.viewportY);
    data.rows = String(this.terminal.rows);
  }

  private wheelLines(event: WheelEvent): number {
    if (event.deltaMode === WheelEvent.DOM_DELTA_LINE) return Math.trunc(event.deltaY);
    if (event.deltaMode === WheelEvent.DOM_DELTA_PAGE) return Math.trunc(event.deltaY * this.terminal.rows);
    const screen = this.host.querySelector<HTMLElement>('.xterm-screen');
    const lineHeight =
      screen !== null && screen.offsetHeight > 0
        ? screen.offsetHeight / this.terminal.rows
        : FALLBACK_LINE_PX;
    this.wheelRest += event.deltaY / lineHeight;
    const lines = Math.trunc(this.wheelRest);
    this.wheelRest -= lines;
    return lines;
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
      const proposed = this.fit.proposeDimensions();
      if (proposed === undefined || Number.isNaN(proposed.cols) || Number.isNaN(proposed.rows)) return;
      const fitted = {
        cols: Math.min(proposed.cols, MAX_TERMINAL_COLS),
        rows: Math.min(proposed.rows, MAX_TERMINAL_ROWS),
      };
      if (same(fitted, this.fitted)) return;
      this.fitted = fitted;
      this.element.dataset.size = `${fitted.cols}x${fitted.rows}`;
      this.connection.resize(fitted.cols, fitted.rows);
      this.layout();
    }, RESIZE_DEBOUNCE_MS);
  }
}
