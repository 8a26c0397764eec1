import type { Clock, TimerHandle } from '../../supervisor/clock.js';
import { stripAnsi } from '../terminal/ansi.js';

/**
 * How long a submitted prompt may go without the CLI's `UserPromptSubmit` hook before the session asks
 * for a person (ms). The hook fires as the CLI takes the prompt, well within a second; ten seconds is
 * beyond any machine's load and short enough that an unattended loop does not wait its whole task
 * timeout behind a start-up menu or a dialog that swallowed the text.
 */
export const STUCK_INPUT_MS = 10_000;
/** Lines of the screen quoted in the attention message: enough to see the menu or dialog. */
const EXCERPT_LINES = 6;
const EXCERPT_TAIL_CHARS = 8_000;

/** The last lines with text of a terminal's output, escape sequences removed. */
export function screenExcerpt(terminalOutput: string): string {
  const lines = stripAnsi(terminalOutput.slice(-EXCERPT_TAIL_CHARS))
    .split(/\r?\n|\r/)
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== '');
  return lines.slice(-EXCERPT_LINES).join('\n');
}

/**
 * One session's watch over submitted prompts: armed at a submit, disarmed by the CLI's word that it
 * took a prompt (or started a turn some other way); when it runs out, `stuck` is called once.
 * Slash commands are not watched: `/clear` and the like fire no `UserPromptSubmit`.
 */
export class StuckInputWatch {
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly stuck: () => void,
  ) {}

  submitted(text: string): void {
    if (text.trimStart().startsWith('/') || text.trim() === '') return;
    if (this.timer !== null) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.stuck();
    }, STUCK_INPUT_MS);
  }

  /** The CLI took a prompt or began a turn: nothing is stuck. */
  taken(): void {
    if (this.timer === null) return;
    this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  get armed(): boolean {
    return this.timer !== null;
  }

  dispose(): void {
    this.taken();
  }
}
