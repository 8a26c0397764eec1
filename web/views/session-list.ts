import type { SessionInfo } from '../../src/protocol/rest/session.js';
import { api, errorMessage } from '../api.js';
import { baseName, formatCost, h, replace } from '../dom.js';
import { type SessionState, type Store, sessionState } from '../store.js';

const STATE_LABEL: Record<SessionState, string> = {
  idle: 'idle',
  working: 'working',
  attention: 'needs attention',
  exited: 'exited',
  error: 'error',
};

/** The sessions as tabs: a column on wide screens, a scrolling strip on phones. */
export function mountSessionList(store: Store, list: HTMLElement, report: (text: string) => void): void {
  // Tabs are kept per session and rebuilt only when what they show changes: a click never lands on an
  // element that a redraw has just replaced, and a busy session list costs no DOM churn.
  const tabs = new Map<string, { signature: string; element: HTMLElement }>();
  const empty = h('p', { class: 'muted empty' }, 'No sessions yet.');
  const render = () => {
    const sessions = store.orderedSessions();
    const wanted: HTMLElement[] = [];
    sessions.forEach((session, index) => {
      const signature = JSON.stringify([
        sessionState(session),
        session.mode,
        session.totalCost,
        session.workingDir,
        session.pid,
        session.attention?.message ?? null,
        session.id === store.selectedId,
        index,
      ]);
      let entry = tabs.get(session.id);
      if (entry === undefined || entry.signature !== signature) {
        const element = tab(store, session, index, report);
        entry?.element.replaceWith(element);
        entry = { signature, element };
        tabs.set(session.id, entry);
      }
      wanted.push(entry.element);
    });
    for (const [id, entry] of tabs) {
      if (!store.sessions.has(id)) {
        entry.element.remove();
        tabs.delete(id);
      }
    }
    // Re-append only when the order differs (appending moves nodes, which would drop focus and hover).
    const current = [...list.children];
    if (wanted.length !== current.length || wanted.some((element, i) => current[i] !== element)) {
      replace(list, ...wanted);
    }
    if (sessions.length === 0) replace(list, empty);
  };
  store.on('sessions', render);
  store.on('selection', render);
  render();
}

function tab(store: Store, session: SessionInfo, index: number, report: (text: string) => void): HTMLElement {
  const state = sessionState(session);
  const selected = session.id === store.selectedId;
  const close = h(
    'button',
    {
      class: 'tab-close',
      title: 'Close session (stops its process)',
      'aria-label': `Close session ${baseName(session.workingDir)}`,
      onclick: (event: Event) => {
        event.stopPropagation();
        const running = session.pid !== null ? ' Its running process will be stopped.' : '';
        if (!confirm(`Close session ${baseName(session.workingDir)}?${running}`)) return;
        api.deleteSession(session.id).catch((error: unknown) => report(errorMessage(error)));
      },
    },
    '×',
  );
  return h(
    'div',
    {
      class: `session-tab state-${state}${selected ? ' selected' : ''}`,
      role: 'tab',
      tabindex: 0,
      'aria-selected': selected ? 'true' : 'false',
      'data-session-id': session.id,
      title: `${session.workingDir}\n${STATE_LABEL[state]} · ${session.mode}`,
      onclick: () => store.select(session.id),
      onkeydown: (event: Event) => {
        if (event instanceof KeyboardEvent && (event.key === 'Enter' || event.key === ' ')) {
          event.preventDefault();
          store.select(session.id);
        }
      },
    },
    h('span', { class: `dot dot-${state}`, 'aria-hidden': 'true' }),
    h(
      'span',
      { class: 'tab-main' },
      h(
        'span',
        { class: 'tab-name' },
        index < 9 ? h('kbd', {}, String(index + 1)) : null,
        baseName(session.workingDir),
      ),
      h(
        'span',
        { class: 'tab-meta' },
        h('span', { class: `state-label state-text-${state}` }, STATE_LABEL[state]),
        ` · ${session.mode === 'none' ? 'new' : session.mode} · ${formatCost(session.totalCost)}`,
      ),
    ),
    state === 'attention'
      ? h('span', { class: 'badge', title: session.attention?.message ?? '' }, '!')
      : null,
    close,
  );
}
