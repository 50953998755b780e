import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests share one redis-server and loopback ports; running files
    // in parallel on a 2-core machine only makes timings flaky.
    fileParallelism: false,
    globalSetup: ['test/helpers/global-redis.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
