import { baseName, h, replace } from './dom.js';
import type { Store } from './store.js';

const BASE_TITLE = 'Claudeman';

/**
 * Sessions that need a person (a hook said so): a count badge in the header, the browser tab's
 * title, and, when allowed and the page is not in view, a desktop notification per new request.
 */
export function mountAttention(store: Store, badge: HTMLElement, bell: HTMLButtonElement): void {
  const notified = new Set<string>();
  const canNotify = typeof Notification !== 'undefined';
  const renderBell = () => {
    bell.hidden = !canNotify || Notification.permission !== 'default';
  };
  bell.addEventListener('click', () => {
    if (!canNotify) return;
    void Notification.requestPermission().then(renderBell);
  });
  renderBell();

  store.on('sessions', () => {
    const waiting = store.orderedSessions().filter((session) => session.attention !== null);
    document.title = waiting.length > 0 ? `(${waiting.length}) needs you · ${BASE_TITLE}` : BASE_TITLE;
    badge.hidden = waiting.length === 0;
    replace(badge, h('span', {}, `${waiting.length} need${waiting.length === 1 ? 's' : ''} you`));
    badge.onclick = () => {
      const first = waiting[0];
      if (first === undefined) return;
      store.setView('sessions');
      store.select(first.id);
    };
    const current = new Set(waiting.map((session) => session.id));
    for (const id of notified) if (!current.has(id)) notified.delete(id);
    for (const session of waiting) {
      if (notified.has(session.id)) continue;
      notified.add(session.id);
      if (canNotify && Notification.permission === 'granted' && document.visibilityState !== 'visible') {
        const note = new Notification(`Claudeman: ${baseName(session.workingDir)}`, {
          body: session.attention?.message ?? 'needs your attention',
          tag: session.id,
        });
        note.onclick = () => {
          window.focus();
          store.setView('sessions');
          store.select(session.id);
        };
      }
    }
  });
}
