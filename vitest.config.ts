import { defineConfig } from 'vitest/config';

/**
 * Export conditions for the test run. `@stratum/source` makes `@stratum/*` imports resolve to the
 * packages' `src/*.ts` (no build needed); the rest are Vite's default server conditions minus
 * `module` (what Vitest itself uses for Node). Vitest also passes the SSR list to its forked workers
 * as `--conditions`, so externalized imports resolve the same way.
 */
const conditions = ['@stratum/source', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  // Legacy (experimental) decorators with design:type metadata, as MikroORM's
  // `@mikro-orm/decorators/legacy` + ReflectMetadataProvider need. Set explicitly rather than relying on
  // tsconfig discovery; test/harness-tests/vitest-config.test.ts proves it works.
  oxc: {
    decorator: { legacy: true, emitDecoratorMetadata: true },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'test/**/*.test.ts', 'examples/*/test/**/*.test.ts'],
    pool: 'forks',
    // This machine (and CI) has 2 cores; each file may also run a database server's worth of load.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
    setupFiles: ['test/support/vitest-setup.ts'],
    // Resolves PostgreSQL/Redis once per run (env, local, testcontainers) and hands it to every worker.
    globalSetup: ['test/harness/global-setup.ts'],
  },
});
