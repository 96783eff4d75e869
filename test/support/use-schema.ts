import { type EntityManager, MikroORM } from '@mikro-orm/core';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { afterAll, beforeAll } from 'vitest';
import type { DriverContext } from '../harness/index.js';

/** What a suite with a schema of its own gets: the ORM, open from `beforeAll` to `afterAll`. */
export interface SchemaSuite {
  readonly orm: MikroORM;
}

/**
 * Registers `beforeAll`/`afterAll` in the current suite: opens MikroORM on the suite's database
 * (from `describeEachDriver`) with `entities`, creates their schema, runs `seed` on a fork and flushes
 * it; closes the ORM after. For tests that need entities Chinook does not have (see `useChinook`).
 *
 * @example
 * describeEachDriver('loaders() on composite keys', (ctx) => {
 *   const db = useSchema(ctx, [Slot, Item], (em) => {
 *     em.create(Slot, { rack: 1, position: 1 });
 *   });
 *   it('loads a slot', async () => {
 *     expect(await loaders(db.orm.em.fork()).entity(Slot).load([1, 1])).not.toBeNull();
 *   });
 * });
 */
export function useSchema(
  ctx: DriverContext,
  entities: readonly (abstract new (...args: never[]) => object)[],
  seed: (em: EntityManager) => void | Promise<void>,
): SchemaSuite {
  let orm: MikroORM | undefined;
  beforeAll(async () => {
    orm = await MikroORM.init({ ...ctx.options, entities: [...entities], metadataProvider: ReflectMetadataProvider });
    await orm.schema.create();
    const em = orm.em.fork();
    await seed(em);
    await em.flush();
  });
  afterAll(() => orm?.close(true));
  return {
    get orm() {
      if (!orm) throw new Error('useSchema: the ORM is open from beforeAll to afterAll only');
      return orm;
    },
  };
}
