/**
 * The text typed into the agent's terminal for a task: the task's prompt and the instruction to print
 * the completion marker when done.
 *
 * A CLI that reports its turns gets the prompt as written (`promptAsWritten`): its replies are read,
 * never its screen, and a reply that only quotes the prompt does not count (completion-detector.ts).
 *
 * For a CLI read from the screen (no hooks), the typed text never contains the marker itself. The CLI shows what was typed (in the input box, in
 * the transcript, again on every repaint), so a marker in the typed text would be seen in the output
 * before the agent did anything. Counting occurrences or waiting for the end of the echo would depend
 * on how a given CLI version renders input; instead the instruction describes the marker in parts, and
 * a marker inside the task's own prompt (Ralph prompts often say "output <promise>DONE</promise> when
 * done") is replaced by a reference to that instruction. The agent learns exactly what to print, and
 * any marker in the output is the agent's own.
 */
import { completionMarkerPattern, containsCompletionMarker } from './completion-detector.js';

/** What stands in the prompt where the task's author wrote the marker. */
export const MARKER_REFERENCE = 'the completion marker';

function completionInstruction(phrase: string): string {
  return (
    `When the task is completely done, print ${MARKER_REFERENCE}: the tag "<promise>", ` +
    `then the phrase ${phrase}, then the tag "</promise>", written together on one line with nothing ` +
    'between them. Do not print it before the task is done.'
  );
}

/**
 * The prompt for a CLI that reports its turns (hooks and transcript), whose replies are read and not
 * its screen: the task's prompt exactly as written, followed by the instruction only when the prompt
 * does not name the marker itself.
 */
export function promptAsWritten(prompt: string, phrase: string): string {
  if (containsCompletionMarker(prompt, phrase)) return prompt;
  return (
    `${prompt}\n\nWhen the task is completely done, print <promise>${phrase}</promise> on a line of ` +
    'its own. Do not print it before the task is done.'
  );
}

export function buildTaskPrompt(prompt: string, phrase: string): string {
  const marker = completionMarkerPattern(phrase);
  const everyMarker = completionMarkerPattern(phrase, 'g');
  // Each pass removes a pair of tags (the reference holds none), so this ends; more than one pass is
  // needed only for nested tags whose inner marker, once replaced, completes an outer one.
  let body = prompt;
  while (marker.test(body)) body = body.replace(everyMarker, MARKER_REFERENCE);
  const text = `${body}\n\n${completionInstruction(phrase)}`;
  // The instruction quotes the tags and a phrase holds no quote, so it cannot form a marker either;
  // one here would be a bug that completes every task the moment its prompt is echoed.
  if (marker.test(text)) {
    throw new Error(`the typed prompt still contains the completion marker for ${JSON.stringify(phrase)}`);
  }
  return text;
}
