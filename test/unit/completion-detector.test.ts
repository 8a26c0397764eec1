import { describe, expect, it } from 'vitest';
import {
  CompletionDetector,
  completionMarkerPattern,
  containsCompletionMarker,
} from '../../src/agent/ralph/completion-detector.js';
import { buildTaskPrompt, MARKER_REFERENCE, promptAsWritten } from '../../src/agent/ralph/task-prompt.js';

const assistant = (text: string) => ({ type: 'assistant', message: { content: [{ type: 'text', text }] } });

describe('completion marker', () => {
  it('matches the phrase in promise tags, tolerating wraps and lost spaces', () => {
    expect(containsCompletionMarker('done <promise>TASK_COMPLETE</promise>', 'TASK_COMPLETE')).toBe(true);
    expect(containsCompletionMarker('<promise>\n   TASK_COMPLETE</promise>', 'TASK_COMPLETE')).toBe(true);
    expect(containsCompletionMarker('<promise>ALLDONE</promise>', 'ALL DONE')).toBe(true);
    expect(containsCompletionMarker('<promise>ALL  DONE</promise>', 'ALL DONE')).toBe(true);
    expect(containsCompletionMarker('<promise>TASK_COMPLETE', 'TASK_COMPLETE')).toBe(false);
    expect(containsCompletionMarker('<promise>OTHER</promise>', 'TASK_COMPLETE')).toBe(false);
    expect(containsCompletionMarker('<promise>TASK_COMPLETED</promise>', 'TASK_COMPLETE')).toBe(false);
  });

  it('takes the phrase literally (regex characters are escaped)', () => {
    expect(containsCompletionMarker('<promise>1+1=2 (ok)?</promise>', '1+1=2 (ok)?')).toBe(true);
    expect(containsCompletionMarker('<promise>11=2 ok</promise>', '1+1=2 (ok)?')).toBe(false);
    expect(completionMarkerPattern('a.b').test('<promise>axb</promise>')).toBe(false);
  });
});

describe('CompletionDetector', () => {
  it('finds the marker in terminal output split across chunks and escape sequences', () => {
    const detector = new CompletionDetector('DONE', 0);
    expect(detector.pushTerminal('\x1b[38;5;231m●\x1b[39m working on it\r\n  <prom')).toBe(false);
    expect(detector.pushTerminal('ise>\x1b[1')).toBe(false);
    expect(detector.pushTerminal('mDO')).toBe(false);
    expect(detector.pushTerminal('NE\x1b[0m</promise>\r\n')).toBe(true);
  });

  it('keeps only a bounded tail between chunks', () => {
    const detector = new CompletionDetector('DONE', 0);
    for (let i = 0; i < 1000; i++) expect(detector.pushTerminal('x'.repeat(10_000))).toBe(false);
    expect(detector.pushTerminal('<promise>DONE</promise>')).toBe(true);
  });

  it('reads only structured messages that arrived after the prompt', () => {
    const messages: unknown[] = [assistant('<promise>DONE</promise> from an earlier task')];
    const detector = new CompletionDetector('DONE', 1);
    expect(detector.checkStructured(messages, 1)).toBe(false);
    messages.push({ type: 'user', message: { content: '<promise>DONE</promise>' } });
    expect(detector.checkStructured(messages, 2)).toBe(false);
    messages.push(assistant('All finished.\n<promise>DONE</promise>'));
    expect(detector.checkStructured(messages, 3)).toBe(true);
  });

  it('copes with a trimmed message list (the count keeps growing, the list does not)', () => {
    const detector = new CompletionDetector('DONE', 600);
    const window = Array.from({ length: 500 }, () => assistant('busy'));
    expect(detector.checkStructured(window, 700)).toBe(false);
    window.shift();
    window.push(assistant('<promise>DONE</promise>'));
    expect(detector.checkStructured(window, 701)).toBe(true);
  });
});

describe('buildTaskPrompt', () => {
  it('appends the instruction, which names the phrase but is not itself a marker', () => {
    const text = buildTaskPrompt('Write the tests.', 'TASK_COMPLETE');
    expect(text.startsWith('Write the tests.\n\n')).toBe(true);
    expect(text).toContain('TASK_COMPLETE');
    expect(text).toContain('"<promise>"');
    expect(containsCompletionMarker(text, 'TASK_COMPLETE')).toBe(false);
    // Claude Code's renderer may drop spaces: still no marker.
    expect(containsCompletionMarker(text.replaceAll(' ', ''), 'TASK_COMPLETE')).toBe(false);
  });

  it("replaces a marker in the task's own prompt by a reference to the instruction", () => {
    const text = buildTaskPrompt('Fix it. Output <promise>DONE</promise> when done.', 'DONE');
    expect(text).toContain(`Fix it. Output ${MARKER_REFERENCE} when done.`);
    expect(containsCompletionMarker(text, 'DONE')).toBe(false);
    // A marker of another phrase is left alone: it completes nothing.
    expect(buildTaskPrompt('say <promise>OTHER</promise>', 'DONE')).toContain('<promise>OTHER</promise>');
  });

  it('leaves no marker even when replacing completes an outer pair of tags', () => {
    const phrase = MARKER_REFERENCE;
    const text = buildTaskPrompt(`<promise> <promise>${phrase}</promise></promise>`, phrase);
    expect(containsCompletionMarker(text, phrase)).toBe(false);
  });
});

describe('the prompt as written, for a CLI read from its replies', () => {
  const PHRASE = 'TASK_COMPLETE';
  const written = `Fix the parser. Print <promise>${PHRASE}</promise> when all tests pass.`;

  it('is sent unchanged when it names the marker, else with the instruction appended', () => {
    expect(promptAsWritten(written, PHRASE)).toBe(written);
    const plain = promptAsWritten('Fix the parser.', PHRASE);
    expect(plain.startsWith('Fix the parser.\n\n')).toBe(true);
    expect(containsCompletionMarker(plain, PHRASE)).toBe(true);
  });

  it("does not take a reply that quotes the prompt around the marker as the agent's own", () => {
    const detector = new CompletionDetector(PHRASE, 0, written);
    expect(detector.checkTexts([`Echo: ${written}`])).toBe(false);
    expect(detector.checkTexts([`You asked: "${written.replace(/ /g, '\n ')}"`])).toBe(false);
    expect(detector.checkTexts([`All tests pass now.\n<promise>${PHRASE}</promise>`])).toBe(true);
    expect(detector.checkTexts([`<promise>${PHRASE}</promise>`])).toBe(true);
    expect(detector.checkTexts([`Echo: ${written}\nDone: <promise>${PHRASE}</promise>`])).toBe(true);
    // Without a typed prompt to compare with (a task resumed after a restart), any marker counts.
    expect(new CompletionDetector(PHRASE, 0).checkTexts([`Echo: ${written}`])).toBe(true);
  });
});
