import { api, errorMessage } from '../api.js';
import { h, replace } from '../dom.js';

/** Cases: working directories under the cases root, each with a generated CLAUDE.md. */
export function mountCasesPanel(section: HTMLElement, report: (text: string) => void): () => void {
  const list = h('ul', { class: 'case-list' });
  const name = h('input', {
    type: 'text',
    name: 'name',
    placeholder: 'case name',
    'aria-label': 'Case name',
    pattern: '[A-Za-z0-9_-]{1,64}',
    required: true,
  });
  const description = h('input', {
    type: 'text',
    name: 'description',
    placeholder: 'description (optional)',
    'aria-label': 'Case description',
  });
  const refresh = () => {
    api
      .cases()
      .then((cases) =>
        replace(
          list,
          ...cases.map((c) =>
            h(
              'li',
              {},
              h('b', {}, c.name),
              ' ',
              h('span', { class: 'muted' }, c.description || c.path),
              c.hasClaudeMd ? ' · CLAUDE.md' : '',
            ),
          ),
          cases.length === 0 ? h('li', { class: 'muted' }, 'No cases yet.') : null,
        ),
      )
      .catch((error: unknown) => report(errorMessage(error)));
  };
  const form = h(
    'form',
    {
      class: 'case-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        api
          .createCase(name.value.trim(), description.value.trim() || undefined)
          .then(() => {
            name.value = '';
            description.value = '';
            refresh();
          })
          .catch((error: unknown) => report(errorMessage(error)));
      },
    },
    name,
    description,
    h('button', { type: 'submit', class: 'primary' }, 'Create case'),
  );
  replace(section, h('h2', {}, 'Cases'), form, list);
  refresh();
  return refresh;
}
