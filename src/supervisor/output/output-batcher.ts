import type { Clock, TimerHandle } from '../clock.js';

/**
 * Coalesces a stream of output chunks: the first chunk after a quiet spell goes out at once (a
 * keystroke's echo is not delayed), chunks that follow within `windowMs` are joined and go out
 * together when the window ends (a flood becomes a few large events instead of thousands).
 */
export class OutputBatcher {
  private pending: string[] = [];
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly flush: (data: string) => void,
  ) {}

  push(chunk: string): void {
    if (chunk === '') return;
    if (this.timer === null) {
      this.flush(chunk);
      this.openWindow();
      return;
    }
    this.pending.push(chunk);
  }

  /** Sends what is pending now (e.g. before an exit event). */
  flushNow(): void {
    if (this.pending.length === 0) return;
    const data = this.pending.join('');
    this.pending = [];
    this.flush(data);
  }

  dispose(): void {
    this.flushNow();
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private openWindow(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      if (this.pending.length === 0) return;
      this.flushNow();
      this.openWindow();
    }, this.windowMs);
  }
}
