// The opt-in real-cluster suite (`npm run test:cluster`). The default config excludes test/cluster,
// so this suite has its own config: long timeouts, one file at a time, no parallel workers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 20 * 60_000,
    hookTimeout: 20 * 60_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
