import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The chaos tests run after this suite, alone (vitest.chaos.config.ts).
    exclude: ['test/chaos/**', 'node_modules/**'],
    // Integration tests spawn real processes and servers; forks isolate native modules per file.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
