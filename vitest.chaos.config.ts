import { defineConfig } from 'vitest/config';

// The chaos tests (test/chaos): a real server killed with SIGKILL under load. They run after the main
// suite, on their own, so their load disturbs no other test; CHAOS_ROUNDS repeats them.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
