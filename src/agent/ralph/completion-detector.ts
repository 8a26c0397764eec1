/**
 * Finds the completion marker `<promise>PHRASE</promise>` in what an agent produced for one task.
 *
 * Only output that belongs to the assignment is searched: structured messages (assistant text) that
 * arrived after the prompt was submitted, and terminal output (ANSI-stripped) that arrived after it.
 * The typed prompt itself never contains the marker (see task-prompt.ts), so the CLI's echo of what
 * was typed, however often the terminal repaints it, cannot complete a task; the session's screen is
 * cleared before each reused assignment, so an old task's marker is not repainted into a new one.
 */

import { assistantText, classifyMessage } from '../claude/claude-messages.js';
import { AnsiStreamStripper } from '../terminal/ansi.js';

/**
 * Most whitespace accepted around the phrase and inside it (characters). A terminal wraps a long
 * line with a newline and indentation; the marker may be split there. Bounded, so the text carried
 * between chunks is bounded too.
 */
const MAX_MARKER_GAP = 64;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The marker for `phrase`, tolerant of whitespace: Claude Code's renderer moves the cursor instead of
 * printing spaces, so stripped text may lose the spaces of a phrase ("ALL DONE" → "ALLDONE"), and a
 * wrap may add some.
 */
export function completionMarkerPattern(phrase: string, flags = ''): RegExp {
  const gap = `\\s{0,${MAX_MARKER_GAP}}`;
  const words = phrase.trim().split(/\s+/).map(escapeRegExp).join(gap);
  return new RegExp(`<promise>${gap}${words}${gap}</promise>`, flags);
}

export function containsCompletionMarker(text: string, phrase: string): boolean {
  return completionMarkerPattern(phrase).test(text);
}

/** Where the marker was seen. */
export type CompletionSource = 'structured' | 'terminal';

/** Watches one assignment's output for its marker. */
export class CompletionDetector {
  private readonly pattern: RegExp;
  private readonly stripper = new AnsiStreamStripper();
  /** Longest text a marker can span: the carried tail must hold a marker cut anywhere by a chunk. */
  private readonly carryChars: number;
  private tail = '';

  /**
   * @param messageCountAtStart the session's message count when the prompt was submitted: only
   *   messages after it are the agent's answer to this task.
   */
  constructor(
    phrase: string,
    private readonly messageCountAtStart: number,
  ) {
    this.pattern = completionMarkerPattern(phrase);
    this.carryChars =
      '<promise></promise>'.length + phrase.length * (MAX_MARKER_GAP + 1) + 2 * MAX_MARKER_GAP;
  }

  /** Raw terminal output (with escape sequences) that arrived after the prompt was submitted. */
  pushTerminal(chunk: string): boolean {
    const text = this.tail + this.stripper.push(chunk);
    if (this.pattern.test(text)) return true;
    this.tail = text.slice(-this.carryChars);
    return false;
  }

  /** Replies of the turns that answer this assignment (from the transcript). */
  checkTexts(texts: readonly string[]): boolean {
    return texts.some((text) => this.pattern.test(text));
  }

  /**
   * Assistant text among the structured messages that arrived since the prompt was submitted
   * (`messages` is the session's bounded list, `messageCount` its running total).
   */
  checkStructured(messages: readonly unknown[], messageCount: number): boolean {
    const fresh = Math.min(messageCount - this.messageCountAtStart, messages.length);
    if (fresh <= 0) return false;
    return messages
      .slice(messages.length - fresh)
      .some((message) => this.pattern.test(assistantText(classifyMessage(message))));
  }
}
