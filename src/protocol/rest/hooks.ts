import Type from 'typebox';

/** `POST /api/hooks/:sessionId`: what the session made of a Claude Code hook (for the relay's log). */
export const HookReply = Type.Object({
  success: Type.Literal(true),
  verdict: Type.String({ description: 'idle, working, attention, session-start or ignored' }),
});

/** `POST /api/hooks/:sessionId/status`: whether the session took the CLI's status line JSON. */
export const StatusLineReply = Type.Object({
  success: Type.Literal(true),
  applied: Type.Boolean({ description: 'false when no CLI of the session runs (a late report)' }),
});
