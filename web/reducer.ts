import type { ServerEvent } from '../src/protocol/sse.js';
import type { Store } from './store.js';

/** Applies one server event to the page's state. Kept apart from the stream so it can be read alone. */
export function applyEvent(store: Store, event: ServerEvent): void {
  switch (event.type) {
    case 'init':
      store.applySnapshot(event.data);
      return;
    case 'resync':
      // A fresh `init` follows on the same stream; nothing to do until then.
      return;
    case 'session:created':
    case 'session:updated':
      store.upsertSession(event.data.session);
      if (event.type === 'session:created' && store.selectedId === null) store.select(event.sessionId);
      return;
    case 'session:deleted':
      store.removeSession(event.sessionId);
      return;
    case 'session:attention': {
      const session = store.sessions.get(event.sessionId);
      if (session !== undefined) store.upsertSession({ ...session, attention: event.data.attention });
      return;
    }
    case 'session:running':
      store.addTranscript(event.sessionId, { kind: 'prompt', value: event.data.prompt });
      return;
    case 'session:message':
      store.addTranscript(event.sessionId, { kind: 'message', value: event.data.message });
      return;
    case 'session:completion':
      store.addTranscript(event.sessionId, { kind: 'completion', value: event.data });
      return;
    case 'session:error':
      store.addTranscript(event.sessionId, { kind: 'error', value: event.data.error });
      return;
    case 'session:state': {
      const session = store.sessions.get(event.sessionId);
      if (session !== undefined)
        store.upsertSession({
          ...session,
          state: event.data.state,
          stateSince: event.data.since,
          stateReason: event.data.reason,
          limitedUntil: event.data.limitedUntil,
        });
      return;
    }
    case 'session:cost': {
      const session = store.sessions.get(event.sessionId);
      if (session !== undefined)
        store.upsertSession({
          ...session,
          cost: event.data.cost,
          totalCost: event.data.cost.totalUsd,
          contextUsedPct: event.data.contextUsedPct,
          model: event.data.model ?? session.model,
        });
      return;
    }
    case 'session:transcript':
      store.addAgentTranscript(event.sessionId, event.data.entries);
      return;
    case 'respawn:started':
      store.respawn.set(event.sessionId, event.data.status);
      store.addRespawnLog(event.sessionId, 'controller started');
      return;
    case 'respawn:stopped': {
      const status = store.respawn.get(event.sessionId);
      if (status !== undefined)
        store.respawn.set(event.sessionId, { ...status, state: 'stopped', stopReason: event.data.reason });
      store.addRespawnLog(event.sessionId, `stopped: ${event.data.reason}`);
      return;
    }
    case 'respawn:stateChanged': {
      const status = store.respawn.get(event.sessionId);
      if (status !== undefined) store.respawn.set(event.sessionId, { ...status, state: event.data.to });
      store.addRespawnLog(event.sessionId, `${event.data.from} → ${event.data.to}`);
      return;
    }
    case 'respawn:cycleStarted':
    case 'respawn:cycleCompleted': {
      const status = store.respawn.get(event.sessionId);
      if (status !== undefined && event.type === 'respawn:cycleCompleted')
        store.respawn.set(event.sessionId, { ...status, cycleCount: event.data.cycleNumber });
      const what = event.type === 'respawn:cycleStarted' ? 'started' : 'completed';
      store.addRespawnLog(event.sessionId, `cycle ${event.data.cycleNumber} ${what}`);
      return;
    }
    case 'respawn:log':
      store.addRespawnLog(event.sessionId, `[${event.data.level}] ${event.data.message}`);
      return;
    case 'respawn:configUpdated': {
      const status = store.respawn.get(event.sessionId);
      if (status !== undefined) store.respawn.set(event.sessionId, { ...status, config: event.data.config });
      store.emit('respawn');
      return;
    }
    case 'respawn:stepSent':
    case 'respawn:stepCompleted':
      return;
    case 'task:created':
    case 'task:updated':
    case 'task:completed':
    case 'task:failed':
      store.tasks.set(event.data.task.id, event.data.task);
      store.emit('tasks');
      return;
    case 'task:deleted':
      store.tasks.delete(event.data.id);
      store.emit('tasks');
      return;
    case 'ralph:started':
    case 'ralph:stopped':
      store.ralph = event.data.status;
      store.emit('ralph');
      return;
    case 'ralph:assigned':
    case 'ralph:completed':
      // The counts live in the status; the loop's own events carry only ids, so ask for it again.
      store.emit('ralph');
      return;
    case 'scheduled:updated':
      store.scheduled.set(event.data.id, event.data.run);
      store.emit('scheduled');
      return;
    case 'scheduled:created':
    case 'scheduled:log':
    case 'scheduled:completed':
    case 'scheduled:stopped':
      // Full runs come with `scheduled:updated`; these only prompt a redraw (logs are in the run).
      store.emit('scheduled');
      return;
    case 'case:created':
    case 'session:output':
    case 'session:terminal':
    case 'session:exit':
    case 'session:idle':
    case 'session:working':
    case 'session:interactive':
    case 'session:limited':
      // `session:state` carries the limit too.
      return;
  }
}
