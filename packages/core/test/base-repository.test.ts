import { Cursor } from '@mikro-orm/core';
import { describe, expect, it } from 'vitest';
import { Invoice, InvoiceLine, PlaylistTrack, Track } from '../../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../../examples/chinook/src/seeder.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import {
  BaseRepository,
  InvalidArgumentError,
  InvalidCursorError,
  StratumError,
  UnknownFieldError,
  UnsupportedOperationError,
} from '../src/index.js';

const TRACKS = CHINOOK_COUNTS.tracks;
const LINES = CHINOOK_COUNTS.invoiceLines;

describeEachDriver('BaseRepository on Chinook', (ctx) => {
  const chinook = useChinook(ctx);

  describe('findPage', () => {
    it('returns the page, the total and the page arithmetic', async () => {
      const tracks = chinook.em().getRepository(Track);
      const page = await tracks.findPage({ orderBy: { name: 'asc' }, page: 3, perPage: 25 });
      expect(page.items).toHaveLength(25);
      expect(page).toMatchObject({
        total: TRACKS,
        page: 3,
        perPage: 25,
        pages: Math.ceil(TRACKS / 25),
        hasNext: true,
        hasPrev: true,
      });
      const names = page.items.map((t) => t.name);
      expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    });

    it('gives an empty first page, with no next or previous, when nothing matches', async () => {
      const page = await chinook
        .em()
        .getRepository(Track)
        .findPage({ where: { name: 'no such track' } });
      expect(page).toEqual({ items: [], total: 0, page: 1, perPage: 20, pages: 0, hasNext: false, hasPrev: false });
    });

    it('puts the remainder on the last page and nothing after it', async () => {
      const tracks = chinook.em().getRepository(Track);
      const pages = Math.ceil(TRACKS / 100);
      const last = await tracks.findPage({ page: pages, perPage: 100 });
      expect(last.items).toHaveLength(TRACKS - (pages - 1) * 100);
      expect(last).toMatchObject({ hasNext: false, hasPrev: true });
      const past = await tracks.findPage({ page: pages + 1, perPage: 100 });
      expect(past.items).toEqual([]);
      expect(past).toMatchObject({ total: TRACKS, hasNext: false, hasPrev: true });
    });

    it('never repeats or skips a row across pages when the sort key has ties', async () => {
      // unit_price has two distinct values over 3503 tracks: the primary key must break the ties.
      const tracks = chinook.em().getRepository(Track);
      const seen: number[] = [];
      for (let page = 1; ; page++) {
        const result = await tracks.findPage({ orderBy: { unitPrice: 'desc' }, page, perPage: 97 });
        seen.push(...result.items.map((t) => t.id));
        if (!result.hasNext) break;
      }
      expect(seen).toHaveLength(TRACKS);
      expect(new Set(seen).size).toBe(TRACKS);
    });

    it('caps perPage at the repository maximum', async () => {
      const page = await chinook.em().getRepository(Track).findPage({ perPage: 5000 });
      expect(page.perPage).toBe(100);
      expect(page.items).toHaveLength(100);
    });

    it('lets a subclass raise the maximum', async () => {
      class WidePages extends BaseRepository<Track> {
        protected override readonly maxPerPage = 1000;
      }
      const page = await new WidePages(chinook.em(), Track).findPage({ perPage: 5000 });
      expect(page.perPage).toBe(1000);
    });

    it('rejects a bad page size or page number with a typed error that says what it got', async () => {
      const tracks = chinook.em().getRepository(Track);
      for (const perPage of [0, -1, 1.5, Number.NaN, '10']) {
        const error = await tracks.findPage({ perPage: perPage as number }).catch((e) => e);
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error.code).toBe('E_INVALID_ARGUMENT');
        expect(error.message).toMatch(/^perPage must be a positive integer, but got: /);
      }
      await expect(tracks.findPage({ page: 0 })).rejects.toThrow('page must be a positive integer, but got: 0.');
    });

    it('rejects an unknown field in orderBy or where before querying', async () => {
      const tracks = chinook.em().getRepository(Track);
      chinook.resetQueries();
      const error = await tracks.findPage({ orderBy: { colour: 'asc' } as never }).catch((e) => e);
      expect(error).toBeInstanceOf(UnknownFieldError);
      expect(error).toMatchObject({ code: 'E_UNKNOWN_FIELD', field: 'colour', entity: 'Track' });
      expect(error.message).toContain('orderBy names "colour", which is not a property of Track');
      await expect(tracks.findPage({ where: { $or: [{ colour: 1 }] } as never })).rejects.toBeInstanceOf(
        UnknownFieldError,
      );
      await expect(tracks.findPage({ orderBy: { name: 'sideways' } as never })).rejects.toThrow(InvalidArgumentError);
      expect(chinook.queries).toHaveLength(0);
    });
  });

  describe('findByCursor', () => {
    it('walks forward and back over tied sort keys without repeating or skipping a row', async () => {
      const tracks = chinook.em().getRepository(Track);
      const orderBy = { unitPrice: 'asc' } as const;
      const forward: number[] = [];
      let slice = await tracks.findByCursor({ orderBy, first: 100 });
      expect(slice.totalCount).toBe(TRACKS);
      expect(slice.hasPrevPage).toBe(false);
      forward.push(...slice.items.map((t) => t.id));
      while (slice.hasNextPage) {
        slice = await tracks.findByCursor({ orderBy, first: 100, after: slice.endCursor! });
        forward.push(...slice.items.map((t) => t.id));
      }
      expect(forward).toHaveLength(TRACKS);
      expect(new Set(forward).size).toBe(TRACKS);

      const backward: number[] = [];
      slice = await tracks.findByCursor({ orderBy, last: 100 });
      backward.unshift(...slice.items.map((t) => t.id));
      while (slice.hasPrevPage) {
        slice = await tracks.findByCursor({ orderBy, last: 100, before: slice.startCursor! });
        backward.unshift(...slice.items.map((t) => t.id));
      }
      expect(backward).toEqual(forward);
    });

    it('returns to the previous slice from the start cursor of the next one', async () => {
      const tracks = chinook.em().getRepository(Track);
      const orderBy = { milliseconds: 'desc' } as const;
      const first = await tracks.findByCursor({ orderBy, first: 7 });
      const second = await tracks.findByCursor({ orderBy, first: 7, after: first.endCursor! });
      const back = await tracks.findByCursor({ orderBy, last: 7, before: second.startCursor! });
      expect(back.items.map((t) => t.id)).toEqual(first.items.map((t) => t.id));
      expect(second.items[0]!.milliseconds).toBeLessThanOrEqual(first.items[6]!.milliseconds);
    });

    it('is empty, with no next page, for a filter that matches nothing', async () => {
      const slice = await chinook
        .em()
        .getRepository(Track)
        .findByCursor({ where: { milliseconds: -1 }, first: 10 });
      expect(slice.items).toEqual([]);
      expect(slice.hasNextPage).toBe(false);
      expect(slice.totalCount).toBe(0);
    });

    it('rejects a malformed cursor before any query runs', async () => {
      const tracks = chinook.em().getRepository(Track);
      const orderBy = { name: 'asc' } as const;
      chinook.resetQueries();
      for (const after of ['garbage!', '', Cursor.encode(['only one value']), Cursor.encode([1, 2, 3])]) {
        const error = await tracks.findByCursor({ orderBy, first: 5, after }).catch((e) => e);
        expect(error).toBeInstanceOf(InvalidCursorError);
        expect(error.code).toBe('E_INVALID_CURSOR');
        expect(error.message).toMatch(/^after must be a cursor returned by findByCursor/);
      }
      await expect(tracks.findByCursor({ orderBy, last: 5, before: 'nope' })).rejects.toBeInstanceOf(
        InvalidCursorError,
      );
      expect(chinook.queries).toHaveLength(0);
    });

    it('rejects a forged cursor whose values do not fit the sort columns, before any query runs', async () => {
      const em = chinook.em();
      const tracks = em.getRepository(Track);
      const invoices = em.getRepository(Invoice);
      chinook.resetQueries();
      const forged: [() => Promise<unknown>, RegExp][] = [
        [
          () => tracks.findByCursor({ orderBy: { name: 'asc' }, after: Cursor.encode([123, 5]) }),
          /value 1, for name, is 123, not a string/,
        ],
        [
          () => tracks.findByCursor({ orderBy: { name: 'asc' }, after: Cursor.encode(['A', 'abc']) }),
          /value 2, for id, is "abc", not an integer/,
        ],
        [
          () => tracks.findByCursor({ orderBy: { name: 'asc' }, after: Cursor.encode(['A', 1.5]) }),
          /for id, is 1.5, not an integer/,
        ],
        [
          () => tracks.findByCursor({ orderBy: { unitPrice: 'asc' }, after: Cursor.encode(['cheap', 1]) }),
          /for unitPrice, is "cheap", not a finite number/,
        ],
        [
          () => tracks.findByCursor({ orderBy: { album: 'asc' }, after: Cursor.encode(['x', 1]) }),
          /for album, is "x", not an integer/,
        ],
        [
          () => tracks.findByCursor({ orderBy: { milliseconds: 'asc' }, before: Cursor.encode([true, 1]) }),
          /^before must be .*for milliseconds, is true, not an integer/,
        ],
        [
          () => invoices.findByCursor({ orderBy: { invoiceDate: 'desc' }, after: Cursor.encode(['yesterday', 1]) }),
          /for invoiceDate, is "yesterday", not a date/,
        ],
      ];
      for (const [call, message] of forged) {
        const error = (await call().catch((e: unknown) => e)) as InvalidCursorError;
        expect(error).toBeInstanceOf(InvalidCursorError);
        expect(error.code).toBe('E_INVALID_CURSOR');
        expect(error.message).toMatch(message);
      }
      expect(chinook.queries).toHaveLength(0);
    });

    it('rejects a cursor value past the column range of the database', async () => {
      const tracks = chinook.em().getRepository(Track);
      const after = Cursor.encode([2 ** 31, 1]); // fits SQLite's 64-bit integer, not PostgreSQL's int
      const result = tracks.findByCursor({ orderBy: { milliseconds: 'asc' }, after });
      if (ctx.driver === 'postgresql') {
        await expect(result).rejects.toThrow(
          /for milliseconds, is 2147483648, not an integer from -2147483648 to 2147483647/,
        );
      } else {
        expect((await result).items).toEqual([]);
      }
    });

    it('accepts the cursors it hands out, nulls and dates included', async () => {
      const em = chinook.em();
      const composers = await em
        .getRepository(Track)
        .findByCursor({ orderBy: { composer: 'asc nulls first' }, first: 3 });
      expect(composers.items[0]!.composer).toBeNull(); // nulls first on both databases here: a null in the cursor
      const next = await em
        .getRepository(Track)
        .findByCursor({ orderBy: { composer: 'asc nulls first' }, first: 3, after: composers.endCursor! });
      expect(next.items).toHaveLength(3);
      const invoices = em.getRepository(Invoice);
      const first = await invoices.findByCursor({ orderBy: { invoiceDate: 'desc' }, first: 5 });
      const second = await invoices.findByCursor({
        orderBy: { invoiceDate: 'desc' },
        first: 5,
        after: first.endCursor!,
      });
      expect(second.items[0]!.invoiceDate.getTime()).toBeLessThanOrEqual(first.items[4]!.invoiceDate.getTime());
    });

    it('rejects first together with last, and a non-positive size', async () => {
      const tracks = chinook.em().getRepository(Track);
      await expect(tracks.findByCursor({ first: 1, last: 1 })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(tracks.findByCursor({ first: 0 })).rejects.toThrow('first must be a positive integer, but got: 0.');
    });
  });

  describe('findByIds', () => {
    it('returns entities in the order asked, null for a missing id, one instance for a repeated id', async () => {
      const tracks = chinook.em().getRepository(Track);
      const result = await tracks.findByIds([42, 999_999, 7, 42, 3503]);
      expect(result.map((t) => t?.id ?? null)).toEqual([42, null, 7, 42, 3503]);
      expect(result[0]).toBe(result[3]);
      expect(await tracks.findByIds([])).toEqual([]);
    });

    it('rejects an id that does not fit the primary key column, before any query runs', async () => {
      const tracks = chinook.em().getRepository(Track);
      chinook.resetQueries();
      const error = await tracks.findByIds([1, 'abc' as never]).catch((e) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe('E_INVALID_ARGUMENT');
      expect(error.message).toMatch(
        /^ids\[1\] must be a primary key of Track \(an integer from .*\), but got: "abc"\.$/,
      );
      await expect(tracks.findByIds([2.5])).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(new BaseRepository(chinook.em(), PlaylistTrack).findByIds([[1, 'x'] as never])).rejects.toThrow(
        /ids\[0\] must be a primary key of PlaylistTrack \(for track: an integer/,
      );
      expect(chinook.queries).toHaveLength(0);
    });

    it('reads ids given as numeric strings, as the database does', async () => {
      const [track] = await chinook
        .em()
        .getRepository(Track)
        .findByIds(['42' as never]);
      expect(track?.id).toBe(42);
    });

    it('reads more ids than one query carries', async () => {
      const ids = Array.from({ length: 2500 }, (_, i) => 2500 - i);
      const result = await chinook.em().getRepository(Track).findByIds(ids);
      expect(result.map((t) => t!.id)).toEqual(ids);
    });
  });

  describe('insertMany', () => {
    const line = (i: number) => ({
      invoice: (i % 412) + 1,
      track: ((i * 7) % 3503) + 1,
      unitPrice: i % 2 ? 0.99 : 1.99,
      quantity: (i % 3) + 1,
    });

    it('returns the new ids in input order and writes every value', async () => {
      const em = chinook.em();
      const lines = em.getRepository(InvoiceLine);
      const rows = [line(1), line(2), line(3)];
      const ids = await lines.insertMany(rows);
      expect(ids).toHaveLength(3);
      expect([...ids].sort((a, b) => a - b)).toEqual(ids);
      const stored = await lines.findByIds(ids);
      expect(
        stored.map((l) => ({
          invoice: l!.invoice.id,
          track: l!.track.id,
          unitPrice: l!.unitPrice,
          quantity: l!.quantity,
        })),
      ).toEqual(rows);
      await lines.deleteMany(ids);
    });

    it('splits at exact chunk boundaries: one statement per chunk, in one transaction', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      for (const [count, statements] of [
        [100, 1],
        [101, 2],
        [200, 2],
        [201, 3],
      ] as const) {
        chinook.resetQueries();
        const ids = await lines.insertMany(
          Array.from({ length: count }, (_, i) => line(i)),
          { chunkSize: 100 },
        );
        expect(ids).toHaveLength(count);
        expect(new Set(ids).size).toBe(count);
        expect(chinook.statements(/^insert/i)).toHaveLength(statements);
        expect(chinook.queries.filter((q) => /^begin/i.test(q.query))).toHaveLength(1);
        expect(chinook.queries.filter((q) => /^commit/i.test(q.query))).toHaveLength(1);
        await lines.deleteMany(ids);
      }
    });

    it("keeps every statement within the database's parameter limit", async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      chinook.resetQueries();
      const ids = await lines.insertMany(
        Array.from({ length: 20_000 }, (_, i) => line(i)),
        // Statements, not PostgreSQL's COPY path (insert-many-copy.test.ts).
        { chunkSize: 20_000, copyThreshold: Number.POSITIVE_INFINITY },
      );
      expect(ids).toHaveLength(20_000);
      const inserts = chinook.statements(/^insert/i);
      for (const insert of inserts) {
        expect(insert.params!.length).toBeLessThanOrEqual(ctx.driver === 'sqlite' ? 32_766 : 65_535);
      }
      // 20 000 rows × 4 columns = 80 000 values: more than one SQLite statement may bind.
      expect(inserts.length).toBe(ctx.driver === 'sqlite' ? Math.ceil(20_000 / Math.floor(32_766 / 4)) : 1);
      expect(await lines.count()).toBe(LINES + 20_000);
      expect(await lines.deleteMany(ids, { chunkSize: 50_000 })).toBe(20_000);
    });

    it("sends bound parameters that MikroORM's logger sees, on the write connection", async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      chinook.resetQueries();
      const ids = await lines.insertMany([line(4)]);
      const [insert] = chinook.statements(/^insert/i);
      expect(insert!.query).toMatch(/^insert into [`"]invoice_line[`"]/);
      expect(insert!.query).not.toContain('1.99');
      expect(insert!.params!.flat()).toContain(1.99);
      expect(insert!.connection).toMatchObject({ type: 'write' });
      expect(insert!.took).toBeTypeOf('number');
      await lines.deleteMany(ids);
    });

    it('writes nothing when a later chunk fails', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      const rows: object[] = Array.from({ length: 250 }, (_, i) => line(i));
      rows.push({ ...line(250), quantity: null });
      const error = await lines.insertMany(rows as never, { chunkSize: 100 }).catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect(chinook.statements(/^insert/i).length).toBeGreaterThanOrEqual(3);
      expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES);
    });

    it('commits and rolls back with the surrounding em.transactional()', async () => {
      const em = chinook.em();
      const failed = await em
        .transactional(async (trx) => {
          await trx.getRepository(InvoiceLine).insertMany([line(1), line(2)]);
          expect(await trx.getRepository(InvoiceLine).count()).toBe(LINES + 2);
          throw new Error('abort the unit of work');
        })
        .catch((e) => e);
      expect(failed.message).toBe('abort the unit of work');
      expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES);

      const ids = await em.transactional((trx) => trx.getRepository(InvoiceLine).insertMany([line(3)]));
      expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES + 1);
      await chinook.em().getRepository(InvoiceLine).deleteMany(ids);
    });

    it('takes entity instances and relations given as entities', async () => {
      const em = chinook.em();
      const [invoice, track] = [em.getReference(Invoice, 1), await em.findOneOrFail(Track, 2)];
      const entity = em.create(InvoiceLine, { invoice, track, unitPrice: 3.5, quantity: 2 }, { persist: false });
      const ids = await em.getRepository(InvoiceLine).insertMany([entity]);
      const stored = await chinook.em().findOneOrFail(InvoiceLine, ids[0]!);
      expect([stored.invoice.id, stored.track.id, stored.unitPrice, stored.quantity]).toEqual([1, 2, 3.5, 2]);
      await em.getRepository(InvoiceLine).deleteMany(ids);
    });

    it('rejects unknown fields, relations it cannot write and bad chunk sizes, writing nothing', async () => {
      const em = chinook.em();
      chinook.resetQueries();
      await expect(em.getRepository(InvoiceLine).insertMany([{ colour: 'red' } as never])).rejects.toBeInstanceOf(
        UnknownFieldError,
      );
      const collection = await em
        .getRepository(Invoice)
        .insertMany([{ lines: [] } as never])
        .catch((e) => e);
      expect(collection).toBeInstanceOf(UnsupportedOperationError);
      expect(collection.code).toBe('E_UNSUPPORTED_OPERATION');
      await expect(em.getRepository(InvoiceLine).insertMany([line(1)], { chunkSize: 0 })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(em.getRepository(InvoiceLine).insertMany('rows' as never)).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      expect(chinook.queries).toHaveLength(0);
      expect(await em.getRepository(InvoiceLine).insertMany([])).toEqual([]);
    });
  });

  describe('upsertMany', () => {
    it('updates colliding rows, inserts new ones and returns managed entities in input order', async () => {
      const em = chinook.em();
      const lines = em.getRepository(InvoiceLine);
      const result = await lines.upsertMany(
        [
          { id: 1, invoice: 1, track: 2, unitPrice: 9.99, quantity: 7 },
          { id: 900_001, invoice: 2, track: 3, unitPrice: 0.5, quantity: 1 },
        ],
        { onConflict: ['id'] },
      );
      expect(result.map((l) => [l.id, l.unitPrice, l.quantity])).toEqual([
        [1, 9.99, 7],
        [900_001, 0.5, 1],
      ]);
      expect(em.getUnitOfWork().getById(InvoiceLine, 900_001)).toBe(result[1]);
      const stored = await chinook.em().getRepository(InvoiceLine).findByIds([1, 900_001]);
      expect(stored.map((l) => l!.quantity)).toEqual([7, 1]);
      await lines.updateMany([{ id: 1, unitPrice: 0.99, quantity: 1 }]);
      await lines.deleteMany([900_001]);
    });

    it('merges only the listed columns, or nothing with action ignore', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      const before = (await chinook.em().findOneOrFail(InvoiceLine, 2)).unitPrice;
      await lines.upsertMany([{ id: 2, invoice: 1, track: 4, unitPrice: 42, quantity: 9 }], {
        onConflict: ['id'],
        merge: ['quantity'],
      });
      let stored = await chinook.em().findOneOrFail(InvoiceLine, 2);
      expect([stored.unitPrice, stored.quantity]).toEqual([before, 9]);
      const ignored = await lines.upsertMany([{ id: 2, invoice: 1, track: 4, unitPrice: 42, quantity: 1 }], {
        onConflict: ['id'],
        action: 'ignore',
      });
      expect(ignored).toEqual([]);
      stored = await chinook.em().findOneOrFail(InvoiceLine, 2);
      expect(stored.quantity).toBe(9);
      // MikroORM's option names work too.
      await lines.upsertMany([{ id: 2, invoice: 1, track: 4, unitPrice: 42, quantity: 1 }], {
        onConflictFields: ['id'],
        onConflictMergeFields: ['quantity'],
      });
      expect((await chinook.em().findOneOrFail(InvoiceLine, 2)).quantity).toBe(1);
    });

    it('rejects an empty conflict target and keys repeated in the input, writing nothing', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      chinook.resetQueries();
      const empty = await lines.upsertMany([{ id: 3, quantity: 1 }], { onConflict: [] }).catch((e) => e);
      expect(empty).toBeInstanceOf(InvalidArgumentError);
      expect(empty.message).toBe(
        'upsertMany() onConflict must be a non-empty array of unique properties, but got: [].',
      );
      const repeated = await lines
        .upsertMany(
          [
            { id: 3, quantity: 1 },
            { id: 3, quantity: 2 },
          ],
          { onConflict: ['id'] },
        )
        .catch((e) => e);
      expect(repeated).toBeInstanceOf(InvalidArgumentError);
      expect(repeated.message).toContain('unique on id within one call');
      await expect(
        lines.upsertMany([{ id: 3, quantity: 1 }], { onConflict: ['nope' as never] }),
      ).rejects.toBeInstanceOf(UnknownFieldError);
      expect(chinook.queries).toHaveLength(0);
    });
  });

  describe('updateMany', () => {
    it('sets the same values on a list of ids, chunked, and counts the rows it changed', async () => {
      const tracks = chinook.em().getRepository(Track);
      const ids = Array.from({ length: 120 }, (_, i) => i + 1);
      chinook.resetQueries();
      expect(await tracks.updateMany(ids, { unitPrice: 5.55 }, { chunkSize: 50 })).toBe(120);
      expect(chinook.statements(/^update/i)).toHaveLength(3);
      expect(await chinook.em().getRepository(Track).count({ unitPrice: 5.55 })).toBe(120);
      await tracks.updateMany(ids, { unitPrice: 0.99 });
    });

    it('gives each row its own values, leaving properties a row does not name untouched', async () => {
      const tracks = chinook.em().getRepository(Track);
      const [one, two] = await chinook.em().getRepository(Track).findByIds([1, 2]);
      const changed = await tracks.updateMany([
        { id: 1, name: 'First, renamed' },
        { id: 2, name: 'Second, renamed', milliseconds: 1234 },
      ]);
      expect(changed).toBe(2);
      const [a, b] = await chinook.em().getRepository(Track).findByIds([1, 2]);
      expect([a!.name, a!.milliseconds]).toEqual(['First, renamed', one!.milliseconds]);
      expect([b!.name, b!.milliseconds]).toEqual(['Second, renamed', 1234]);
      await tracks.updateMany([
        { id: 1, name: one!.name },
        { id: 2, name: two!.name, milliseconds: two!.milliseconds },
      ]);
    });

    it('rejects a row without its primary key and values without a property', async () => {
      const tracks = chinook.em().getRepository(Track);
      await expect(tracks.updateMany([{ name: 'x' }])).rejects.toThrow(
        'updateMany() rows[0] must be a row object with its primary key id',
      );
      await expect(tracks.updateMany([1, 2], {})).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(tracks.updateMany([1], { nope: 1 } as never)).rejects.toBeInstanceOf(UnknownFieldError);
    });
  });

  describe('deleteMany', () => {
    it('deletes by ids or by filter and counts what it deleted', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      const ids = await lines.insertMany(
        Array.from({ length: 30 }, () => ({ invoice: 5, track: 5, unitPrice: 77, quantity: 1 })),
      );
      expect(await lines.deleteMany(ids.slice(0, 10), { chunkSize: 4 })).toBe(10);
      expect(await lines.deleteMany({ unitPrice: 77 })).toBe(20);
      expect(await lines.deleteMany([])).toBe(0);
      expect(await lines.count()).toBe(LINES);
    });

    it('refuses an empty filter rather than deleting every row', async () => {
      const error = await chinook
        .em()
        .getRepository(InvoiceLine)
        .deleteMany({})
        .catch((e) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain('nativeDelete({})');
    });
  });

  describe('stream', () => {
    it('yields every matching row once, in primary key order, across batch boundaries', async () => {
      const lines = chinook.em().getRepository(InvoiceLine);
      const expected = (await chinook.em().find(InvoiceLine, { quantity: 1 }, { orderBy: { id: 'asc' } })).map(
        (l) => l.id,
      );
      for (const batchSize of [1000, expected.length, 7]) {
        const ids: number[] = [];
        for await (const line of lines.stream({ quantity: 1 }, { batchSize })) {
          ids.push(line.id);
        }
        expect(ids).toEqual(expected);
      }
    });

    it('yields detached entities: the identity map stays empty', async () => {
      const em = chinook.em();
      let count = 0;
      for await (const line of em.getRepository(InvoiceLine).stream({}, { batchSize: 500 })) {
        expect(line).toBeInstanceOf(InvoiceLine);
        count++;
      }
      expect(count).toBe(LINES);
      expect(em.getUnitOfWork().getIdentityMap().values()).toHaveLength(0);
    });

    it("accepts MikroORM's stream({ where, orderBy, chunkSize }) call shape", async () => {
      const seen: number[] = [];
      for await (const track of chinook
        .em()
        .getRepository(Track)
        .stream({ where: { album: 1 }, orderBy: { name: 'desc' }, chunkSize: 3 })) {
        seen.push(track.id);
      }
      const expected = await chinook.em().find(Track, { album: 1 }, { orderBy: [{ name: 'desc' }, { id: 'asc' }] });
      expect(seen).toEqual(expected.map((t) => t.id));
    });
  });

  describe('countBy and aggregate', () => {
    it('counts per value of a field in one grouped query', async () => {
      const tracks = chinook.em().getRepository(Track);
      chinook.resetQueries();
      const perMediaType = await tracks.countBy('mediaType');
      expect(chinook.statements()).toHaveLength(1);
      expect(Object.values(perMediaType).reduce((a, b) => a + b, 0)).toBe(TRACKS);
      expect(perMediaType['1']).toBe(await tracks.count({ mediaType: 1 }));
      const cheap = await tracks.countBy('mediaType', { unitPrice: { $lt: 1 } });
      expect(cheap['1']).toBe(await tracks.count({ mediaType: 1, unitPrice: { $lt: 1 } }));
      await expect(tracks.countBy('colour' as never)).rejects.toBeInstanceOf(UnknownFieldError);
    });

    it('answers total / distinct / sum / min / max questions in one query, grouped or not', async () => {
      const invoices = chinook.em().getRepository(Invoice);
      chinook.resetQueries();
      const [all] = await invoices.aggregate({
        metrics: {
          invoices: { count: '*' },
          customers: { countDistinct: 'customer' },
          revenue: { sum: 'total' },
          smallest: { min: 'total' },
          biggest: { max: 'total' },
        },
      });
      expect(chinook.statements()).toHaveLength(1);
      const every = await chinook.em().find(Invoice, {});
      const totals = every.map((i) => i.total);
      expect(all).toEqual({
        invoices: every.length,
        customers: new Set(every.map((i) => i.customer.id)).size,
        revenue: expect.closeTo(
          totals.reduce((a, b) => a + b, 0),
          2,
        ),
        smallest: Math.min(...totals),
        biggest: Math.max(...totals),
      });

      const perCountry = await invoices.aggregate({
        groupBy: 'billingCountry',
        where: { total: { $gt: 5 } },
        metrics: { n: { count: '*' }, avg: { avg: 'total' } },
      });
      const usa = every.filter((i) => i.billingCountry === 'USA' && i.total > 5);
      expect(perCountry.find((r) => r.billingCountry === 'USA')).toEqual({
        billingCountry: 'USA',
        n: usa.length,
        avg: expect.closeTo(usa.reduce((a, i) => a + i.total, 0) / usa.length, 6),
      });
      expect(perCountry.map((r) => r.billingCountry)).toEqual([...perCountry.map((r) => r.billingCountry)].sort());
    });

    it('rejects an empty or unknown metric', async () => {
      const invoices = chinook.em().getRepository(Invoice);
      await expect(invoices.aggregate({ metrics: {} })).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(invoices.aggregate({ metrics: { x: { median: 'total' } as never } })).rejects.toThrow(
        /metrics\.x must be one of/,
      );
      await expect(invoices.aggregate({ metrics: { x: { sum: '*' } as never } })).rejects.toBeInstanceOf(
        InvalidArgumentError,
      );
      await expect(invoices.aggregate({ metrics: { x: { sum: 'lines' as never } } })).rejects.toBeInstanceOf(
        UnsupportedOperationError,
      );
    });
  });

  it('raises only StratumError subclasses with stable codes', () => {
    for (const ErrorClass of [InvalidArgumentError, InvalidCursorError, UnknownFieldError, UnsupportedOperationError]) {
      expect(ErrorClass.prototype).toBeInstanceOf(StratumError);
      expect(ErrorClass.code).toMatch(/^E_[A-Z_]+$/);
    }
  });
});
