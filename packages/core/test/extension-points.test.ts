import { describe, expect, it } from 'vitest';
import { InvoiceLine, Track } from '../../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../../examples/chinook/src/seeder.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { type BulkWriteEvent, onBulkWrite } from '../src/index.js';
import { currentOperation, runInOperation } from '../src/internal.js';

describe('currentOperation', () => {
  it('is undefined outside an operation and the outermost operation inside nested ones', async () => {
    expect(currentOperation()).toBeUndefined();
    const outer = { repository: 'TrackRepository', entity: 'Track', method: 'search', decorator: 'Timed' };
    const seen = await runInOperation(outer, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return runInOperation({ repository: 'TrackRepository', entity: 'Track', method: 'findPage' }, async () =>
        currentOperation(),
      );
    });
    expect(seen).toEqual(outer);
    expect(currentOperation()).toBeUndefined();
  });
});

describeEachDriver('BaseRepository extension points', (ctx) => {
  const chinook = useChinook(ctx);

  it('names the repository and method of every query it sends, for the profiler to read', async () => {
    const em = chinook.em();
    chinook.resetQueries();
    await em.getRepository(Track).findPage({ perPage: 2 });
    await em.getRepository(Track).countBy('genre');
    const ids = await em.getRepository(InvoiceLine).insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: 1 }]);
    await em.getRepository(InvoiceLine).deleteMany(ids);
    for await (const _ of em.getRepository(Track).stream({ album: 1 }, { batchSize: 5 })) {
      // drain
    }
    const methods = chinook.statements().map((q) => `${q.operation?.repository}.${q.operation?.method}`);
    expect(methods).toEqual([
      'TrackRepository.findPage',
      'TrackRepository.findPage',
      'TrackRepository.countBy',
      'InvoiceLineRepository.insertMany',
      'InvoiceLineRepository.deleteMany',
      // album 1 has 10 tracks: two batches of 5 (MikroORM's cursor reads one row ahead to know there is no third)
      'TrackRepository.stream',
      'TrackRepository.stream',
    ]);
    expect(chinook.statements()[0]!.operation).toMatchObject({ entity: 'Track' });
  });

  it('tells onBulkWrite listeners which rows each bulk write changed, after it ran', async () => {
    const events: Omit<BulkWriteEvent, 'em'>[] = [];
    const off = onBulkWrite(chinook.orm, async ({ em, ...event }) => {
      // the write is visible to the listener (its transaction is done)
      if (event.operation === 'insert') {
        expect(await em.fork().getRepository(InvoiceLine).count()).toBe(CHINOOK_COUNTS.invoiceLines + 2);
      }
      events.push(event);
    });
    try {
      const lines = chinook.em().getRepository(InvoiceLine);
      const ids = await lines.insertMany([
        { invoice: 1, track: 1, unitPrice: 1, quantity: 1 },
        { invoice: 1, track: 2, unitPrice: 1, quantity: 1 },
      ]);
      await lines.upsertMany([{ id: ids[0], invoice: 1, track: 1, unitPrice: 2, quantity: 1 }]);
      await lines.updateMany(ids, { quantity: 2 });
      await lines.updateMany([{ id: ids[1]!, quantity: 3 }]);
      await lines.deleteMany([ids[0]!]);
      await lines.deleteMany({ id: ids[1] });
      expect(events).toEqual([
        { entity: 'InvoiceLine', operation: 'insert', ids, where: undefined },
        { entity: 'InvoiceLine', operation: 'upsert', ids: [ids[0]], where: undefined },
        { entity: 'InvoiceLine', operation: 'update', ids, where: undefined },
        { entity: 'InvoiceLine', operation: 'update', ids: [ids[1]], where: undefined },
        { entity: 'InvoiceLine', operation: 'delete', ids: [ids[0]], where: undefined },
        { entity: 'InvoiceLine', operation: 'delete', ids: undefined, where: { id: ids[1] } },
      ]);
    } finally {
      off();
    }
    await chinook.em().getRepository(InvoiceLine).insertMany([]);
    await chinook.em().getRepository(InvoiceLine).deleteMany([]);
    expect(events).toHaveLength(6);
  });

  it('reports nothing for a bulk write that failed and rolled back', async () => {
    const events: BulkWriteEvent[] = [];
    const off = onBulkWrite(chinook.orm, (event) => {
      events.push(event);
    });
    try {
      await expect(
        chinook
          .em()
          .getRepository(InvoiceLine)
          .insertMany([{ invoice: 1, track: 1, unitPrice: 1, quantity: null } as never]),
      ).rejects.toThrow();
      expect(events).toEqual([]);
    } finally {
      off();
    }
  });
});
