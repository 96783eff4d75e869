// What a loader's query throws when the database refuses it: MikroORM's exception class, as em.find()
// throws it for the same failure (here a table that is not there), never the driver's raw error.
import { Collection, DriverException, type Rel, TableNotFoundException } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import type { SqlEntityManager } from '@mikro-orm/sql';
import { expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useSchema } from '../../../test/support/use-schema.js';
import { loaders } from '../src/index.js';

@Entity({ tableName: 'err_label' })
class Label {
  @PrimaryKey({ type: 'integer' })
  id!: number;
}

@Entity({ tableName: 'err_shelf' })
class Shelf {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @OneToMany(
    () => Book,
    (book) => book.shelf,
  )
  books = new Collection<Book>(this);

  @ManyToMany(() => Label, undefined, { pivotTable: 'err_shelf_labels' })
  labels = new Collection<Label>(this);
}

@Entity({ tableName: 'err_book' })
class Book {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @ManyToOne(() => Shelf)
  shelf!: Rel<Shelf>;

  @Property({ type: 'string' })
  title!: string;
}

describeEachDriver('loaders() throw MikroORM exceptions', (ctx) => {
  const db = useSchema(ctx, [Label, Shelf, Book], (em) => {
    const shelf = em.create(Shelf, { id: 1 });
    em.create(Book, { id: 1, shelf, title: 'one' });
    shelf.labels.add(em.create(Label, { id: 1 }));
  });

  /** Runs `fn` while `table` is renamed away, and puts it back. */
  async function withoutTable<R>(table: string, fn: () => Promise<R>): Promise<R> {
    const em = db.orm.em.fork() as SqlEntityManager;
    await em.execute(`alter table ${table} rename to ${table}_gone`);
    try {
      return await fn();
    } finally {
      await em.execute(`alter table ${table}_gone rename to ${table}`);
    }
  }

  /** Asserts `error` is what em.find() on `entity` throws now, a TableNotFoundException with the driver's code. */
  async function expectAsFind(error: unknown, entity: typeof Book | typeof Label | typeof Shelf) {
    const viaFind = await db.orm.em
      .fork()
      .find(entity, {})
      .catch((e) => e);
    expect(viaFind).toBeInstanceOf(TableNotFoundException);
    expect(error).toBeInstanceOf(TableNotFoundException);
    expect((error as DriverException).code).toBe((viaFind as DriverException).code);
  }

  it('entity(): TableNotFoundException, as em.find() throws', async () => {
    await withoutTable('err_book', async () => {
      const error = await loaders(db.orm.em.fork())
        .entity(Book)
        .load(1)
        .catch((e) => e);
      await expectAsFind(error, Book);
    });
  });

  it('collection() of a 1:M: TableNotFoundException, as em.find() throws', async () => {
    await withoutTable('err_book', async () => {
      const error = await loaders(db.orm.em.fork())
        .collection(Shelf, 'books')
        .load(1)
        .catch((e) => e);
      await expectAsFind(error, Book);
    });
  });

  it('collection() of an M:N: TableNotFoundException, as em.find() throws', async () => {
    await withoutTable('err_label', async () => {
      const error = await loaders(db.orm.em.fork())
        .collection(Shelf, 'labels')
        .load(1)
        .catch((e) => e);
      await expectAsFind(error, Label);
    });
  });

  it('count(): TableNotFoundException with the driver error as cause (em.countBy() throws it raw)', async () => {
    await withoutTable('err_book', async () => {
      const error = await loaders(db.orm.em.fork())
        .count(Shelf, 'books')
        .load(1)
        .catch((e) => e);
      await expectAsFind(error, Book);
      const cause = (error as Error).cause as Error & { code?: unknown };
      expect(cause).toBeInstanceOf(Error);
      expect(cause).not.toBeInstanceOf(DriverException);
      expect(cause.code).toBe((error as DriverException).code);
    });
    // And the next batch works.
    expect(await loaders(db.orm.em.fork()).count(Shelf, 'books').load(1)).toBe(1);
  });
});
