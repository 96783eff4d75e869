// BaseRepository.insertMany's COPY path on PostgreSQL: taken from copyThreshold rows on, writing what
// the insert-statement path writes, returning ids in input order, all or nothing, inside the caller's
// transaction.
import { ArrayType, DriverException, EntityRepositoryType, MikroORM, Type } from '@mikro-orm/core';
import { Entity, PrimaryKey, Property, ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvoiceLine } from '../../../examples/chinook/src/entities/index.js';
import { CHINOOK_COUNTS } from '../../../examples/chinook/src/seeder.js';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useChinook } from '../../../test/support/use-chinook.js';
import { importOptional, loadCopyFrom } from '../src/bulk/postgresql-copy.js';
import { BaseRepository, CopyRowCountError, InvalidArgumentError, MissingDependencyError } from '../src/index.js';

const LINES = CHINOOK_COUNTS.invoiceLines;

const line = (i: number) => ({
  invoice: (i % 412) + 1,
  track: ((i * 7) % 3503) + 1,
  unitPrice: [0.99, 1.99, 0.49][i % 3] as number,
  quantity: (i % 5) + 1,
});

@Entity({ tableName: 'copy_value', repository: () => BaseRepository })
class CopyValue {
  [EntityRepositoryType]?: BaseRepository<CopyValue>;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'text', nullable: true })
  text?: string | null;

  @Property({ type: 'string', length: 40, nullable: true })
  short?: string | null;

  @Property({ type: 'json', nullable: true })
  doc?: unknown;

  @Property({ type: 'blob', nullable: true })
  bytes?: Buffer | null;

  @Property({ type: ArrayType, nullable: true })
  tags?: string[] | null;

  @Property({ type: 'boolean', nullable: true })
  flag?: boolean | null;

  @Property({ type: 'datetime', nullable: true })
  at?: Date | null;

  /** `timestamp` without time zone: what is stored depends on how the client spells a Date. */
  @Property({ type: 'datetime', columnType: 'timestamp(3)', nullable: true })
  wall?: Date | null;

  @Property({ type: 'date', nullable: true })
  day?: string | null;

  @Property({ type: 'decimal', precision: 14, scale: 4, nullable: true })
  amount?: string | null;

  @Property({ type: 'bigint', nullable: true })
  big?: string | null;

  @Property({ type: 'integer', default: 7 })
  rank?: number;
}

/** Its table is re-created with `id int generated always as identity`. */
@Entity({ tableName: 'copy_identity', repository: () => BaseRepository })
class CopyIdentity {
  [EntityRepositoryType]?: BaseRepository<CopyIdentity>;

  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'text' })
  name!: string;
}

class RefusedValueError extends Error {}

/** A text column type that refuses the value `'refused'` when it is written. */
class StrictText extends Type<string | null, string | null> {
  override convertToDatabaseValue(value: string | null): string | null {
    if (value === 'refused') {
      throw new RefusedValueError(`StrictText refuses ${value}`);
    }
    return value;
  }

  override getColumnType(): string {
    return 'text';
  }
}

/** Its table has a `bigserial` key, whose sequence the tests re-shape. */
@Entity({ tableName: 'copy_counter', repository: () => BaseRepository })
class CopyCounter {
  [EntityRepositoryType]?: BaseRepository<CopyCounter>;

  @PrimaryKey({ type: 'bigint' })
  id!: string;

  @Property({ type: 'text' })
  name!: string;

  @Property({ type: StrictText, nullable: true })
  strict?: string | null;
}

