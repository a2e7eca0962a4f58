import { configDefaults, defineConfig } from 'vitest/config';

/** The short soak runs alone, after the rest (`npm run test:soak`): it measures, and must not share the cores. */
const SOAK = 'test/e2e/soak.test.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...(process.env.STINT_SOAK === '1' ? [] : [SOAK])],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: integration files each start their own database; keep parallelism modest.
    maxWorkers: 2,
  },
});
