import type { RespawnConfigPatch } from '../../src/protocol/rest/respawn.js';
import { api, errorMessage } from '../api.js';
import { baseName, h, pausedNote, replace } from '../dom.js';
import type { Store } from '../store.js';

function numberField(name: string, label: string, value: number): HTMLLabelElement {
  return h('label', {}, label, h('input', { type: 'number', name, value, min: 0, step: 100 }));
}

/**
 * The respawn controller of the selected session: state, cycles, config editor, start/stop, log.
 * (It keeps an interactive session going: when idle it sends the update prompt, /clear and /init.)
 */
export function mountRespawnPanel(store: Store, section: HTMLElement, report: (text: string) => void): void {
  let loadedFor: string | null = null;
  const render = () => {
    const session = store.selected();
    if (session === null) {
      replace(
        section,
        h('h2', {}, 'Respawn controller'),
        h('p', { class: 'muted' }, 'Select a session first.'),
      );
      return;
    }
    if (loadedFor !== session.id) {
      loadedFor = session.id;
      api
        .respawn(session.id)
        .then((status) => {
          if ('status' in status) store.respawn.delete(session.id);
          else store.respawn.set(session.id, status);
          store.emit('respawn');
        })
        .catch((error: unknown) => report(errorMessage(error)));
    }
    const status = store.respawn.get(session.id);
    const running = status !== undefined && status.state !== 'stopped';
    const config = status?.config;
    const form = h(
      'form',
      {
        class: 'respawn-config',
        onsubmit: (event: Event) => {
          event.preventDefault();
          const data = new FormData(event.target as HTMLFormElement);
          const patch: RespawnConfigPatch = {
            idleTimeoutMs: Number(data.get('idleTimeoutMs')),
            interStepDelayMs: Number(data.get('interStepDelayMs')),
            updatePrompt: String(data.get('updatePrompt') ?? ''),
          };
          const call = running ? api.respawnConfig(session.id, patch) : api.respawnStart(session.id, patch);
          call.catch((error: unknown) => report(errorMessage(error)));
        },
      },
      numberField('idleTimeoutMs', 'Idle timeout (ms)', config?.idleTimeoutMs ?? 5000),
      numberField('interStepDelayMs', 'Step delay (ms)', config?.interStepDelayMs ?? 1000),
      h(
        'label',
        { class: 'wide' },
        'Update prompt',
        h('input', {
          type: 'text',
          name: 'updatePrompt',
          value: config?.updatePrompt ?? 'update all the docs and CLAUDE.md',
        }),
      ),
      h(
        'div',
        { class: 'row' },
        h('button', { type: 'submit', class: 'primary' }, running ? 'Save config' : 'Start respawn'),
        running
          ? h(
              'button',
              {
                type: 'button',
                onclick: () =>
                  api.respawnStop(session.id).catch((error: unknown) => report(errorMessage(error))),
              },
              'Stop',
            )
          : null,
      ),
    );
    const log = store.respawnLog.get(session.id) ?? [];
    replace(
      section,
      h('h2', {}, `Respawn controller · ${baseName(session.workingDir)}`),
      h(
        'div',
        { class: 'facts' },
        h('span', {}, 'state ', h('b', { 'data-testid': 'respawn-state' }, status?.state ?? 'off')),
        h('span', {}, 'cycles ', h('b', {}, String(status?.cycleCount ?? 0))),
        status?.stopReason ? h('span', { class: 'muted' }, status.stopReason) : null,
        pausedNote(status?.pausedUntil ?? null),
      ),
      session.mode !== 'interactive' ? h('p', { class: 'muted' }, 'Needs an interactive session.') : null,
      form,
      log.length > 0 ? h('pre', { class: 'log' }, log.slice(-30).join('\n')) : null,
    );
  };
  store.on('respawn', render);
  store.on('selection', render);
  render();
}
