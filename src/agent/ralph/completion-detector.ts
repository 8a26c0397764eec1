/**
 * Finds the completion marker `<promise>PHRASE</promise>` in what an agent produced for one task.
 *
 * Only output that belongs to the assignment is searched: structured messages (assistant text) that
 * arrived after the prompt was submitted, and terminal output (ANSI-stripped) that arrived after it.
 * For a CLI read from the screen, the typed prompt never contains the marker (see task-prompt.ts), so
 * the CLI's echo of what was typed, however often the terminal repaints it, cannot complete a task.
 * A CLI that reports its turns is read from its replies only and gets the prompt as written, marker
 * and all: a reply that merely quotes the prompt around the marker ("You asked me to print
 * <promise>DONE</promise> when done") is not the agent's own marker (see `ownMarkerIn`).
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

/** Characters on each side of a marker compared with the prompt to tell a quote from the agent's own. */
const QUOTE_CONTEXT_CHARS = 24;
/** Letters of the prompt around a marker that make it a quote (more than a stray space or a colon). */
const QUOTE_MIN_CHARS = 8;

const squashed = (text: string): string => text.replace(/\s+/g, ' ');

/**
 * Whether `reply` holds a marker of the agent's own: one that is not a verbatim quote of `prompt`
 * (whitespace runs compared as one space), i.e. whose surroundings in the reply do not continue the
 * prompt's text for QUOTE_MIN_CHARS or more on either side. A marker on a line of its own is the
 * agent's; "Echo: Fix it. Print <promise>DONE</promise> when done." quotes the prompt.
 */
export function ownMarkerIn(reply: string, pattern: RegExp, prompt: string | null): boolean {
  const every = new RegExp(pattern.source, 'g');
  const said = squashed(prompt ?? '');
  const quoted = (text: string): boolean => said.includes(squashed(text));
  for (const match of reply.matchAll(every)) {
    if (prompt === null) return true;
    const start = match.index ?? 0;
    const end = start + match[0].length;
    let before = '';
    for (let k = 1; k <= Math.min(QUOTE_CONTEXT_CHARS, start); k++) {
      if (!quoted(reply.slice(start - k, end))) break;
      before = reply.slice(start - k, start);
    }
    let after = '';
    for (let k = 1; k <= Math.min(QUOTE_CONTEXT_CHARS, reply.length - end); k++) {
      if (!quoted(reply.slice(start, end + k))) break;
      after = reply.slice(end, end + k);
    }
    if (before.trim().length + after.trim().length < QUOTE_MIN_CHARS) return true;
  }
  return false;
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
    /** What was typed, when it holds the marker: a reply quoting it does not complete the task. */
    private readonly typedPrompt: string | null = null,
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
    return texts.some((text) => ownMarkerIn(text, this.pattern, this.typedPrompt));
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
      .some((message) =>
        ownMarkerIn(assistantText(classifyMessage(message)), this.pattern, this.typedPrompt),
      );
  }
}
