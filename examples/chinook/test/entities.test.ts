import { expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import * as entities from '../src/entities/index.js';

describeEachDriver('Chinook entities', (ctx) => {
  const chinook = useChinook(ctx);

  it('load clean: a flush right after loading rows of every entity sends no query', async () => {
    const em = chinook.em();
    for (const entity of Object.values(entities)) {
      if (typeof entity === 'function') {
        await em.find(entity as never, {}, { limit: 20 });
      }
    }
    expect(em.getUnitOfWork().getIdentityMap().values().length).toBeGreaterThan(100);
    chinook.resetQueries();
    await em.flush();
    expect(chinook.queries.map((query) => query.query)).toEqual([]);
  });
});
