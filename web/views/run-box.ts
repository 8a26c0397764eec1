import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import type { Store, TranscriptItem } from '../store.js';
import { transcriptItem } from './transcript.js';

/** A `result` line of the CLI's stream as the completion item the live event would have given. */
function historyItem(message: unknown): TranscriptItem {
  if (typeof message === 'object' && message !== null && 'type' in message && message.type === 'result') {
    const result = message as { total_cost_usd?: unknown; result?: unknown; is_error?: unknown };
    return {
      kind: 'completion',
      value: {
        cost: typeof result.total_cost_usd === 'number' ? result.total_cost_usd : 0,
        result: typeof result.result === 'string' ? result.result : '',
        isError: result.is_error === true,
      },
    };
  }
  return { kind: 'message', value: message };
}

/**
 * One-shot runs of a session: the conversation so far (rendered messages, result and cost) and a
 * prompt box. The server streams the run as `session:message` and `session:completion` events.
 */
export class RunBox {
  readonly element: HTMLElement;
  private readonly log: HTMLElement;
  private readonly prompt: HTMLTextAreaElement;
  private readonly button: HTMLButtonElement;
  private readonly onMessages = () => this.render();
  private disposed = false;

  constructor(
    private readonly store: Store,
    private readonly sessionId: string,
    private readonly report: (text: string) => void,
  ) {
    this.log = h('div', { class: 'transcript', 'aria-live': 'polite', 'data-testid': 'transcript' });
    this.prompt = h('textarea', {
      class: 'prompt-input',
      rows: 3,
      placeholder: 'Prompt for a one-shot run (Ctrl+Enter to run)',
      'aria-label': 'Prompt',
      onkeydown: (event: Event) => {
        if (event instanceof KeyboardEvent && event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          this.submit();
        }
      },
    });
    this.button = h('button', { class: 'primary', type: 'submit' }, 'Run');
    const form = h(
      'form',
      {
        class: 'run-form',
        onsubmit: (event: Event) => {
          event.preventDefault();
          this.submit();
        },
      },
      this.prompt,
      this.button,
    );
    this.element = h('div', { class: 'run-box' }, this.log, form);
    store.on('messages', this.onMessages);
    store.on('sessions', this.onMessages);
    if (!store.transcripts.has(sessionId)) void this.loadHistory();
    this.render();
  }

  dispose(): void {
    this.disposed = true;
    this.store.off('messages', this.onMessages);
    this.store.off('sessions', this.onMessages);
  }

  private async loadHistory(): Promise<void> {
    try {
      const output = await api.output(this.sessionId);
      if (this.store.transcripts.has(this.sessionId)) return;
      this.store.transcripts.set(this.sessionId, output.messages.map(historyItem));
      this.render();
    } catch (error) {
      this.report(errorMessage(error));
    }
  }

  private submit(): void {
    const prompt = this.prompt.value.trim();
    if (prompt === '') return;
    this.button.disabled = true;
    api
      .run(this.sessionId, prompt)
      .then(() => {
        this.prompt.value = '';
      })
      .catch((error: unknown) => this.report(errorMessage(error)))
      .finally(() => this.render());
  }

  private render(): void {
    if (this.disposed || this.store.selectedId !== this.sessionId) return;
    const session = this.store.sessions.get(this.sessionId);
    const busy = session?.status === 'busy';
    this.button.disabled = busy;
    this.button.textContent = busy ? 'Running…' : 'Run';
    const items = this.store.transcripts.get(this.sessionId) ?? [];
    const atBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    replace(
      this.log,
      ...items.map(transcriptItem),
      items.length === 0
        ? h('p', { class: 'muted empty' }, 'No runs yet. Type a prompt below, or start the interactive CLI.')
        : null,
    );
    if (atBottom) this.log.scrollTop = this.log.scrollHeight;
  }
}
