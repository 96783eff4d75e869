import { beforeAll, expect, it } from 'vitest';
import { InvoiceLine, Track } from '../../../examples/chinook/src/entities/index.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { instrument, profile } from '../src/index.js';

describeEachDriver(
  'profile() with a read replica',
  (ctx) => {
    const chinook = useChinook(ctx, {
      config: {
        name: 'primary',
        get replicas() {
          return [{ name: 'replica', clientUrl: (ctx.options as { clientUrl: string }).clientUrl }];
        },
      },
    });
    beforeAll(() => instrument(chinook.orm));

    it('tells which connection each query used: reads on the replica, writes on the primary', async () => {
      const report = await profile(async () => {
        await chinook.em().getRepository(Track).findPage({ perPage: 2 });
        const ids = await chinook
          .em()
          .getRepository(InvoiceLine)
          .insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: 1 }]);
        await chinook.em().getRepository(InvoiceLine).deleteMany(ids);
      });
      expect(report.queries.map((query) => `${query.kind}@${query.connection.type}:${query.connection.name}`)).toEqual([
        'select@read:replica',
        'select@read:replica',
        'insert@write:primary',
        'delete@write:primary',
      ]);
    });
  },
  { drivers: ['postgresql'] },
);
