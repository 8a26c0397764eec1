/**
 * What a Claude Code hook payload means for a session. Hooks are the definitive signal; the terminal
 * heuristic is the fallback for CLIs without them.
 */
export type HookVerdict =
  | { readonly kind: 'idle'; readonly reason: string; readonly lastAssistantMessage: string | null }
  | { readonly kind: 'working'; readonly reason: string }
  /** The turn ended in an error (StopFailure): `errorKind` is the CLI's class, e.g. `rate_limit`. */
  | { readonly kind: 'failed'; readonly error: string; readonly errorKind: string | null }
  | {
      readonly kind: 'attention';
      readonly attention: 'permission' | 'idle' | 'input';
      readonly message: string;
    }
  | { readonly kind: 'session-start'; readonly claudeSessionId: string | null }
  | { readonly kind: 'ignored'; readonly event: string };

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value.slice(0, 1_000) : fallback;
}

/** The hook's event (`Stop`, `Notification`, …), or '' when the payload names none. */
export function hookEventName(payload: Record<string, unknown>): string {
  return typeof payload.hook_event_name === 'string' ? payload.hook_event_name : '';
}

export function interpretHook(payload: Record<string, unknown>): HookVerdict {
  const event = hookEventName(payload);
  switch (event) {
    case 'Stop':
      return {
        kind: 'idle',
        reason: 'turn finished (Stop hook)',
        lastAssistantMessage:
          typeof payload.last_assistant_message === 'string' ? payload.last_assistant_message : null,
      };
    case 'UserPromptSubmit':
      return { kind: 'working', reason: 'prompt submitted (UserPromptSubmit hook)' };
    case 'PreToolUse':
    case 'PostToolUse':
      // A tool runs: whatever waited for a person (a permission prompt) was answered.
      return { kind: 'working', reason: `tool use (${event} hook)` };
    case 'StopFailure': {
      const errorKind = typeof payload.error === 'string' ? payload.error : null;
      return {
        kind: 'failed',
        error: text(payload.last_assistant_message, `the turn failed (${errorKind ?? 'unknown error'})`),
        errorKind,
      };
    }
    case 'SessionStart':
      return {
        kind: 'session-start',
        claudeSessionId: typeof payload.session_id === 'string' ? payload.session_id : null,
      };
    case 'Notification': {
      const type = payload.notification_type;
      const message = text(payload.message, 'Claude needs your attention');
      if (type === 'permission_prompt') return { kind: 'attention', attention: 'permission', message };
      if (type === 'elicitation_dialog') return { kind: 'attention', attention: 'input', message };
      // idle_prompt, and notifications of older CLIs without a type, mean "waiting for input".
      return { kind: 'attention', attention: 'idle', message };
    }
    default:
      return { kind: 'ignored', event };
  }
}
