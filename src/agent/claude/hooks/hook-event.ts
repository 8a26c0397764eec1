/**
 * What a Claude Code hook payload means for a session. Hooks are the definitive signal; the terminal
 * heuristic is the fallback for CLIs without them.
 */
export type HookVerdict =
  | { readonly kind: 'idle'; readonly reason: string; readonly lastAssistantMessage: string | null }
  | { readonly kind: 'working'; readonly reason: string }
  | { readonly kind: 'attention'; readonly attention: 'permission' | 'idle'; readonly message: string }
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
    case 'SessionStart':
      return {
        kind: 'session-start',
        claudeSessionId: typeof payload.session_id === 'string' ? payload.session_id : null,
      };
    case 'Notification': {
      const type = payload.notification_type;
      const message = text(payload.message, 'Claude needs your attention');
      if (type === 'permission_prompt') return { kind: 'attention', attention: 'permission', message };
      // idle_prompt, and notifications of older CLIs without a type, mean "waiting for input".
      return { kind: 'attention', attention: 'idle', message };
    }
    default:
      return { kind: 'ignored', event };
  }
}
