// Relations declared with their own `where` and `orderBy`, and entities with a default `orderBy`: the
// loaders must give what MikroORM's own populate gives, on a small schema of its own (Chinook
// declares neither).
import { Collection, type Rel } from '@mikro-orm/core';
import { Entity, ManyToMany, ManyToOne, OneToMany, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { describe, expect, it } from 'vitest';
import { describeEachDriver } from '../../../test/harness/index.js';
import { useSchema } from '../../../test/support/use-schema.js';
import { loaders } from '../src/index.js';

@Entity({ orderBy: { name: 'desc' } })
class Label {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  name!: string;

  @Property({ type: 'boolean' })
  active!: boolean;
}

@Entity({ orderBy: { title: 'desc' } })
class Disc {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  @Property({ type: 'string' })
  title!: string;

  @Property({ type: 'boolean' })
  released!: boolean;

  @ManyToOne(() => Shelf)
  shelf!: Rel<Shelf>;
}

@Entity()
class Shelf {
  @PrimaryKey({ type: 'integer' })
  id!: number;

  /** Released discs only, by title. */
  @OneToMany(
    () => Disc,
    (disc) => disc.shelf,
    { where: { released: true }, orderBy: { title: 'asc' } },
  )
  released = new Collection<Disc>(this);

  /** Every disc, in Disc's default order (title, descending). */
  @OneToMany(
    () => Disc,
    (disc) => disc.shelf,
  )
  discs = new Collection<Disc>(this);

  /** Every label, in Label's default order (name, descending). */
  @ManyToMany(() => Label, undefined, { pivotTable: 'shelf_all_labels' })
  allLabels = new Collection<Label>(this);

  /** Active labels only, by name. */
  @ManyToMany(() => Label, undefined, { where: { active: true }, orderBy: { name: 'asc' } })
  labels = new Collection<Label>(this);
}

describeEachDriver('loaders() on relations with their own where', (ctx) => {
  const db = useSchema(ctx, [Label, Disc, Shelf], (em) => {
    const labels = ['b-live', 'a-old', 'c-live', 'd-old'].map((name, i) =>
      em.create(Label, { id: i + 1, name, active: name.endsWith('live') }),
    );
    for (const id of [1, 2, 3]) {
      const shelf = em.create(Shelf, { id });
      shelf.labels.set(labels.slice(0, id + 1));
      shelf.allLabels.set(labels.slice(0, id + 1));
      for (const n of [1, 2, 3]) {
        em.create(Disc, { id: id * 10 + n, title: `t${4 - n}`, released: n !== 2, shelf });
      }
    }
  });

  /** What MikroORM's populate puts in the collection, for these shelves. */
  async function populated(relation: 'released' | 'labels' | 'discs' | 'allLabels'): Promise<number[][]> {
    const shelves = await db.orm.em.fork().find(Shelf, {}, { populate: [relation], orderBy: { id: 'asc' } });
    return shelves.map((shelf) => shelf[relation].getItems().map((item) => item.id));
  }

  describe('collection()', () => {
    it('gives the 1:M children the relation’s where selects, in its orderBy, like populate', async () => {
      const got = await loaders(db.orm.em.fork()).collection(Shelf, 'released').loadMany([1, 2, 3]);
      const expected = await populated('released');
      expect(expected).toEqual([
        [13, 11],
        [23, 21],
        [33, 31],
      ]);
      expect(got.map((discs) => (discs as Disc[]).map((disc) => disc.id))).toEqual(expected);
    });

    it('gives the M:N targets the relation’s where selects, in its orderBy, like populate', async () => {
      const got = await loaders(db.orm.em.fork()).collection(Shelf, 'labels').loadMany([1, 2, 3]);
      const expected = await populated('labels');
      expect(expected).toEqual([[1], [1, 3], [1, 3]]);
      expect(got.map((labels) => (labels as Label[]).map((label) => label.id))).toEqual(expected);
    });

    it('orders by the entity’s default orderBy when the relation has none, 1:M and M:N, like populate', async () => {
      const load = loaders(db.orm.em.fork());
      const [discs, allLabels] = await Promise.all([
        load.collection(Shelf, 'discs').loadMany([1, 2, 3]),
        load.collection(Shelf, 'allLabels').loadMany([1, 2, 3]),
      ]);
      expect(await populated('discs')).toEqual([
        [11, 12, 13],
        [21, 22, 23],
        [31, 32, 33],
      ]); // t3, t2, t1
      expect(discs.map((list) => (list as Disc[]).map((disc) => disc.id))).toEqual(await populated('discs'));
      expect(await populated('allLabels')).toEqual([
        [1, 2],
        [3, 1, 2],
        [4, 3, 1, 2],
      ]); // d-old, c-live, b-live, a-old
      expect(allLabels.map((list) => (list as Label[]).map((label) => label.id))).toEqual(await populated('allLabels'));
    });
  });

  describe('count()', () => {
    it('counts what the collection holds, the relation’s where applied, 1:M and M:N', async () => {
      const load = loaders(db.orm.em.fork());
      const [released, labels] = await Promise.all([
        load.count(Shelf, 'released').loadMany([1, 2, 3]),
        load.count(Shelf, 'labels').loadMany([1, 2, 3]),
      ]);
      expect(released).toEqual((await populated('released')).map((ids) => ids.length));
      expect(labels).toEqual((await populated('labels')).map((ids) => ids.length));
      expect(labels).toEqual([1, 2, 2]);
      // MikroORM's own Collection.loadCount() counts every pivot row here (4 for shelf 3)
      const shelf = await db.orm.em.fork().findOneOrFail(Shelf, 3);
      expect(await shelf.labels.loadCount()).toBe(4);
    });
  });
});
