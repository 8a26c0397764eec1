import type { TranscriptEntry } from '../../src/protocol/rest/transcript.js';
import { formatTime, h } from '../dom.js';

/**
 * How one transcript entry looks: prompts and replies as plain text (pre-wrap), a tool call as a
 * folded <details> showing its input and, once it comes, its result; errors red, system notes muted.
 * Every text goes in as a text node (h() never parses HTML): what the agent wrote is never markup.
 */

/** Results are long (file contents, command output): the page shows their start. */
const MAX_OUTPUT_CHARS = 20_000;

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function prettyInput(input: unknown): string {
  if (input === undefined) return '';
  if (typeof input === 'string') return input;
  try {
    return JSON.stringify(input, null, 2) ?? '';
  } catch {
    return String(input);
  }
}

/** A one-line hint of what a tool call does (its description or command), for the folded summary. */
function inputHint(input: unknown): string {
  if (typeof input !== 'object' || input === null) return '';
  const record = input as Record<string, unknown>;
  for (const key of ['description', 'command', 'file_path', 'path', 'pattern', 'url', 'query']) {
    const value = record[key];
    if (typeof value === 'string' && value !== '')
      return value.length > 80 ? `${value.slice(0, 80)}…` : value;
  }
  return '';
}

function meta(entry: TranscriptEntry): string {
  return `#${entry.seq} · turn ${entry.turn} · ${formatTime(entry.ts)}${entry.model === undefined ? '' : ` · ${entry.model}`}`;
}

/** The result part of a tool call's details: filled when the result arrives. */
export function fillResult(slot: HTMLElement, result: TranscriptEntry): void {
  slot.replaceChildren(
    h('div', { class: 'tx-label' }, result.isError === true ? 'Error' : 'Result'),
    h('pre', { class: 'tx-pre', 'data-testid': 'tool-output' }, clip(result.output ?? '', MAX_OUTPUT_CHARS)),
  );
  slot.classList.toggle('is-error', result.isError === true);
  slot.closest('details')?.classList.toggle('is-error', result.isError === true);
}

/** A tool call, folded; `slot` is where its result goes. */
export function toolCall(entry: TranscriptEntry): { element: HTMLElement; slot: HTMLElement } {
  const slot = h(
    'div',
    { class: 'tx-result pending' },
    h('div', { class: 'tx-label muted' }, 'waiting for the result…'),
  );
  const hint = inputHint(entry.input);
  const element = h(
    'details',
    { class: 'tx tx-tool', title: meta(entry), 'data-testid': 'tool-call' },
    h(
      'summary',
      {},
      h('span', { class: 'tx-tool-name' }, entry.tool ?? 'tool'),
      hint === '' ? null : h('span', { class: 'tx-tool-hint' }, hint),
    ),
    h('div', { class: 'tx-label' }, 'Input'),
    h('pre', { class: 'tx-pre', 'data-testid': 'tool-input' }, prettyInput(entry.input)),
    slot,
  );
  return { element, slot };
}

/** Any entry but a tool call (a result is shown alone only when its call is not on the page). */
export function plainEntry(entry: TranscriptEntry): HTMLElement {
  const title = meta(entry);
  switch (entry.kind) {
    case 'user':
      return h(
        'div',
        { class: 'tx tx-user', title },
        h('div', { class: 'tx-who' }, 'You'),
        h('div', { class: 'tx-text' }, entry.text ?? ''),
      );
    case 'assistant':
      return h(
        'div',
        { class: 'tx tx-assistant', title },
        h('div', { class: 'tx-who' }, 'Claude'),
        h('div', { class: 'tx-text' }, entry.text ?? ''),
      );
    case 'error':
      return h(
        'div',
        { class: 'tx tx-error', title, role: 'note' },
        h('div', { class: 'tx-text' }, entry.text ?? ''),
      );
    case 'tool_result': {
      const slot = h('div', { class: 'tx-result' });
      const element = h(
        'details',
        { class: 'tx tx-tool', title },
        h('summary', {}, h('span', { class: 'tx-tool-name' }, `result of ${entry.tool ?? 'a tool'}`)),
        slot,
      );
      fillResult(slot, entry);
      return element;
    }
    default:
      return h('div', { class: 'tx tx-system', title }, entry.text ?? entry.kind);
  }
}
