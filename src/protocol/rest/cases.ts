import Type, { type Static } from 'typebox';

/** Letters, digits, `-` and `_`; 1–64 characters; no dots, so no `..` and no hidden directories. */
export const CASE_NAME_PATTERN = '^[A-Za-z0-9_-]{1,64}$';

export const CaseInfo = Type.Object({
  name: Type.String({ pattern: CASE_NAME_PATTERN }),
  path: Type.String(),
  hasClaudeMd: Type.Boolean(),
  description: Type.String(),
});
export type CaseInfo = Static<typeof CaseInfo>;

/** `POST /api/cases` (201). */
export const CreatedCaseReply = Type.Object({
  success: Type.Literal(true),
  case: Type.Object({ name: Type.String(), path: Type.String() }),
});
