// The cache setups docs/cache.md shows (Redis, two tiers), run as written on a real Redis and both
// databases: enableCache with each store, a miss, a hit without a query.
import { expect, it } from 'vitest';
import { describeEachDriver, describeWithRedis, useRedisPrefix } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { redisCache } from '../src/snippets/redis-cache.js';
import { tieredCache } from '../src/snippets/tiered-cache.js';

describeWithRedis('cache setups of docs/cache.md', () => {
  const redis = useRedisPrefix();

  for (const [name, setup] of [
    ['Redis', redisCache],
    ['two tiers', tieredCache],
  ] as const) {
    describeEachDriver(name, (ctx) => {
      const chinook = useChinook(ctx);

      it(`${name}: the second call is a hit that sends no query`, async () => {
        chinook.resetQueries();
        const { first, hit, hits, misses } = await setup(
          chinook.orm,
          redis.url,
          `${redis.prefix}${ctx.driver}:${setup.name}:`,
        );
        expect(first?.id).toBe(1);
        expect(hit?.name).toBe(first?.name);
        expect([hits, misses]).toEqual([1, 1]);
        expect(chinook.statements().filter((q) => /^select/i.test(q.query))).toHaveLength(1);
      });
    });
  }
});
