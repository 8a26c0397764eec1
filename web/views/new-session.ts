import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';
import type { Store } from '../store.js';
import { expectedTerminalSize } from '../terminal-size.js';

/**
 * Creating a session: in a case (a directory under the cases root, made with a CLAUDE.md) or in any
 * directory; optionally straight into the interactive CLI. A new case can be made on the spot.
 */
export function newSessionForm(store: Store, report: (text: string) => void, done: () => void): HTMLElement {
  const caseSelect = h('select', { 'aria-label': 'Case', name: 'case' });
  const dirInput = h('input', {
    type: 'text',
    name: 'workingDir',
    placeholder: 'or a directory: /path/to/project (default: the cases root)',
    'aria-label': 'Working directory',
    autocomplete: 'off',
  });
  const newCaseInput = h('input', {
    type: 'text',
    name: 'caseName',
    placeholder: 'new case name',
    'aria-label': 'New case name',
    pattern: '[A-Za-z0-9_-]{1,64}',
  });
  const interactive = h('input', { type: 'checkbox', name: 'interactive', checked: true });

  /** The empty choice names where the session will run: the cases root (never the server's cwd). */
  const defaultLabel = () =>
    store.casesRoot === null ? '(the cases root)' : `(the cases root: ${store.casesRoot})`;
  let defaultOption = h('option', { value: '' }, defaultLabel());
  store.on('defaults', () => {
    defaultOption.textContent = defaultLabel();
    dirInput.placeholder = `or a directory: /path/to/project (default: ${store.casesRoot ?? 'the cases root'})`;
  });

  const loadCases = async (select?: string) => {
    try {
      const cases = await api.cases();
      defaultOption = h('option', { value: '' }, defaultLabel());
      replace(
        caseSelect,
        defaultOption,
        ...cases.map((c) => h('option', { value: c.path, selected: c.name === select }, c.name)),
      );
    } catch (error) {
      report(errorMessage(error));
    }
  };
  void loadCases();

  const createCase = async () => {
    const name = newCaseInput.value.trim();
    if (name === '') return;
    try {
      await api.createCase(name);
      newCaseInput.value = '';
      await loadCases(name);
    } catch (error) {
      report(errorMessage(error));
    }
  };

  const create = async (event: Event) => {
    event.preventDefault();
    const dir = dirInput.value.trim() || caseSelect.value || undefined;
    try {
      const { session } = await api.createSession(dir);
      store.upsertSession(session);
      store.setView('sessions');
      store.select(session.id);
      if (interactive.checked) {
        const size = expectedTerminalSize();
        await api.startInteractive(session.id, size.cols, size.rows);
      }
      dirInput.value = '';
      done();
    } catch (error) {
      report(errorMessage(error));
    }
  };

  return h(
    'form',
    { class: 'new-session', onsubmit: create, 'aria-label': 'New session' },
    h('label', {}, 'Case', caseSelect),
    dirInput,
    h(
      'div',
      { class: 'row' },
      newCaseInput,
      h('button', { type: 'button', onclick: () => void createCase() }, 'Add case'),
    ),
    h('label', { class: 'check' }, interactive, 'start the interactive CLI'),
    h(
      'div',
      { class: 'row' },
      h('button', { type: 'submit', class: 'primary' }, 'Create session'),
      h('button', { type: 'button', onclick: done }, 'Cancel'),
    ),
  );
}
