import { api, errorMessage } from '../api.js';
import { h } from '../dom.js';
import type { Store } from '../store.js';
import { MAX_TRANSCRIPT_ENTRIES, type TranscriptLog } from '../transcript-log.js';
import { fillResult, plainEntry, toolCall } from './transcript-entries.js';

/**
 * The agent's transcript beside its terminal or run box: a readable history of the conversation.
 * It pages the history when shown, then follows `session:transcript` events (via the store's log).
 * Only new entries are appended, and the DOM keeps at most MAX_TRANSCRIPT_ENTRIES of them.
 */
export class TranscriptView {
  readonly element: HTMLElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private readonly log: TranscriptLog;
  /** Where each tool call's result goes, by toolUseId (results come after their calls). */
  private readonly slots = new Map<string, HTMLElement>();
  private renderedSeq = 0;
  private disposed = false;
  private readonly onChange = () => this.update();

  constructor(
    private readonly store: Store,
    private readonly sessionId: string,
    private readonly report: (text: string) => void,
  ) {
    this.log = store.agentTranscript(sessionId);
    this.status = h('span', { class: 'muted tx-status' });
    this.list = h('div', { class: 'tx-list', 'aria-live': 'polite' });
    this.element = h(
      'aside',
      { class: 'transcript-pane', 'aria-label': 'Transcript', 'data-testid': 'agent-transcript' },
      h('div', { class: 'tx-head' }, h('span', { class: 'tx-title' }, 'Transcript'), this.status),
      this.list,
    );
    store.on('transcript', this.onChange);
    this.update();
  }

  set hidden(value: boolean) {
    this.element.hidden = value;
    if (!value) this.list.scrollTop = this.list.scrollHeight;
  }

  dispose(): void {
    this.disposed = true;
    this.store.off('transcript', this.onChange);
  }

  private update(): void {
    if (this.disposed) return;
    if (this.log.needsSync) void this.sync();
    this.render();
  }

  private async sync(): Promise<void> {
    this.status.textContent = 'loading…';
    try {
      await this.log.sync((after, limit) => api.transcript(this.sessionId, after, limit));
    } catch (error) {
      if (!this.disposed) this.report(`Transcript: ${errorMessage(error)}`);
    }
    if (!this.disposed) this.render();
  }

  private render(): void {
    const fresh = this.log.entries.filter((entry) => entry.seq > this.renderedSeq);
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 60;
    if (fresh.length > 0) this.list.querySelector('.tx-empty')?.remove();
    for (const entry of fresh) {
      this.renderedSeq = entry.seq;
      const slot =
        entry.kind === 'tool_result' && entry.toolUseId !== undefined
          ? this.slots.get(entry.toolUseId)
          : undefined;
      if (slot !== undefined) {
        fillResult(slot, entry);
        slot.classList.remove('pending');
        continue;
      }
      if (entry.kind === 'tool_use') {
        const call = toolCall(entry);
        if (entry.toolUseId !== undefined) {
          call.element.dataset.toolUseId = entry.toolUseId;
          this.slots.set(entry.toolUseId, call.slot);
        }
        this.list.append(call.element);
      } else {
        this.list.append(plainEntry(entry));
      }
    }
    this.trim();
    if (this.list.childElementCount === 0)
      this.list.append(
        h('p', { class: 'muted tx-empty' }, this.log.needsSync ? 'Loading…' : 'Nothing said yet.'),
      );
    this.status.textContent = this.log.lastSeq === 0 ? '' : `${this.log.entries.length} entries`;
    if (atBottom && fresh.length > 0) this.list.scrollTop = this.list.scrollHeight;
  }

  private trim(): void {
    while (this.list.childElementCount > MAX_TRANSCRIPT_ENTRIES) {
      const first = this.list.firstElementChild;
      if (!(first instanceof HTMLElement)) break;
      const id = first.dataset.toolUseId;
      if (id !== undefined) this.slots.delete(id);
      first.remove();
    }
  }
}
