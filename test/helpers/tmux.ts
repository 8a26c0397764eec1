import { spawnSync } from 'node:child_process';

/**
 * Whether the tests that need tmux run: always in CI (.ci/run installs it, so a missing tmux fails
 * there), elsewhere only where it is installed.
 */
export const TMUX_TESTS = process.env.CI === 'true' || spawnSync('tmux', ['-V']).status === 0;
