import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts', '**/*.test.tsx'],
    exclude: ['node_modules/**', 'dist/**', 'templates/**'],
    pool: 'forks',
    // A timeout is there to catch a hang, not to measure speed: tests wait for events
    // (test/support/wait.ts), so a loaded machine makes them slower, never red, and only
    // a real hang reaches this. On a slow 2-core machine under the parallel suite, a test
    // of a dozen CLI runs was seen taking 26 s.
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // End-to-end files each start real servers; two at a time suits a 2-core machine.
    maxWorkers: 2,
  },
});
