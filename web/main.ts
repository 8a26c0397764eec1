import type { ServerEvent } from '../src/protocol/sse.js';
import { setUnauthorizedHandler } from './api.js';
import { mountAttention } from './attention.js';
import { byId, h, replace } from './dom.js';
import { EventStream } from './event-stream.js';
import { applyEvent } from './reducer.js';
import { installShortcuts } from './shortcuts.js';
import { Store, type ViewName } from './store.js';
import { mountCasesPanel } from './views/cases-panel.js';
import { newSessionForm } from './views/new-session.js';
import { mountOverseerView } from './views/overseer-view.js';
import { mountRespawnPanel } from './views/respawn-panel.js';
import { mountScheduledPanel } from './views/scheduled-panel.js';
import { mountSessionList } from './views/session-list.js';
import { SessionView } from './views/session-view.js';
import { mountTasksPanel } from './views/tasks-panel.js';

/** Entry point: wires the store, the event stream and the views into index.html's skeleton. */

// The token has become a cookie (set by the server on this very request): keep it out of the address
// bar, the history and any screenshot.
if (new URLSearchParams(location.search).has('token')) {
  history.replaceState(null, '', location.pathname + location.hash);
}

const store = new Store();
const toast = byId('toast', HTMLDivElement);
let toastTimer: ReturnType<typeof setTimeout> | null = null;
/** Errors of user actions, shown for a while (never thrown to the console). */
function report(text: string): void {
  toast.textContent = text;
  toast.hidden = false;
  if (toastTimer !== null) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    toast.hidden = true;
  }, 6000);
}
toast.addEventListener('click', () => {
  toast.hidden = true;
});

setUnauthorizedHandler(() => {
  // The cookie is gone or the server's token changed: the server's own page explains what to do.
  location.reload();
});

// ── views ──
const sessionView = new SessionView(store, byId('session-view', HTMLElement), report);
mountSessionList(store, byId('session-list', HTMLElement), report);

const newPanel = byId('new-session-panel', HTMLElement);
byId('new-session', HTMLButtonElement).addEventListener('click', () => {
  if (!newPanel.hidden) {
    newPanel.hidden = true;
    return;
  }
  replace(
    newPanel,
    newSessionForm(store, report, () => {
      newPanel.hidden = true;
    }),
  );
  newPanel.hidden = false;
});

mountRespawnPanel(store, byId('respawn-panel', HTMLElement), report);
mountTasksPanel(store, byId('tasks-panel', HTMLElement), report);
const refreshScheduled = mountScheduledPanel(store, byId('scheduled-panel', HTMLElement), report);
const refreshCases = mountCasesPanel(byId('cases-panel', HTMLElement), report);
const overseerVisibility = mountOverseerView(byId('overseer-panel', HTMLElement), report);

const views: Record<ViewName, HTMLElement> = {
  sessions: byId('view-sessions', HTMLElement),
  autonomy: byId('view-autonomy', HTMLElement),
  overseer: byId('view-overseer', HTMLElement),
};
const navButtons = [...document.querySelectorAll<HTMLButtonElement>('[data-view]')];
for (const button of navButtons) {
  button.addEventListener('click', () => store.setView(button.dataset.view as ViewName));
}
function renderView(): void {
  for (const [name, element] of Object.entries(views)) element.hidden = name !== store.view;
  for (const button of navButtons)
    button.setAttribute('aria-current', String(button.dataset.view === store.view));
  document.body.dataset.view = store.view;
  overseerVisibility();
}
store.on('view', renderView);
renderView();

mountAttention(store, byId('attention', HTMLButtonElement), byId('notify', HTMLButtonElement));
store.on('connection', () => {
  const dot = byId('connection', HTMLSpanElement);
  dot.className = store.connected ? 'conn online' : 'conn offline';
  dot.title = store.connected ? 'connected' : 'reconnecting…';
});
installShortcuts(store, () => sessionView.focus());

// ── live state ──
const REFETCH: ReadonlySet<ServerEvent['type']> = new Set([
  'scheduled:created',
  'scheduled:completed',
  'scheduled:stopped',
]);
new EventStream(store, (event) => {
  applyEvent(store, event);
  if (REFETCH.has(event.type)) refreshScheduled();
  if (event.type === 'case:created') refreshCases();
}).open();

// Shown in the page so people (and tests) can tell the script ran.
document.body.append(h('span', { id: 'ready', hidden: true }));
