import { afterAll, beforeAll } from 'vitest';

/**
 * Starts something for a suite (`beforeAll`) and stops it after (`afterAll`); returns the accessor
 * that gives it inside hooks and tests, and throws a clear error anywhere else.
 *
 * @example
 * ```ts
 * const server = useStarted('useRedisServer()', 'server', () => startRedisServer());
 * it('answers', async () => expect(await pingRedis(server().port)).toBe(true));
 * ```
 */
export function useStarted<T extends { stop(): Promise<void> }>(
  helper: string,
  what: string,
  start: () => Promise<T>,
): () => T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  });
  afterAll(async () => {
    const started = current;
    current = undefined;
    await started?.stop();
  });
  return () => {
    if (!current) throw new Error(`${helper}: the ${what} exists only inside hooks and tests`);
    return current;
  };
}
