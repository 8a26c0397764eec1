import type { SessionInfo } from '../../src/protocol/rest/session.js';
import { api, errorMessage } from '../api.js';
import { formatCost, h, replace } from '../dom.js';
import { type Store, sessionState } from '../store.js';
import { expectedTerminalSize } from '../terminal-size.js';
import { RunBox } from './run-box.js';
import { agentFacts, agentStateBadge } from './session-facts.js';
import { TerminalView } from './terminal-view.js';
import { TranscriptView } from './transcript-view.js';

/** Whether the transcript pane is shown, remembered across reloads. */
const TRANSCRIPT_KEY = 'claudeman.transcript';
function transcriptPreference(): boolean {
  try {
    return localStorage.getItem(TRANSCRIPT_KEY) !== 'hidden';
  } catch {
    return true;
  }
}

type Body = { kind: 'terminal'; view: TerminalView } | { kind: 'run'; view: RunBox };

/** Which body a session shows: its terminal once it has been interactive, else the run box. */
function bodyKind(session: SessionInfo): Body['kind'] {
  return session.mode === 'interactive' ? 'terminal' : 'run';
}

/**
 * The selected session: a header (where, state, cost, actions) and either its live terminal or its
 * one-shot run box. The body is rebuilt only when the session or its kind changes, so the frequent
 * `session:updated` events redraw the header alone and never reconnect the terminal.
 */
export class SessionView {
  private body: Body | null = null;
  private transcript: TranscriptView | null = null;
  private transcriptShown = transcriptPreference();
  private bodyKey = '';
  private readonly header: HTMLElement;
  private readonly main: HTMLElement;

  constructor(
    private readonly store: Store,
    readonly element: HTMLElement,
    private readonly report: (text: string) => void,
  ) {
    this.header = h('header', { class: 'session-header' });
    this.main = h('div', { class: 'session-body' });
    replace(element, this.header, this.main);
    store.on('sessions', () => this.render());
    store.on('selection', () => this.render());
    this.render();
  }

  /** The terminal of the selected session, if it shows one (for focus after switching). */
  focus(): void {
    if (this.body?.kind === 'terminal') this.body.view.focus();
  }

  private render(): void {
    const session = this.store.selected();
    this.renderHeader(session);
    const key = session === null ? '' : `${session.id}:${bodyKind(session)}`;
    if (key === this.bodyKey) return;
    this.bodyKey = key;
    this.body?.view.dispose();
    this.body = null;
    this.transcript?.dispose();
    this.transcript = null;
    if (session === null) {
      replace(
        this.main,
        h(
          'div',
          { class: 'placeholder' },
          h('p', {}, 'No session selected.'),
          h('p', { class: 'muted' }, 'Create one with “New session”.'),
        ),
      );
      return;
    }
    if (bodyKind(session) === 'terminal') {
      const id = session.id;
      const view = new TerminalView(id, () => this.store.sessions.has(id));
      this.body = { kind: 'terminal', view };
    } else {
      const view = new RunBox(this.store, session.id, this.report);
      this.body = { kind: 'run', view };
    }
    this.transcript = new TranscriptView(this.store, session.id, this.report);
    this.transcript.hidden = !this.transcriptShown;
    replace(
      this.main,
      h('div', { class: 'session-primary' }, this.body.view.element),
      this.transcript.element,
    );
  }

  private toggleTranscript(): void {
    this.transcriptShown = !this.transcriptShown;
    try {
      localStorage.setItem(TRANSCRIPT_KEY, this.transcriptShown ? 'shown' : 'hidden');
    } catch {
      // Storage may be off (private mode): the choice lasts for this page.
    }
    if (this.transcript !== null) this.transcript.hidden = !this.transcriptShown;
    this.renderHeader(this.store.selected());
  }

  private renderHeader(session: SessionInfo | null): void {
    if (session === null) {
      replace(this.header);
      return;
    }
    const state = sessionState(session);
    const canStartInteractive = session.pid === null && session.status !== 'busy';
    replace(
      this.header,
      h(
        'div',
        { class: 'session-title' },
        h('span', { class: `dot dot-${state}`, 'aria-hidden': 'true' }),
        h('span', { class: 'path', title: session.workingDir }, session.workingDir),
        agentStateBadge(session),
      ),
      h(
        'div',
        { class: 'session-facts' },
        h('span', { class: `state-text-${state}`, 'data-testid': 'session-state' }, state),
        h('span', {}, session.mode === 'none' ? 'new' : session.mode),
        session.terminalHost === 'tmux'
          ? h(
              'span',
              { 'data-testid': 'terminal-host', title: 'runs in tmux: survives a restart of the server' },
              'tmux',
            )
          : null,
        h('span', { 'data-testid': 'session-cost' }, formatCost(session.totalCost)),
        ...agentFacts(session),
        session.exitCode !== null ? h('span', {}, `exit ${session.exitCode}`) : null,
      ),
      h(
        'div',
        { class: 'session-actions' },
        h(
          'button',
          {
            class: 'small toggle',
            'aria-pressed': String(this.transcriptShown),
            title: 'Show or hide the transcript',
            onclick: () => this.toggleTranscript(),
          },
          'Transcript',
        ),
        canStartInteractive
          ? h(
              'button',
              { class: 'primary', onclick: () => this.startInteractive(session.id) },
              session.mode === 'interactive' ? 'Restart interactive' : 'Start interactive',
            )
          : null,
        // A conversation cut off by a server restart (plain PTY) can be continued where it was.
        canStartInteractive && session.mode === 'interactive' && session.claudeSessionId !== null
          ? h(
              'button',
              { 'data-testid': 'resume', onclick: () => this.startInteractive(session.id, true) },
              'Resume conversation',
            )
          : null,
      ),
      session.attention !== null
        ? h('div', { class: 'attention-note', role: 'alert' }, `Needs you: ${session.attention.message}`)
        : null,
      session.lastError !== null && state === 'error'
        ? h('div', { class: 'error-note' }, session.lastError)
        : null,
      session.lastError !== null && state === 'exited'
        ? h('div', { class: 'stopped-note', 'data-testid': 'stopped-note' }, session.lastError)
        : null,
    );
  }

  private startInteractive(id: string, resume = false): void {
    const { cols, rows } = expectedTerminalSize();
    api.startInteractive(id, cols, rows, resume).catch((error: unknown) => {
      this.report(errorMessage(error));
    });
  }
}
