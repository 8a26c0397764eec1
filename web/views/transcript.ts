import { formatCost, h } from '../dom.js';
import type { TranscriptItem } from '../store.js';

/**
 * Renders the stream-json messages of one-shot runs as a conversation: assistant text, tool calls and
 * their results (folded), and the result line with its cost. Unknown shapes are shown as compact JSON,
 * never dropped, and nothing is interpreted as HTML.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

function contentBlocks(message: Json): unknown[] {
  const inner = message.message;
  if (!isObject(inner)) return [];
  const content = inner.content;
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return Array.isArray(content) ? content : [];
}

function short(value: unknown, max = 300): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function block(value: unknown): HTMLElement | null {
  if (!isObject(value)) return null;
  switch (value.type) {
    case 'text':
      return h('div', { class: 'msg-text' }, String(value.text ?? ''));
    case 'thinking':
      return h(
        'details',
        { class: 'msg-thinking' },
        h('summary', {}, 'thinking'),
        String(value.thinking ?? ''),
      );
    case 'tool_use':
      return h(
        'div',
        { class: 'msg-tool' },
        h('span', { class: 'tool-name' }, `⚙ ${String(value.name ?? 'tool')}`),
        ` ${short(value.input, 200)}`,
      );
    case 'tool_result':
      return h(
        'details',
        { class: `msg-tool-result${value.is_error === true ? ' is-error' : ''}` },
        h('summary', {}, value.is_error === true ? 'tool error' : 'tool result'),
        h('pre', {}, short(value.content, 4000)),
      );
    default:
      return h('div', { class: 'msg-other' }, short(value));
  }
}

function message(value: unknown): HTMLElement | null {
  if (!isObject(value)) return h('div', { class: 'msg-other' }, short(value));
  switch (value.type) {
    case 'system':
      if (value.subtype !== 'init') return null;
      return h(
        'div',
        { class: 'msg-system' },
        `Claude Code started${typeof value.model === 'string' ? ` · ${value.model}` : ''}`,
      );
    case 'assistant':
      return h('div', { class: 'msg msg-assistant' }, ...contentBlocks(value).map(block));
    case 'user':
      return h('div', { class: 'msg msg-user-tool' }, ...contentBlocks(value).map(block));
    case 'result':
      // The completion event carries the same figures in a friendlier form; avoid showing them twice.
      return null;
    default:
      return null;
  }
}

export function transcriptItem(item: TranscriptItem): HTMLElement | null {
  switch (item.kind) {
    case 'prompt':
      return h('div', { class: 'msg msg-prompt' }, h('span', { class: 'who' }, 'you'), String(item.value));
    case 'message':
      return message(item.value);
    case 'error':
      return h('div', { class: 'msg msg-error' }, String(item.value));
    case 'completion': {
      const done = isObject(item.value) ? item.value : {};
      const cost = typeof done.cost === 'number' ? done.cost : 0;
      const failed = done.isError === true;
      return h(
        'div',
        { class: `msg msg-result${failed ? ' is-error' : ''}`, 'data-testid': 'run-result' },
        h(
          'div',
          { class: 'result-head' },
          failed ? 'Run failed' : 'Result',
          h('span', { class: 'cost' }, formatCost(cost)),
        ),
        h('div', { class: 'msg-text' }, String(done.result ?? '')),
      );
    }
  }
}
