import type { ScheduledRun } from '../../src/protocol/rest/scheduled.js';
import { api, errorMessage } from '../api.js';
import { formatCost, formatDuration, formatTime, h, pausedNote, replace } from '../dom.js';
import type { Store } from '../store.js';

/** Scheduled runs: create, remaining time as a progress bar (ticking every second), cost, logs, cancel. */
export function mountScheduledPanel(
  store: Store,
  section: HTMLElement,
  report: (text: string) => void,
): () => void {
  const fail = (error: unknown) => report(errorMessage(error));
  const refresh = () =>
    api
      .scheduled()
      .then((runs) => {
        store.scheduled.clear();
        for (const run of runs) store.scheduled.set(run.id, run);
        render();
      })
      .catch(fail);

  const prompt = h('input', {
    type: 'text',
    name: 'prompt',
    placeholder: 'Prompt to repeat',
    'aria-label': 'Scheduled prompt',
    required: true,
  });
  const minutes = h('input', {
    type: 'number',
    name: 'minutes',
    value: 30,
    min: 0.1,
    step: 'any',
    'aria-label': 'Duration in minutes',
    title: 'Duration (minutes)',
  });
  const dir = h('input', {
    type: 'text',
    name: 'workingDir',
    placeholder: 'directory (default: the cases root)',
    'aria-label': 'Scheduled working directory',
  });
  const form = h(
    'form',
    {
      class: 'scheduled-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        api
          .createScheduled(prompt.value.trim(), Number(minutes.value), dir.value.trim() || undefined)
          .then(({ run }) => {
            store.scheduled.set(run.id, run);
            prompt.value = '';
            render();
          })
          .catch(fail);
      },
    },
    prompt,
    minutes,
    dir,
    h('button', { type: 'submit', class: 'primary' }, 'Schedule'),
  );
  const list = h('div', { class: 'scheduled-list' });

  const runView = (run: ScheduledRun): HTMLElement => {
    const total = Math.max(1, run.endAt - run.startedAt);
    const remaining = run.status === 'running' ? Math.max(0, run.endAt - Date.now()) : 0;
    const progress = h('progress', { max: total, value: total - remaining, 'aria-label': 'time used' });
    return h(
      'div',
      { class: `scheduled status-${run.status}`, 'data-run-id': run.id },
      h(
        'div',
        { class: 'row' },
        h('span', { class: `pill pill-${run.status}` }, run.status),
        h('span', { class: 'task-prompt', title: run.prompt }, run.prompt),
        run.status === 'running'
          ? h(
              'button',
              { class: 'small', onclick: () => api.cancelScheduled(run.id).then(refresh, fail) },
              'Cancel',
            )
          : null,
      ),
      progress,
      h(
        'div',
        { class: 'facts' },
        h(
          'span',
          { 'data-testid': 'remaining' },
          run.status === 'running' ? `${formatDuration(remaining)} left` : (run.stopReason ?? 'ended'),
        ),
        h('span', {}, `${run.completedTasks} runs`),
        h('span', {}, formatCost(run.totalCost)),
        pausedNote(run.pausedUntil),
      ),
      run.logs.length > 0
        ? h(
            'details',
            {},
            h('summary', {}, `log (${run.logs.length})`),
            h(
              'pre',
              { class: 'log' },
              run.logs
                .slice(-50)
                .map((line) => `${formatTime(line.ts)} ${line.message}`)
                .join('\n'),
            ),
          )
        : null,
    );
  };

  const render = () => {
    const runs = [...store.scheduled.values()].sort((a, b) => b.startedAt - a.startedAt);
    // Keep an opened log open across the per-second redraw.
    const open = new Set(
      [...list.querySelectorAll<HTMLElement>('.scheduled')]
        .filter((el) => el.querySelector('details')?.open === true)
        .map((el) => el.dataset.runId),
    );
    replace(
      list,
      ...runs.map(runView),
      runs.length === 0 ? h('p', { class: 'muted' }, 'No scheduled runs.') : null,
    );
    for (const el of list.querySelectorAll<HTMLElement>('.scheduled')) {
      const details = el.querySelector('details');
      if (details !== null && open.has(el.dataset.runId)) details.open = true;
    }
  };

  replace(section, h('h2', {}, 'Scheduled runs'), form, list);
  store.on('scheduled', render);
  setInterval(() => {
    if (store.view === 'autonomy' && [...store.scheduled.values()].some((run) => run.status === 'running'))
      render();
  }, 1000);
  void refresh();
  // Created, completed and stopped events carry no run: the caller refreshes the list on them.
  return () => void refresh();
}
