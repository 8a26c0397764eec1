/**
 * What each iteration of a scheduled run is asked. The agent starts every iteration in a fresh session
 * with no memory of the previous ones, so the preamble tells it the time left (to size its work and
 * wrap up in time) and that the working directory is where earlier iterations left their work.
 *
 * Wording (the user's prompt follows after a blank line):
 *   You have 4 minutes 30 seconds left in this scheduled run. The task below is given to a fresh
 *   session again and again until the time is up: continue from what earlier iterations left in the
 *   working directory, and leave it in a consistent state before your time runs out.
 */
export function iterationPrompt(prompt: string, remainingMs: number): string {
  return (
    `You have ${formatRemaining(remainingMs)} left in this scheduled run. ` +
    'The task below is given to a fresh session again and again until the time is up: continue from ' +
    'what earlier iterations left in the working directory, and leave it in a consistent state before ' +
    `your time runs out.\n\n${prompt}`
  );
}

const SECOND_MS = 1_000;
const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;

function unit(count: number, name: string): string {
  return `${count} ${name}${count === 1 ? '' : 's'}`;
}

/**
 * Time left in words, rounded down (an agent told too little time finishes early; told too much, it
 * overruns): "45 seconds", "4 minutes 30 seconds", "2 hours 5 minutes"; under a second, "less than a
 * second".
 */
export function formatRemaining(remainingMs: number): string {
  const total = Math.floor(Math.max(0, remainingMs) / SECOND_MS);
  if (total === 0) return 'less than a second';
  if (total < MINUTE_S) return unit(total, 'second');
  if (total < HOUR_S) {
    const minutes = Math.floor(total / MINUTE_S);
    const seconds = total % MINUTE_S;
    return seconds === 0 ? unit(minutes, 'minute') : `${unit(minutes, 'minute')} ${unit(seconds, 'second')}`;
  }
  const hours = Math.floor(total / HOUR_S);
  const minutes = Math.floor((total % HOUR_S) / MINUTE_S);
  return minutes === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes, 'minute')}`;
}
