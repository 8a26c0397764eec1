import Type from 'typebox';

/** The reply of a request that changed something and has nothing more to say. */
export const SuccessReply = Type.Object({ success: Type.Literal(true) });

/** The same, with a line for people (`Prompt started`, …). */
export const SuccessMessageReply = Type.Object({ success: Type.Literal(true), message: Type.String() });
