import type { CaseStore } from '../../agent/cases/cases.js';
import type { SessionManager } from '../../agent/session/session-manager.js';
import type { EventBus } from '../../events/bus.js';
import type { StatusSnapshot } from '../../protocol/rest/status.js';
import type { StorageStatus } from '../../store/storage-guard.js';
import type { Clock } from '../../supervisor/clock.js';
import type { Supervisor } from '../../supervisor/supervisor.js';
import type { EngineEvent } from '../engine-event.js';
import type { SseHub } from '../sse/sse-hub.js';

/** What the REST routes work with: the engine's parts, never the server's internals. */
export interface ApiContext {
  readonly sessions: SessionManager;
  readonly cases: CaseStore;
  readonly supervisor: Supervisor;
  readonly bus: EventBus<EngineEvent>;
  readonly sse: SseHub;
  readonly clock: Clock;
  /** The state snapshot of `/api/status` and the SSE `init` event. */
  snapshot(): StatusSnapshot;
  /** Whether the store takes writes (for `/healthz`); absent: always healthy. */
  storage?(): StorageStatus;
}
