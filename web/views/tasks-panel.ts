import type { CreateTaskRequest } from '../../src/protocol/rest/tasks.js';
import { api, errorMessage } from '../api.js';
import { formatCost, h, pausedNote, replace } from '../dom.js';
import type { Store } from '../store.js';

/** The task queue (add with priority and dependencies, status, delete) and the Ralph loop that works it. */
export function mountTasksPanel(store: Store, section: HTMLElement, report: (text: string) => void): void {
  const fail = (error: unknown) => report(errorMessage(error));
  const refresh = () => {
    api
      .tasks()
      .then((tasks) => {
        store.tasks.clear();
        for (const task of tasks) store.tasks.set(task.id, task);
        store.emit('tasks');
      })
      .catch(fail);
    api
      .ralph()
      .then((status) => {
        store.ralph = status;
        render();
      })
      .catch(fail);
  };

  const prompt = h('input', {
    type: 'text',
    name: 'prompt',
    placeholder: 'Task prompt',
    'aria-label': 'Task prompt',
    required: true,
  });
  const priority = h('input', {
    type: 'number',
    name: 'priority',
    value: 0,
    'aria-label': 'Priority',
    title: 'Priority (higher first)',
  });
  const deps = h('input', {
    type: 'text',
    name: 'dependsOn',
    placeholder: 'depends on: id, id',
    'aria-label': 'Depends on',
  });
  const form = h(
    'form',
    {
      class: 'task-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const request: CreateTaskRequest = {
          prompt: prompt.value.trim(),
          priority: Number(priority.value) || 0,
          dependsOn: deps.value
            .split(',')
            .map((id) => id.trim())
            .filter((id) => id !== ''),
        };
        api
          .addTask(request)
          .then(({ task }) => {
            store.tasks.set(task.id, task);
            store.emit('tasks');
            prompt.value = '';
            deps.value = '';
          })
          .catch(fail);
      },
    },
    prompt,
    priority,
    deps,
    h('button', { type: 'submit', class: 'primary' }, 'Add task'),
  );
  const list = h('div', { class: 'task-list' });
  const ralph = h('div', { class: 'ralph' });

  const render = () => {
    const tasks = [...store.tasks.values()].sort(
      (a, b) => b.priority - a.priority || a.createdAt - b.createdAt,
    );
    replace(
      list,
      ...tasks.map((task) =>
        h(
          'div',
          { class: `task status-${task.status}`, 'data-task-id': task.id },
          h('span', { class: `pill pill-${task.status}` }, task.status),
          h('span', { class: 'task-prompt', title: task.prompt }, task.prompt),
          h(
            'span',
            { class: 'muted' },
            `p${task.priority}${task.dependsOn.length > 0 ? ` · after ${task.dependsOn.join(', ')}` : ''}`,
          ),
          h(
            'code',
            { class: 'muted', title: `task id ${task.id} (use it in "depends on")` },
            task.id.slice(0, 8),
          ),
          h(
            'button',
            { class: 'small', title: 'Delete task', onclick: () => api.deleteTask(task.id).catch(fail) },
            '×',
          ),
        ),
      ),
      tasks.length === 0 ? h('p', { class: 'muted' }, 'The queue is empty.') : null,
    );
    const status = store.ralph;
    replace(
      ralph,
      h('h3', {}, 'Ralph loop'),
      status === null
        ? h('p', { class: 'muted' }, '…')
        : h(
            'div',
            { class: 'facts' },
            h('span', {}, h('b', { 'data-testid': 'ralph-state' }, status.running ? 'running' : 'stopped')),
            h('span', {}, `done ${status.completedCount}`),
            h('span', {}, `failed ${status.failedCount}`),
            h('span', {}, formatCost(status.totalCost)),
            ...status.assignments.map((a) =>
              h('span', { class: 'muted' }, `${a.taskId.slice(0, 8)} → ${a.sessionId.slice(0, 8)}`),
            ),
            status.stopReason !== null && !status.running
              ? h('span', { class: 'muted' }, status.stopReason)
              : null,
            pausedNote(status.pausedUntil),
          ),
      h(
        'div',
        { class: 'row' },
        status?.running === true
          ? h('button', { onclick: () => api.ralphStop().then(refresh, fail) }, 'Stop loop')
          : h(
              'button',
              { class: 'primary', onclick: () => api.ralphStart({}).then(refresh, fail) },
              'Start loop',
            ),
      ),
    );
  };

  replace(section, h('h2', {}, 'Task queue'), form, list, ralph);
  store.on('tasks', render);
  store.on('ralph', () => {
    // Assignment events carry only ids: the counts come with a fresh status.
    api
      .ralph()
      .then((status) => {
        store.ralph = status;
        render();
      })
      .catch(fail);
  });
  refresh();
  render();
}
