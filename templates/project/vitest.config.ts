import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['services/**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**'],
    pool: 'forks',
    // One log line per request is for running servers; tests read their results, not their logs.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
  },
});
