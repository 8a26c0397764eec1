/** Where an idle/working verdict came from: a Claude Code hook, or the terminal heuristic. */
export type ActivitySource = 'hook' | 'heuristic';

/** What a session's agent is doing, as the respawn controller and the Ralph loop act on it. */
export type SessionSignal =
  | { readonly kind: 'idle' | 'working'; readonly source: ActivitySource; readonly reason: string }
  | { readonly kind: 'output'; readonly chunk: string }
  | { readonly kind: 'exit'; readonly code: number | null; readonly signal: string | null }
  /** The session's cost moved (USD over all its runs). */
  | { readonly kind: 'cost'; readonly totalUsd: number }
  /** A turn ended in an error (the API's, reported by the CLI): no reply will come for it. */
  | {
      readonly kind: 'failed';
      readonly error: string;
      /** Set for a usage or rate limit: when it lifts (epoch ms). */
      readonly limitedUntil: number | null;
    };

export type SessionSignalListener = (signal: SessionSignal) => void;
