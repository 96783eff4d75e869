import { describe, expect, it } from 'vitest';
import { InvoiceLine, Track } from '../../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../../examples/chinook/src/seeder.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { type LoggedQuery, useChinook } from '../../../test/support/use-chinook.js';

/**
 * The same PostgreSQL database registered twice: as the primary ("primary") and as a read replica
 * ("replica"). MikroORM's logger names the connection of every query, so each method's routing shows.
 */
describeEachDriver(
  'BaseRepository with read replicas',
  (ctx) => {
    const chinook = useChinook(ctx, {
      config: {
        name: 'primary',
        get replicas() {
          return [{ name: 'replica', clientUrl: (ctx.options as { clientUrl: string }).clientUrl }];
        },
      },
    });

    const connectionsOf = (queries: LoggedQuery[]) => [
      ...new Set(queries.map((q) => `${q.connection?.type}:${q.connection?.name}`)),
    ];

    describe('reads go to the replica', () => {
      const reads: Record<string, (tracks: ReturnType<typeof repo>) => Promise<unknown>> = {
        findPage: (tracks) => tracks.findPage({ orderBy: { name: 'asc' }, perPage: 5 }),
        findByCursor: (tracks) => tracks.findByCursor({ orderBy: { name: 'asc' }, first: 5 }),
        findByIds: (tracks) => tracks.findByIds([1, 2, 3]),
        countBy: (tracks) => tracks.countBy('genre'),
        aggregate: (tracks) => tracks.aggregate({ metrics: { n: { count: '*' } } }),
        stream: async (tracks) => {
          for await (const _ of tracks.stream({ album: 1 }, { batchSize: 4 })) {
            // drain
          }
        },
      };
      const repo = () => chinook.em().getRepository(Track);
      for (const [method, read] of Object.entries(reads)) {
        it(`${method} reads from the replica`, async () => {
          chinook.resetQueries();
          await read(repo());
          expect(chinook.statements().length).toBeGreaterThan(0);
          expect(connectionsOf(chinook.statements())).toEqual(['read:replica']);
        });
      }
    });

    describe('writes never do', () => {
      it('insertMany, upsertMany, updateMany and deleteMany run on the primary, transaction included', async () => {
        const lines = chinook.em().getRepository(InvoiceLine);
        chinook.resetQueries();
        const ids = await lines.insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: 1 }]);
        await lines.upsertMany([{ id: ids[0], invoice: 1, track: 1, unitPrice: 2, quantity: 1 }], {
          onConflict: ['id'],
        });
        await lines.updateMany(ids, { quantity: 3 });
        await lines.updateMany([{ id: ids[0]!, quantity: 4 }]);
        await lines.deleteMany(ids);
        expect(chinook.queries.length).toBeGreaterThanOrEqual(15);
        expect(connectionsOf(chinook.queries)).toEqual(['write:primary']);
        expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(CHINOOK_COUNTS.invoiceLines);
      });

      it('reads inside a transaction stay on the primary, where they see its uncommitted writes', async () => {
        await chinook.em().transactional(async (trx) => {
          await trx.getRepository(InvoiceLine).insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: 1 }]);
          chinook.resetQueries();
          const page = await trx.getRepository(InvoiceLine).findPage({ perPage: 1 });
          expect(page.total).toBe(CHINOOK_COUNTS.invoiceLines + 1);
          expect(connectionsOf(chinook.statements())).toEqual(['write:primary']);
          await trx.getRepository(InvoiceLine).deleteMany({ id: { $gt: CHINOOK_COUNTS.invoiceLines } });
        });
      });
    });
  },
  { drivers: ['postgresql'] },
);
