import Type from 'typebox';

/** `POST /api/hooks/:sessionId`: what the session made of a Claude Code hook (for the relay's log). */
export const HookReply = Type.Object({
  success: Type.Literal(true),
  verdict: Type.String({ description: 'idle, working, attention, session-start or ignored' }),
});
