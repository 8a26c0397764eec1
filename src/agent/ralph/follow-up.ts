import type { QueueTask } from '../../protocol/rest/tasks.js';
import type { Result } from '../../protocol/result.js';
import type { TaskQueue } from '../tasks/task-queue.js';
import type { NewTask } from '../tasks/task-validation.js';

/**
 * Work the loop gives itself when the queue runs dry before the minimum duration has passed: the
 * usual next steps after any change, taken in turn. Generic on purpose: the agent knows the project,
 * the loop does not.
 */
export const FOLLOW_UP_PROMPTS: readonly string[] = [
  'Review the work done so far in this directory and improve it: fix bugs, simplify, and make sure it builds.',
  'Add tests for code paths that are not tested yet, and make them pass.',
  'Bring the documentation (README, CLAUDE.md, comments) up to date with the code.',
];

/** Below the default priority (0): a task a person adds meanwhile goes first. */
export const FOLLOW_UP_PRIORITY = -1;

/** The `index`-th follow-up, in the directory where the loop last worked (any directory when null). */
function followUpTask(index: number, workingDir: string | null): NewTask {
  const prompt = FOLLOW_UP_PROMPTS[index % FOLLOW_UP_PROMPTS.length] ?? 'Review and improve what was done.';
  return { prompt, workingDir, priority: FOLLOW_UP_PRIORITY };
}

/** The follow-ups one run of the loop gives itself: in turn, where it last worked. */
export class FollowUps {
  #added = 0;
  /** Where the loop last assigned a task; null before the first. */
  lastWorkingDir: string | null = null;

  /** Adds the next follow-up to the queue. */
  addNext(queue: TaskQueue): Result<{ task: QueueTask }> {
    const index = this.#added++;
    const added = queue.add(followUpTask(index, this.lastWorkingDir));
    // The directory may have gone since; the follow-up can run anywhere.
    if (!added.ok && added.code === 'INVALID_PATH') return queue.add(followUpTask(index, null));
    return added;
  }
}