describeEachDriver(
  'insertMany through COPY',
  (ctx) => {
    describe('on Chinook', () => {
      const chinook = useChinook(ctx);
      const lines = () => chinook.em().getRepository(InvoiceLine);

      it('streams with COPY from copyThreshold rows on, and uses insert statements below it', async () => {
        chinook.resetQueries();
        const below = await lines().insertMany(
          Array.from({ length: 99 }, (_, i) => line(i)),
          { copyThreshold: 100 },
        );
        expect(chinook.statements(/^copy/i)).toHaveLength(0);
        expect(chinook.statements(/^insert/i)).toHaveLength(1);

        chinook.resetQueries();
        const at = await lines().insertMany(
          Array.from({ length: 100 }, (_, i) => line(i)),
          { copyThreshold: 100 },
        );
        const [copy] = chinook.statements(/^copy/i);
        expect(copy?.query).toMatch(/^copy "invoice_line" \(.*\) from stdin$/);
        expect(copy?.connection).toMatchObject({ type: 'write' });
        expect(chinook.statements(/^insert/i)).toHaveLength(0);
        // One transaction around the key reservation and the COPY.
        expect(chinook.queries.filter((q) => /^begin/i.test(q.query))).toHaveLength(1);
        expect(chinook.queries.filter((q) => /^commit/i.test(q.query))).toHaveLength(1);
        expect(at).toHaveLength(100);
        await lines().deleteMany([...below, ...at]);
      });

      it('uses COPY by default from 10 000 rows, and never with copyThreshold Infinity', async () => {
        chinook.resetQueries();
        const ids = await lines().insertMany(Array.from({ length: 10_000 }, (_, i) => line(i)));
        expect(chinook.statements(/^copy/i)).toHaveLength(1);
        chinook.resetQueries();
        const more = await lines().insertMany(
          Array.from({ length: 10_000 }, (_, i) => line(i)),
          { copyThreshold: Number.POSITIVE_INFINITY },
        );
        expect(chinook.statements(/^copy/i)).toHaveLength(0);
        expect(chinook.statements(/^insert/i)).toHaveLength(2);
        await lines().deleteMany([...ids, ...more]);
      });

      it('returns the new ids in input order, each naming the row it was given', async () => {
        const rows = Array.from({ length: 3000 }, (_, i) => line(i));
        chinook.resetQueries();
        const ids = await lines().insertMany(rows, { copyThreshold: 1 });
        expect(chinook.statements(/^copy/i)).toHaveLength(1);
        expect(ids).toHaveLength(rows.length);
        expect(new Set(ids).size).toBe(rows.length);
        const stored = await lines().findByIds(ids);
        expect(
          stored.map((l) => ({
            invoice: l!.invoice.id,
            track: l!.track.id,
            unitPrice: l!.unitPrice,
            quantity: l!.quantity,
          })),
        ).toEqual(rows);
        await lines().deleteMany(ids);
      });

      it('writes nothing when a row in the middle of a large COPY fails, and the next call works', async () => {
        const rows: object[] = Array.from({ length: 20_000 }, (_, i) => line(i));
        rows[10_000] = { ...line(10_000), track: 999_999 }; // no such track: the foreign key fails
        const em = chinook.em();
        chinook.resetQueries();
        const error = await em
          .getRepository(InvoiceLine)
          .insertMany(rows as never, { copyThreshold: 1 })
          .catch((e) => e);
        expect(error?.message).toMatch(/foreign key/);
        expect(chinook.statements(/^copy/i)).toHaveLength(1);
        expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES);

        rows[10_000] = { ...line(10_000), quantity: null }; // not null, found while the rows stream in
        const nullError = await em
          .getRepository(InvoiceLine)
          .insertMany(rows as never, { copyThreshold: 1 })
          .catch((e) => e);
        expect(nullError?.message).toMatch(/null value/);
        expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES);

        // The same EntityManager (and its pooled connection) goes on working.
        const ids = await em.getRepository(InvoiceLine).insertMany([line(1), line(2)], { copyThreshold: 1 });
        expect(await em.getRepository(InvoiceLine).count()).toBe(LINES + 2);
        await em.getRepository(InvoiceLine).deleteMany(ids);
      });

      it('commits and rolls back with the surrounding em.transactional()', async () => {
        const em = chinook.em();
        const failed = await em
          .transactional(async (trx) => {
            await trx.getRepository(InvoiceLine).insertMany(
              Array.from({ length: 500 }, (_, i) => line(i)),
              { copyThreshold: 1 },
            );
            expect(await trx.getRepository(InvoiceLine).count()).toBe(LINES + 500);
            throw new Error('abort the unit of work');
          })
          .catch((e) => e);
        expect(failed.message).toBe('abort the unit of work');
        expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES);

        const ids = await em.transactional(async (trx) => {
          const first = await trx.getRepository(InvoiceLine).insertMany([line(1)], { copyThreshold: 1 });
          const second = await trx.getRepository(InvoiceLine).insertMany([line(2), line(3)], { copyThreshold: 1 });
          return [...first, ...second];
        });
        expect(await chinook.em().getRepository(InvoiceLine).count()).toBe(LINES + 3);
        await chinook.em().getRepository(InvoiceLine).deleteMany(ids);
      });

      it('rejects a copyThreshold that is not a positive integer or Infinity, writing nothing', async () => {
        chinook.resetQueries();
        for (const copyThreshold of [0, -1, 1.5, Number.NaN, '10' as never]) {
          await expect(lines().insertMany([line(1)], { copyThreshold })).rejects.toBeInstanceOf(InvalidArgumentError);
        }
        expect(chinook.queries).toHaveLength(0);
      });
    });

    describe('on awkward values', () => {
      let orm: MikroORM;
      const sent: string[] = [];
      const em = () => orm.em.fork() as SqlEntityManager;

      beforeAll(async () => {
        orm = await MikroORM.init({
          ...ctx.options,
          entities: [CopyValue, CopyIdentity, CopyCounter],
          metadataProvider: ReflectMetadataProvider,
          onQuery: (sql: string) => {
            sent.push(sql);
            return sql;
          },
        });
        await orm.schema.create();
        await em().execute(
          'drop table copy_identity; create table copy_identity (id int generated always as identity primary key, name text not null); ' +
            'drop table copy_counter; create table copy_counter (id bigserial primary key, name text not null, strict text)',
        );
      });
      afterAll(() => orm?.close(true));

      /** Each row as the database prints it (`to_jsonb`, id left out), in id order. */
      const stored = (ids: readonly number[]) =>
        em()
          .execute(`select to_jsonb(v) - 'id' as row from copy_value v where id in (?) order by id`, [[...ids]])
          .then((rows) => rows.map((r) => r.row));

      it('stores every value exactly as the insert-statement path does', async () => {
        const zone = process.env.TZ;
        // A half-hour offset west of UTC: a `timestamp` column keeps the client's local wall time.
        process.env.TZ = 'America/St_Johns';
        try {
          const rows = [
            {
              text: 'tab\there, newline\nthere, cr\rhere, backslash \\ and \\N and\n\\.\nend',
              short: 'ünïcødé ✓ 𝄞 😀',
              doc: { quote: 'a "b" \\ c', nested: [1, null, 'x\ty\n'], emoji: '😀', nul: null },
              bytes: Buffer.from([0, 1, 92, 9, 10, 13, 34, 255]),
              flag: true,
              at: new Date('2026-03-29T01:30:00.123Z'),
              wall: new Date(2026, 0, 2, 3, 4, 5, 6),
              day: '2026-02-28',
              amount: '-12345678.1234',
              big: '9007199254740993',
              rank: 1,
            },
            { text: '\\.', short: '\\N', doc: 'a JSON string', flag: false, at: new Date(0), amount: '0' },
            {
              text: '',
              short: ' ',
              doc: [1, 'two', { three: 3 }],
              bytes: Buffer.alloc(0),
              wall: new Date(1999, 11, 31),
            },
            { text: null, short: null, doc: null, bytes: null, flag: null, at: null, wall: null, day: null },
          ];
          const repo = em().getRepository(CopyValue);
          sent.length = 0;
          const copied = await repo.insertMany(rows, { copyThreshold: 1 });
          expect(sent.filter((q) => /^copy/i.test(q))).toHaveLength(1);
          sent.length = 0;
          const inserted = await repo.insertMany(rows, { copyThreshold: Number.POSITIVE_INFINITY });
          expect(sent.filter((q) => /^copy/i.test(q))).toHaveLength(0);

          const [viaCopy, viaInsert] = [await stored(copied), await stored(inserted)];
          expect(viaCopy).toHaveLength(rows.length);
          expect(viaCopy).toEqual(viaInsert);
          // A property a row leaves out takes its declared default on both paths.
          expect(viaCopy.map((r) => r.rank)).toEqual([1, 7, 7, 7]);
          expect(viaCopy[0].text).toBe(rows[0]!.text);
          expect(viaCopy[0].bytes).toBe('\\x00015c090a0d22ff');
        } finally {
          process.env.TZ = zone;
        }
      });

      it('stores array columns element for element, on the COPY and the statement paths alike', async () => {
        // (MikroORM's ArrayType leaves `NULL` and edge whitespace unquoted, so those do not survive any path.)
        const tags = [['a,b', 'c"d', 'e\\f', '', 'g h', '{x}', 'tab\there', 'ü\nx'], [], null];
        const repo = em().getRepository(CopyValue);
        const tagsOf = async (ids: readonly number[]) =>
          (await em().find(CopyValue, { id: [...ids] }, { orderBy: { id: 'asc' } })).map((v) => v.tags);
        const viaCopy = await repo.insertMany(
          tags.map((t) => ({ tags: t })),
          { copyThreshold: 1 },
        );
        expect(await tagsOf(viaCopy)).toEqual(tags);
        const viaInsert = await repo.insertMany(
          tags.map((t) => ({ tags: t })),
          { copyThreshold: Number.POSITIVE_INFINITY },
        );
        expect(await tagsOf(viaInsert)).toEqual(tags);

        const reversed = [...tags].reverse();
        await repo.updateMany(viaInsert.map((id, i) => ({ id, tags: reversed[i] })));
        expect(await tagsOf(viaInsert)).toEqual(reversed);
        await repo.upsertMany(viaInsert.map((id, i) => ({ id, tags: tags[i] })));
        expect(await tagsOf(viaInsert)).toEqual(tags);
        await repo.updateMany(viaInsert, { tags: ['same'] });
        expect(await tagsOf(viaInsert)).toEqual([['same'], ['same'], ['same']]);
        await repo.deleteMany([...viaCopy, ...viaInsert]);
      });

      it('refuses a text longer than its varchar(n) as flush does, on every write path, never truncating it', async () => {
        const long = 'x'.repeat(41); // `short` is varchar(40)
        const flushEm = em();
        flushEm.create(CopyValue, { id: 900, short: long });
        const viaFlush = await flushEm.flush().catch((e) => e);
        expect(viaFlush).toBeInstanceOf(DriverException);
        expect(viaFlush.code).toBe('22001');
        const repo = em().getRepository(CopyValue);
        const [id] = await repo.insertMany([{ short: 'fits' }], { copyThreshold: Number.POSITIVE_INFINITY });
        const before = await em().count(CopyValue);
        const failures = [
          await repo.insertMany([{ short: long }], { copyThreshold: Number.POSITIVE_INFINITY }).catch((e) => e),
          await repo.insertMany([{ short: long }], { copyThreshold: 1 }).catch((e) => e),
          await repo.upsertMany([{ id: id as number, short: long }]).catch((e) => e),
          await repo.updateMany([{ id: id as number, short: long }]).catch((e) => e),
          await repo.updateMany([id as number], { short: long }).catch((e) => e),
        ];
        for (const error of failures) {
          expect(error?.constructor).toBe(viaFlush.constructor);
          expect(error.code).toBe('22001');
        }
        expect(await em().count(CopyValue)).toBe(before);
        expect((await em().findOneOrFail(CopyValue, id as number)).short).toBe('fits');
        await repo.deleteMany([id as number]);
      });

      it('writes GENERATED ALWAYS identity columns as insert does: ids from the sequence, explicit ids refused', async () => {
        const repo = em().getRepository(CopyIdentity);
        const rows = Array.from({ length: 50 }, (_, i) => ({ name: `n${i}` }));
        sent.length = 0;
        const ids = await repo.insertMany(rows, { copyThreshold: 1 });
        expect(sent.filter((q) => /^copy/i.test(q))).toHaveLength(1);
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        const found = await em().find(CopyIdentity, { id: ids }, { orderBy: { id: 'asc' } });
        expect(found.map((r) => r.name)).toEqual(rows.map((r) => r.name));

        const explicit = [{ id: 100_000, name: 'explicit' }];
        sent.length = 0;
        const viaCopy = await repo.insertMany(explicit, { copyThreshold: 1 }).catch((e) => e);
        // Left to the insert statement, which PostgreSQL refuses (COPY would have taken it).
        expect(sent.filter((q) => /^copy/i.test(q))).toHaveLength(0);
        const viaInsert = await repo.insertMany(explicit, { copyThreshold: Number.POSITIVE_INFINITY }).catch((e) => e);
        expect(viaCopy.message).toMatch(/non-DEFAULT value/);
        expect(viaCopy.message).toBe(viaInsert.message);
        expect(await em().count(CopyIdentity)).toBe(50);
      });
      it('throws CopyRowCountError, writing nothing, when a trigger drops rows from the COPY', async () => {
        await em().execute(
          'create function copy_value_skip() returns trigger language plpgsql as $$ begin ' +
            "if new.text = 'skip' then return null; end if; return new; end $$; " +
            'create trigger copy_value_skip before insert on copy_value for each row execute function copy_value_skip()',
        );
        try {
          const before = await em().count(CopyValue);
          const rows = Array.from({ length: 30 }, (_, i) => ({ text: i === 7 ? 'skip' : `kept ${i}` }));
          const error = await em()
            .getRepository(CopyValue)
            .insertMany(rows, { copyThreshold: 1 })
            .catch((e) => e);
          expect(error).toBeInstanceOf(CopyRowCountError);
          expect(error).toMatchObject({ code: 'E_COPY_ROW_COUNT', table: '"copy_value"', written: 29, expected: 30 });
          expect(await em().count(CopyValue)).toBe(before);
          // The insert statements return what was really written: the kept rows' ids.
          const ids = await em().getRepository(CopyValue).insertMany(rows, { copyThreshold: Number.POSITIVE_INFINITY });
          expect(ids).toHaveLength(29);
          await em().getRepository(CopyValue).deleteMany(ids);
        } finally {
          await em().execute('drop trigger copy_value_skip on copy_value; drop function copy_value_skip()');
        }
      });

      describe('keys from the sequence', () => {
        const counters = () => em().getRepository(CopyCounter);
        const named = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => ({ name: `${prefix}${i}` }));
        /** The name stored under each id, in the order of `ids`. */
        const namesOf = async (ids: readonly string[]) => {
          const found = await em().find(CopyCounter, { id: [...ids] });
          const byId = new Map(found.map((c) => [String(c.id), c.name]));
          return ids.map((id) => byId.get(String(id)));
        };

        it('returns bigint keys as the insert-statement path does: the same type, one per row, in order', async () => {
          const viaCopy = await counters().insertMany(named('copy', 300), { copyThreshold: 1 });
          const viaInsert = await counters().insertMany(named('insert', 3), {
            copyThreshold: Number.POSITIVE_INFINITY,
          });
          expect(typeof viaCopy[0]).toBe(typeof viaInsert[0]);
          expect(viaCopy.map(String)).toEqual(viaCopy.map((_, i) => String(BigInt(viaCopy[0] as string) + BigInt(i))));
          expect(await namesOf(viaCopy)).toEqual(named('copy', 300).map((r) => r.name));
          expect(BigInt(viaInsert[0] as string)).toBe(BigInt(viaCopy[299] as string) + 1n);
        });

        it("throws a value's own conversion error from the middle of a COPY, as insert does, writing nothing", async () => {
          const before = await em().count(CopyCounter);
          const rows = named('strict', 300).map((r, i) => ({ ...r, strict: i === 150 ? 'refused' : 'fine' }));
          const viaCopy = await counters()
            .insertMany(rows, { copyThreshold: 1 })
            .catch((e) => e);
          const viaInsert = await counters()
            .insertMany(rows, { copyThreshold: Number.POSITIVE_INFINITY })
            .catch((e) => e);
          expect(viaInsert).toBeInstanceOf(RefusedValueError);
          expect(viaCopy).toBeInstanceOf(RefusedValueError);
          expect(await em().count(CopyCounter)).toBe(before);
        });

        it('returns the keys a sequence that steps by 3 gave, each naming its row', async () => {
          await em().execute('alter sequence copy_counter_id_seq increment by 3');
          try {
            const ids = await counters().insertMany(named('step', 40), { copyThreshold: 1 });
            const steps = ids.slice(1).map((id, i) => Number(BigInt(id as string) - BigInt(ids[i] as string)));
            expect(new Set(steps)).toEqual(new Set([3]));
            expect(await namesOf(ids)).toEqual(named('step', 40).map((r) => r.name));
          } finally {
            await em().execute('alter sequence copy_counter_id_seq increment by 1');
          }
        });

        it('returns the keys of a descending sequence in the order it gave them, as insert does', async () => {
          await em().execute(
            'alter sequence copy_counter_id_seq increment by -1 minvalue 1 maxvalue 100000000 restart with 50000000',
          );
          try {
            const viaCopy = await counters().insertMany(named('down', 30), { copyThreshold: 1 });
            const viaInsert = await counters().insertMany(named('down', 3), {
              copyThreshold: Number.POSITIVE_INFINITY,
            });
            expect(viaCopy.map(Number)).toEqual(viaCopy.map((_, i) => 50_000_000 - i));
            expect(viaInsert.map(Number)).toEqual([49_999_970, 49_999_969, 49_999_968]);
            expect(await namesOf(viaCopy)).toEqual(named('down', 30).map((r) => r.name));
          } finally {
            await em().execute(
              "alter sequence copy_counter_id_seq increment by 1 no minvalue no maxvalue; select setval('copy_counter_id_seq', 100000000)",
            );
          }
        });

        it('never writes keys a cycling sequence did not give: its repeated values fail as they do on insert', async () => {
          // 1, 3, 5, 1, 3: min to max spans 5 values, yet 2 and 4 were never reserved.
          await em().execute(
            'alter sequence copy_counter_id_seq increment by 2 minvalue 1 maxvalue 5 cycle restart with 1; delete from copy_counter',
          );
          try {
            const viaCopy = await counters()
              .insertMany(named('cycle', 5), { copyThreshold: 1 })
              .catch((e) => e);
            expect(viaCopy).toBeInstanceOf(Error);
            expect(viaCopy.message).toMatch(/duplicate key/);
            expect(await em().count(CopyCounter)).toBe(0);
            await em().execute('alter sequence copy_counter_id_seq restart with 1');
            const viaInsert = await counters()
              .insertMany(named('cycle', 5), { copyThreshold: Number.POSITIVE_INFINITY })
              .catch((e) => e);
            expect(viaInsert.message).toMatch(/duplicate key/);
          } finally {
            await em().execute(
              'alter sequence copy_counter_id_seq increment by 1 no maxvalue no cycle; ' +
                "select setval('copy_counter_id_seq', 1000)",
            );
          }
        });
      });
    });

    it('raises MissingDependencyError for a required COPY package that is not installed, and skips it otherwise', async () => {
      const error = await loadCopyFrom(true, 'pg-copy-streams-not-installed').catch((e) => e);
      expect(error).toBeInstanceOf(MissingDependencyError);
      expect(error.code).toBe('E_MISSING_DEPENDENCY');
      expect(error.dependency).toBe('pg-copy-streams-not-installed');
      expect(await loadCopyFrom(false, 'pg-copy-streams-not-installed')).toBeUndefined();
      expect(await loadCopyFrom(true)).toBeTypeOf('function');
      // A package that is there but fails to load is not "missing".
      await expect(importOptional('data:text/javascript,throw new Error("broken")')).rejects.toThrow('broken');
    });
  },
  { drivers: ['postgresql'] },
);
