import type { Store } from './store.js';

/**
 * Alt+1..9 selects a session, Alt+←/→ the previous/next one. Caught in the capture phase on window,
 * so they work while the terminal has the keyboard (the terminal view also declines these keys).
 */
export function installShortcuts(store: Store, afterSwitch: () => void): void {
  window.addEventListener(
    'keydown',
    (event) => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const sessions = store.orderedSessions();
      if (sessions.length === 0) return;
      let target: string | undefined;
      const digit = /^Digit([1-9])$/.exec(event.code);
      if (digit !== null) {
        target = sessions[Number(digit[1]) - 1]?.id;
      } else if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
        const index = sessions.findIndex((session) => session.id === store.selectedId);
        const step = event.key === 'ArrowLeft' ? -1 : 1;
        target = sessions[(index + step + sessions.length) % sessions.length]?.id;
      } else {
        return;
      }
      event.preventDefault();
      event.stopPropagation();
      if (target === undefined) return;
      store.setView('sessions');
      store.select(target);
      afterSwitch();
    },
    { capture: true },
  );
}
