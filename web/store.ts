import type { RalphStatus } from '../src/protocol/rest/ralph.js';
import type { RespawnStatus } from '../src/protocol/rest/respawn.js';
import type { ScheduledRun } from '../src/protocol/rest/scheduled.js';
import type { SessionInfo } from '../src/protocol/rest/session.js';
import type { StatusSnapshot } from '../src/protocol/rest/status.js';
import type { QueueTask } from '../src/protocol/rest/tasks.js';
import type { TranscriptEntry } from '../src/protocol/rest/transcript.js';
import { TranscriptLog } from './transcript-log.js';

/** What changed; views subscribe to the topics they draw. */
export type Topic =
  | 'sessions'
  | 'selection'
  | 'view'
  | 'respawn'
  | 'tasks'
  | 'ralph'
  | 'scheduled'
  | 'messages'
  | 'transcript'
  | 'connection'
  | 'defaults';

export type ViewName = 'sessions' | 'autonomy' | 'overseer';

/** One rendered item of a one-shot run's transcript. */
export interface TranscriptItem {
  readonly kind: 'message' | 'completion' | 'prompt' | 'error';
  readonly value: unknown;
}

/** Bounds of what the page keeps per session (the server has the full buffers). */
const MAX_TRANSCRIPT = 500;
const MAX_RESPAWN_LOG = 200;

/** The page's state: one object, changed only through these methods, which notify the views. */
export class Store {
  readonly sessions = new Map<string, SessionInfo>();
  readonly respawn = new Map<string, RespawnStatus>();
  readonly respawnLog = new Map<string, string[]>();
  readonly transcripts = new Map<string, TranscriptItem[]>();
  /** The agents' transcripts (GET …/transcript, `session:transcript`), for sessions that were shown. */
  readonly agentTranscripts = new Map<string, TranscriptLog>();
  readonly tasks = new Map<string, QueueTask>();
  readonly scheduled = new Map<string, ScheduledRun>();
  ralph: RalphStatus | null = null;
  /** The server's default working directory (the cases root), once the snapshot has told it. */
  casesRoot: string | null = null;
  selectedId: string | null = null;
  view: ViewName = 'sessions';
  connected = false;
  private readonly listeners = new Map<Topic, Set<() => void>>();

  on(topic: Topic, listener: () => void): void {
    let set = this.listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
  }

  off(topic: Topic, listener: () => void): void {
    this.listeners.get(topic)?.delete(listener);
  }

  emit(topic: Topic): void {
    for (const listener of this.listeners.get(topic) ?? []) listener();
  }

  /** Sessions in creation order: the order of the tabs and of Alt+1..9. */
  orderedSessions(): SessionInfo[] {
    return [...this.sessions.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  selected(): SessionInfo | null {
    return this.selectedId === null ? null : (this.sessions.get(this.selectedId) ?? null);
  }

  applySnapshot(snapshot: StatusSnapshot): void {
    this.sessions.clear();
    for (const session of snapshot.sessions) this.sessions.set(session.id, session);
    this.respawn.clear();
    for (const [id, status] of Object.entries(snapshot.respawnStatus)) this.respawn.set(id, status);
    this.scheduled.clear();
    for (const run of snapshot.scheduledRuns) this.scheduled.set(run.id, run);
    this.casesRoot = snapshot.casesRoot ?? null;
    if (this.selectedId !== null && !this.sessions.has(this.selectedId)) this.selectedId = null;
    if (this.selectedId === null) this.selectedId = this.orderedSessions()[0]?.id ?? null;
    for (const topic of ['sessions', 'selection', 'respawn', 'scheduled', 'defaults'] as const)
      this.emit(topic);
  }

  upsertSession(session: SessionInfo): void {
    this.sessions.set(session.id, session);
    this.emit('sessions');
  }

  removeSession(id: string): void {
    this.sessions.delete(id);
    this.transcripts.delete(id);
    this.agentTranscripts.delete(id);
    this.respawn.delete(id);
    if (this.selectedId === id) this.select(this.orderedSessions()[0]?.id ?? null);
    this.emit('sessions');
  }

  select(id: string | null): void {
    if (this.selectedId === id) return;
    this.selectedId = id;
    this.emit('selection');
  }

  setView(view: ViewName): void {
    if (this.view === view) return;
    this.view = view;
    this.emit('view');
  }

  addTranscript(sessionId: string, item: TranscriptItem): void {
    const list = this.transcripts.get(sessionId) ?? [];
    list.push(item);
    if (list.length > MAX_TRANSCRIPT) list.splice(0, list.length - MAX_TRANSCRIPT);
    this.transcripts.set(sessionId, list);
    if (sessionId === this.selectedId) this.emit('messages');
  }

  /** The transcript log of a session, created (empty, to be paged) on first use. */
  agentTranscript(sessionId: string): TranscriptLog {
    let log = this.agentTranscripts.get(sessionId);
    if (log === undefined) {
      log = new TranscriptLog();
      this.agentTranscripts.set(sessionId, log);
    }
    return log;
  }

  /** Live entries: kept only for sessions whose transcript was loaded (the others page when shown). */
  addAgentTranscript(sessionId: string, entries: readonly TranscriptEntry[]): void {
    const log = this.agentTranscripts.get(sessionId);
    if (log?.receive(entries) === true) this.emit('transcript');
  }

  addRespawnLog(sessionId: string, line: string): void {
    const log = this.respawnLog.get(sessionId) ?? [];
    log.push(line);
    if (log.length > MAX_RESPAWN_LOG) log.splice(0, log.length - MAX_RESPAWN_LOG);
    this.respawnLog.set(sessionId, log);
    this.emit('respawn');
  }

  setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    this.emit('connection');
  }
}

/** What a person sees as a session's state (the four, plus error). */
export type SessionState = 'idle' | 'working' | 'attention' | 'exited' | 'error';

export function sessionState(session: SessionInfo): SessionState {
  if (session.attention !== null) return 'attention';
  if (session.status === 'error') return 'error';
  if (session.status === 'stopped') return 'exited';
  if (session.status === 'busy' || session.isWorking) return 'working';
  return 'idle';
}
