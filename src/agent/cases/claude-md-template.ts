/**
 * The CLAUDE.md written into a new case: what Claude Code reads first in that directory. Kept short
 * and structured so the agent (and a person) can extend it as the work goes on.
 */
export interface CaseTemplateInput {
  readonly name: string;
  readonly description: string;
  readonly createdAt: Date;
}

export function renderCaseClaudeMd(input: CaseTemplateInput): string {
  const description = input.description.trim() || 'No description yet: ask what this case is for.';
  return `# ${input.name}

${description}

This directory is a Claudeman case, created ${input.createdAt.toISOString().slice(0, 10)}.

## How to work here

- Keep this file current: what the case is for, how to build and test, decisions and open questions.
- Work in small, verifiable steps; run the checks before saying a step is done.
- When a task names a completion phrase, print it as <promise>PHRASE</promise> only when the task is
  truly complete.

## Session log

| Date | Work done | Notes |
|------|-----------|-------|
`;
}
