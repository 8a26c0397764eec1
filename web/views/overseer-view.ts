import type { OverseerFrame } from '../../src/protocol/overseer/server-messages.js';
import type { TaskInfo } from '../../src/protocol/overseer/task-info.js';
import { h, replace } from '../dom.js';

/** What the overseer face (`/ws`, protocol 1.0.0) sends; only the fields shown here. */
/** Lines of output kept for the selected task (the server keeps 100 events per worker for replay). */
const MAX_LINES = 2000;

/**
 * The supervisor's plain tasks, through the same WebSocket protocol as sticky-overseer clients: list,
 * start a command, stop, reset, and the selected task's output (replayed, then live).
 */
export function mountOverseerView(section: HTMLElement, report: (text: string) => void): () => void {
  let socket: WebSocket | null = null;
  let tasks: TaskInfo[] = [];
  let selected: string | null = null;
  let lines: string[] = [];
  let listTimer: ReturnType<typeof setTimeout> | null = null;
  let retryMs = 500;
  let active = false;

  const command = h('input', {
    type: 'text',
    name: 'command',
    placeholder: 'command, e.g. /bin/sh',
    'aria-label': 'Command',
    required: true,
  });
  const args = h('input', {
    type: 'text',
    name: 'args',
    placeholder: 'arguments (space-separated)',
    'aria-label': 'Arguments',
  });
  const taskId = h('input', {
    type: 'text',
    name: 'taskId',
    placeholder: 'task id (optional)',
    'aria-label': 'Task id',
  });
  const list = h('div', { class: 'overseer-list' });
  const output = h('pre', { class: 'log overseer-output', 'data-testid': 'overseer-output' });

  const send = (frame: Record<string, unknown>) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame));
    else report('not connected to the supervisor');
  };
  const requestList = () => {
    if (listTimer !== null) return;
    listTimer = setTimeout(() => {
      listTimer = null;
      if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'list', id: 'ui-list' }));
    }, 100);
  };
  const renderOutput = () => {
    output.textContent = selected === null ? 'Select a task to see its output.' : lines.join('\n');
    output.scrollTop = output.scrollHeight;
  };
  /** Shows a task's output: replayed from the server's buffer, or (`live`) only what comes next. */
  const select = (id: string, live = false) => {
    selected = id;
    lines = [];
    renderOutput();
    if (!live) send({ type: 'replay', task_id: id });
    render();
  };

  const render = () => {
    replace(
      list,
      ...tasks.map((task) =>
        h(
          'div',
          { class: `task${task.task_id === selected ? ' selected' : ''}`, 'data-task-id': task.task_id },
          h(
            'span',
            { class: `pill pill-${task.state}` },
            task.worker_state === 'running' ? 'running' : task.state,
          ),
          h(
            'button',
            { class: 'link task-prompt', title: 'Show output', onclick: () => select(task.task_id) },
            `${task.command} ${task.args.join(' ')}`,
          ),
          h(
            'span',
            { class: 'muted' },
            `restarts ${task.restart_count}${task.last_exit_code !== undefined ? ` · exit ${task.last_exit_code}` : ''}`,
          ),
          task.worker_state === 'running'
            ? h(
                'button',
                { class: 'small', onclick: () => send({ type: 'stop', task_id: task.task_id }) },
                'Stop',
              )
            : h(
                'button',
                {
                  class: 'small',
                  onclick: () =>
                    send({ type: 'start', task_id: task.task_id, command: task.command, args: task.args }),
                },
                'Start',
              ),
          task.state === 'errored'
            ? h(
                'button',
                { class: 'small', onclick: () => send({ type: 'reset', task_id: task.task_id }) },
                'Reset',
              )
            : null,
        ),
      ),
      tasks.length === 0 ? h('p', { class: 'muted' }, 'No supervised tasks.') : null,
    );
  };

  const receive = (frame: OverseerFrame) => {
    switch (frame.type) {
      case 'tasks':
        tasks = frame.tasks ?? [];
        render();
        return;
      case 'output':
        if (frame.task_id === selected && frame.data !== undefined) {
          lines.push(frame.stream === 'stderr' ? `! ${frame.data}` : frame.data);
          if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
          renderOutput();
        }
        return;
      case 'exited':
        if (frame.task_id === selected) {
          lines.push(`[exited with code ${frame.exit_code ?? '?'}]`);
          renderOutput();
        }
        requestList();
        return;
      case 'started':
        // Our own start: its output is broadcast after this reply, so follow it live (a replay
        // would show it twice).
        if (frame.id === 'ui-start' && frame.task_id !== undefined) select(frame.task_id, true);
        requestList();
        return;
      case 'error':
        if (frame.message !== 'no worker for task') report(`supervisor: ${frame.message ?? 'error'}`);
        return;
      default:
        requestList();
    }
  };

  const connect = () => {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    socket = ws;
    ws.onopen = () => {
      retryMs = 500;
      requestList();
    };
    ws.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      try {
        receive(JSON.parse(message.data) as OverseerFrame);
      } catch {
        // Not JSON: nothing this view can show.
      }
    };
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      if (!active) return;
      setTimeout(() => {
        if (active && socket === null) connect();
      }, retryMs);
      retryMs = Math.min(retryMs * 2, 10_000);
    };
  };

  const form = h(
    'form',
    {
      class: 'overseer-form',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const id = taskId.value.trim();
        send({
          type: 'start',
          id: 'ui-start',
          command: command.value.trim(),
          args: args.value.trim() === '' ? [] : args.value.trim().split(/\s+/),
          ...(id === '' ? {} : { task_id: id }),
        });
        requestList();
      },
    },
    command,
    args,
    taskId,
    h('button', { type: 'submit', class: 'primary' }, 'Start'),
  );
  replace(section, h('h2', {}, 'Supervised tasks'), form, list, h('h3', {}, 'Output'), output);
  renderOutput();

  /** Called when the view is shown or hidden: the socket lives only while someone looks. */
  return () => {
    const visible = !section.closest('[hidden]');
    if (visible && !active) {
      active = true;
      connect();
    } else if (!visible && active) {
      active = false;
      socket?.close();
      socket = null;
    }
  };
}
